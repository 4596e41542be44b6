import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Observable, Subject } from 'rxjs';
import type { Batch } from '../../../src/core/batch.js';
import { perTarget } from '../../../src/receivers/discovery/per-target.js';
import type { Target } from '../../../src/receivers/discovery/target.js';
import { batchOf, GAUGE } from '../../harness/batches.js';

const target = (endpoint: string, attributes: Record<string, string> = {}): Target => ({ endpoint, attributes });

/** Loops that emit one batch when started and record when they are stopped. */
function harness() {
  const lists = new Subject<readonly Target[]>();
  const started: Target[] = [];
  const stopped: Target[] = [];
  const loops = perTarget(
    lists,
    (t) => `src|${t.endpoint}`,
    (t) =>
      new Observable<Batch>((subscriber) => {
        started.push(t);
        subscriber.next(batchOf(`src|${t.endpoint}`, [[GAUGE, 1, { ...t.attributes }]]));
        return () => stopped.push(t);
      }),
  );
  const batches: Batch[] = [];
  const subscription = loops.batches.subscribe((batch) => batches.push(batch));
  return { lists, started, stopped, batches, subscription, loops };
}

const endpoints = (targets: Target[]) => targets.map((t) => t.endpoint);

describe('perTarget', () => {
  it('starts one loop per target and counts the targets of a round', () => {
    const h = harness();
    h.lists.next([target('a:1'), target('b:1')]);
    assert.deepEqual(endpoints(h.started), ['a:1', 'b:1']);
    assert.equal(h.loops.targetCount(), 2);
    assert.deepEqual(h.batches.map((b) => b.source), ['src|a:1', 'src|b:1']);
    h.subscription.unsubscribe();
  });

  it('keeps loops of unchanged targets, forgets removed ones with an empty batch, starts new ones', () => {
    const h = harness();
    h.lists.next([target('a:1'), target('b:1')]);
    h.batches.length = 0;
    h.lists.next([target('b:1'), target('c:1')]);
    assert.deepEqual(endpoints(h.started), ['a:1', 'b:1', 'c:1'], 'b keeps its loop');
    assert.deepEqual(endpoints(h.stopped), ['a:1']);
    assert.deepEqual(h.batches.map((b) => [b.source, b.samples.length]), [['src|a:1', 0], ['src|c:1', 1]]);
    assert.equal(h.loops.targetCount(), 2);
    h.subscription.unsubscribe();
  });

  it('restarts the loop of a target whose attributes changed, without forgetting its source', () => {
    const h = harness();
    h.lists.next([target('a:1', { role: 'participant' })]);
    h.batches.length = 0;
    h.lists.next([target('a:1', { role: 'observer' })]);
    assert.deepEqual(h.started.map((t) => t.attributes['role']), ['participant', 'observer']);
    assert.deepEqual(h.batches.map((b) => [b.source, b.samples[0]?.attributes['role']]), [['src|a:1', 'observer']]);
    h.subscription.unsubscribe();
  });

  it('stops every loop and stops listening for target lists on unsubscribe', () => {
    const h = harness();
    h.lists.next([target('a:1'), target('b:1')]);
    h.subscription.unsubscribe();
    assert.deepEqual(endpoints(h.stopped), ['a:1', 'b:1']);
    assert.equal(h.lists.observed, false);
    assert.equal(h.loops.targetCount(), 0);
  });
});
