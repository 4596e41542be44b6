import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { TestScheduler } from 'rxjs/testing';

/**
 * Virtual time for code that mixes RxJS timers with promises: `advance(ms)` runs every timer due within `ms` in
 * order, letting promise callbacks run between two timers, as they would in real time, but without waiting.
 */
export class VirtualClock {
  readonly scheduler = new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

  /** Virtual milliseconds since the clock was made. */
  get now(): number {
    return this.scheduler.now();
  }

  /** Moves time forward by `ms`, running what falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.scheduler.frame + ms;
    for (;;) {
      await settle();
      const next = this.scheduler.actions[0];
      if (!next || next.delay > target) break;
      this.scheduler.maxFrames = next.delay;
      this.scheduler.flush();
    }
    this.scheduler.frame = target;
  }

  /** Runs timers, one due time after another, until `promise` settles; fails past `limitMs` of virtual time or with nothing left to run. */
  async until<T>(promise: Promise<T>, limitMs: number): Promise<T> {
    let done = false;
    const watched = promise.finally(() => {
      done = true;
    });
    // A rejection is the caller's to see once returned, not an unhandled one while timers still run.
    watched.catch(() => {});
    const limit = this.scheduler.frame + limitMs;
    for (;;) {
      await settle();
      if (done) return watched;
      const next = this.scheduler.actions[0];
      if (!next) assert.fail(`not settled, and no timer left to run (at ${this.now} ms)`);
      if (next.delay > limit) assert.fail(`not settled within ${limitMs} ms of virtual time`);
      await this.advance(next.delay - this.scheduler.frame);
    }
  }
}

/** Lets pending promise callbacks and I/O callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await turn();
}
