import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Observable, startWith, Subject, Subscription, throwError, type OperatorFunction, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { isSourceGone, type Batch, type PipelineItem } from '../../../src/core/batch.js';
import { collectionTicks, perTarget, tickPhase } from '../../../src/internal/targets/per-target.js';
import type { Target } from '../../../src/internal/targets/target.js';
import { batchOf, GAUGE } from '../../harness/batches.js';
import { LogRecorder } from './recorder.js';

const target = (endpoint: string, attributes: Record<string, string> = {}): Target => ({ endpoint, attributes });

/** Loops that emit one batch when started and record when they are stopped; `failing` endpoints then error. */
function harness(failing: ReadonlyMap<string, Error> = new Map()) {
  const lists = new Subject<readonly Target[]>();
  const started: Target[] = [];
  const stopped: Target[] = [];
  const log = new LogRecorder();
  const loops = perTarget(
    lists,
    (t) => `src|${t.endpoint}`,
    (t) =>
      new Observable<Batch>((subscriber) => {
        started.push(t);
        subscriber.next(batchOf(`src|${t.endpoint}`, [[GAUGE, 1, { ...t.attributes }]]));
        const error = failing.get(t.endpoint);
        if (error) subscriber.error(error);
        return () => stopped.push(t);
      }),
    log.logger,
  );
  const batches: PipelineItem[] = [];
  let error: unknown;
  const subscription = loops.batches.subscribe({ next: (batch) => batches.push(batch), error: (e: unknown) => (error = e) });
  return { lists, started, stopped, batches, subscription, loops, log, error: () => error };
}

/** A batch as [source, sample count]; a `SourceGone` as [source, 'gone']. */
const summary = (item: PipelineItem): [string, number | 'gone'] => [item.source, isSourceGone(item) ? 'gone' : item.samples.length];
const startWithList = (list: readonly Target[]): OperatorFunction<readonly Target[], readonly Target[]> => startWith(list);
const endpoints = (targets: Target[]) => targets.map((t) => t.endpoint);

describe('perTarget', () => {
  it('starts one loop per target and counts the targets of a round', () => {
    const h = harness();
    h.lists.next([target('a:1'), target('b:1')]);
    assert.deepEqual(endpoints(h.started), ['a:1', 'b:1']);
    assert.equal(h.loops.targetCount(), 2);
    assert.deepEqual(
      h.batches.map((b) => b.source),
      ['src|a:1', 'src|b:1'],
    );
    h.subscription.unsubscribe();
  });

  it('keeps loops of unchanged targets, declares removed ones gone, starts new ones', () => {
    const h = harness();
    h.lists.next([target('a:1'), target('b:1')]);
    h.batches.length = 0;
    h.lists.next([target('b:1'), target('c:1')]);
    assert.deepEqual(endpoints(h.started), ['a:1', 'b:1', 'c:1'], 'b keeps its loop');
    assert.deepEqual(endpoints(h.stopped), ['a:1']);
    assert.deepEqual(h.batches.map(summary), [
      ['src|a:1', 'gone'],
      ['src|c:1', 1],
    ]);
    assert.equal(h.loops.targetCount(), 2);
    h.subscription.unsubscribe();
  });

  it('restarts the loop of a target whose attributes changed, without forgetting its source', () => {
    const h = harness();
    h.lists.next([target('a:1', { role: 'participant' })]);
    h.batches.length = 0;
    h.lists.next([target('a:1', { role: 'observer' })]);
    assert.deepEqual(
      h.started.map((t) => t.attributes['role']),
      ['participant', 'observer'],
    );
    assert.deepEqual(
      h.batches.map((b) => [b.source, isSourceGone(b) ? 'gone' : b.samples[0]?.attributes['role']]),
      [['src|a:1', 'observer']],
    );
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

  it('stops only the target whose loop errors: logged, its source forgotten, the others go on', () => {
    const h = harness(new Map([['bad:1', new Error('no such endpoint')]]));
    h.lists.next([target('a:1'), target('bad:1'), target('b:1')]);
    assert.equal(h.error(), undefined, 'the receiver does not fail');
    assert.deepEqual(h.batches.map(summary), [
      ['src|a:1', 1],
      ['src|bad:1', 1],
      ['src|bad:1', 'gone'],
      ['src|b:1', 1],
    ]);
    assert.equal(h.loops.targetCount(), 2);
    const [logged, ...more] = h.log.matching(/probe loop of a target failed/);
    assert.equal(more.length, 0);
    assert.equal(logged?.['endpoint'], 'bad:1');
    assert.match(JSON.stringify(logged?.['error']), /no such endpoint/);

    h.batches.length = 0;
    h.lists.next([target('a:1')]);
    assert.deepEqual(h.batches.map(summary), [['src|b:1', 'gone']], 'the failed target is not declared gone twice');
    assert.deepEqual(endpoints(h.stopped), ['bad:1', 'b:1']);
    h.subscription.unsubscribe();
    assert.deepEqual(endpoints(h.stopped), ['bad:1', 'b:1', 'a:1']);
  });

  it('a loop that throws while being subscribed to is stopped the same way', () => {
    const log = new LogRecorder();
    const loops = perTarget(
      new Subject<readonly Target[]>().pipe(startWithList([target('x:1'), target('y:1')])),
      (t) => `src|${t.endpoint}`,
      (t) => (t.endpoint === 'x:1' ? throwError(() => new Error('boom')) : new Observable<Batch>()),
      log.logger,
    );
    const batches: PipelineItem[] = [];
    let error: unknown;
    const subscription = loops.batches.subscribe({ next: (batch) => batches.push(batch), error: (e: unknown) => (error = e) });
    assert.equal(error, undefined);
    assert.deepEqual(batches.map(summary), [['src|x:1', 'gone']]);
    assert.equal(loops.targetCount(), 1);
    assert.equal(log.matching(/probe loop of a target failed/).length, 1);
    subscription.unsubscribe();
  });
});

/** A scheduler whose clock only moves when told: `fireAt(t)` runs the pending action at time t, however late that is. */
class ManualScheduler implements SchedulerLike {
  private clock = 0;
  pendingAt: number | undefined;
  private work: ((this: SchedulerAction<unknown>, state?: unknown) => void) | undefined;
  now(): number {
    return this.clock;
  }
  schedule<T>(work: (this: SchedulerAction<T>, state: T) => void, delay = 0): Subscription {
    const subscription = new Subscription(() => (this.pendingAt = undefined));
    const action = Object.assign(subscription, {
      schedule: (_state?: T, nextDelay = 0) => {
        this.pendingAt = this.clock + nextDelay;
        return action;
      },
    }) as unknown as SchedulerAction<T>;
    this.work = work as (this: SchedulerAction<unknown>, state?: unknown) => void;
    this.pendingAt = this.clock + delay;
    this.action = action as unknown as SchedulerAction<unknown>;
    return subscription;
  }
  private action: SchedulerAction<unknown> | undefined;
  fireAt(time: number): void {
    assert.ok(this.pendingAt !== undefined && time >= this.pendingAt, `a tick is due by ${time}`);
    this.clock = time;
    this.work!.call(this.action!, undefined);
  }
}

describe('collectionTicks', () => {
  it('ticks first after the initial delay, then on a fixed grid shifted by the phase; each tick carries the ticks lost while the loop was blocked', () => {
    const scheduler = new ManualScheduler();
    const lost: number[] = [];
    const subscription = collectionTicks(500, 1000, 250, scheduler).subscribe((missed) => lost.push(missed));
    assert.equal(scheduler.pendingAt, 500, 'the first tick comes after the initial delay, without the phase');
    scheduler.fireAt(500);
    assert.equal(scheduler.pendingAt, 1750, 'the next tick is one interval plus the phase later');
    scheduler.fireAt(1780);
    assert.equal(scheduler.pendingAt, 2750, 'a late tick does not shift the grid');
    // Blocked from 2750 to 5900: the ticks due at 2750, 3750 and 4750 never ran on time; 5750 runs late.
    scheduler.fireAt(5900);
    assert.equal(scheduler.pendingAt, 6750);
    scheduler.fireAt(6750);
    assert.deepEqual(lost, [0, 0, 3, 0]);
    const scheduled = 1 + Math.floor((6750 - 1750) / 1000) + 1;
    assert.equal(lost.length + lost.reduce((sum, n) => sum + n, 0), scheduled, 'ticks run + ticks lost = ticks scheduled');
    subscription.unsubscribe();
    assert.equal(scheduler.pendingAt, undefined, 'unsubscribing cancels the timer');
  });

  it('tickPhase spreads endpoints over the interval, the same phase for the same endpoint', () => {
    const phases = Array.from({ length: 1000 }, (_, i) => tickPhase(`127.1.${i >> 8}.${i & 255}:2181`, 1000));
    assert.ok(phases.every((phase) => phase >= 0 && phase < 1000 && Number.isInteger(phase)));
    const tenths = new Set(phases.map((phase) => Math.floor(phase / 100)));
    assert.equal(tenths.size, 10, 'every tenth of the interval gets some endpoints');
    assert.equal(tickPhase('127.1.0.7:2181', 1000), phases[7]);
  });
});
