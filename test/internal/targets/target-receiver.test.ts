import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Observable, Subject, throwError } from 'rxjs';
import type { Batch } from '../../../src/core/batch.js';
import { SelfTelemetry } from '../../../src/core/telemetry.js';
import { targetReceiver, type TargetContext } from '../../../src/internal/targets/target-receiver.js';
import type { Target } from '../../../src/internal/targets/target.js';
import { testSettings } from '../../harness/settings.js';

const target = (endpoint: string, attributes: Record<string, string> = {}): Target => ({ endpoint, attributes });

function targetsGauge(telemetry: SelfTelemetry): number | undefined {
  return telemetry.snapshot().samples.find((s) => s.metric.name === 'zkotel.receiver.targets' && s.attributes['receiver'] === 'zookeeper/x')?.value;
}

describe('targetReceiver', () => {
  it('gives each loop its source and identity, follows the target count, and reports it as zkotel.receiver.targets', () => {
    const telemetry = new SelfTelemetry();
    const lists = new Subject<readonly Target[]>();
    const contexts: TargetContext[] = [];
    const receiver = targetReceiver(testSettings('zookeeper/x', undefined, telemetry), lists, 'prod', (context) => {
      contexts.push(context);
      return new Observable<Batch>(() => undefined);
    });
    const subscription = receiver.batches.subscribe();
    lists.next([target('a:1', { 'zk.member.role': 'observer' }), target('b:1')]);
    assert.deepEqual(
      contexts.map((c) => [c.source, c.identity]),
      [
        ['zookeeper/x|a:1', { 'zk.member.role': 'observer', 'zk.endpoint': 'a:1', 'zk.cluster': 'prod' }],
        ['zookeeper/x|b:1', { 'zk.endpoint': 'b:1', 'zk.cluster': 'prod' }],
      ],
    );
    assert.equal(receiver.sourcesPerRound, 2);
    assert.equal(targetsGauge(telemetry), 2);
    lists.next([]);
    assert.equal(targetsGauge(telemetry), 0, 'no target at all is visible, not just silent');
    assert.equal(receiver.sourcesPerRound, 1, 'a round is at least one source');
    subscription.unsubscribe();
  });

  it('counts only targets whose loop runs: a failed loop is not probed, so it is not counted', () => {
    const telemetry = new SelfTelemetry();
    const lists = new Subject<readonly Target[]>();
    const receiver = targetReceiver(testSettings('zookeeper/x', undefined, telemetry), lists, undefined, ({ target }) =>
      target.endpoint === 'bad:1' ? throwError(() => new Error('bad target')) : new Observable<Batch>(() => undefined),
    );
    const subscription = receiver.batches.subscribe();
    lists.next([target('good:1'), target('bad:1')]);
    assert.equal(targetsGauge(telemetry), 1);
    assert.equal(receiver.sourcesPerRound, 1);
    subscription.unsubscribe();
  });

  it('never lets a discovered attribute override the identity', () => {
    const lists = new Subject<readonly Target[]>();
    const contexts: TargetContext[] = [];
    const receiver = targetReceiver(testSettings('zookeeper/x'), lists, undefined, (context) => {
      contexts.push(context);
      return new Observable<Batch>(() => undefined);
    });
    const subscription = receiver.batches.subscribe();
    lists.next([target('a:1', { 'zk.endpoint': 'spoofed' })]);
    assert.deepEqual(contexts[0]?.identity, { 'zk.endpoint': 'a:1' });
    subscription.unsubscribe();
  });
});
