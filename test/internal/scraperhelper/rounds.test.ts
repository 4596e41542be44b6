import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { roundsEvery } from '../../../src/internal/scraperhelper/rounds.js';

const testScheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

describe('scraperhelper roundsEvery', () => {
  it('runs a first round after the initial delay, then one per interval', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const round = () => cold('(r|)', { r: 'round' });
      expectObservable(roundsEvery(round, { initialDelayMs: 2, intervalMs: 3 }), '^ 10ms !').toBe('--r--r--r--', { r: 'round' });
    });
  });

  it('never overlaps rounds: ticks that come while a round runs are skipped and counted, not queued', () => {
    testScheduler().run(({ cold, expectObservable, flush }) => {
      let started = 0;
      let skipped = 0;
      // Every round takes 7 ms; ticks come every 3 ms: rounds start at 0, 9 and 18 (the ticks at 3, 6, 12, 15 are skipped).
      const round = () =>
        defer(() => {
          started++;
          return cold('-------(r|)', { r: started });
        });
      expectObservable(
        roundsEvery(round, { initialDelayMs: 0, intervalMs: 3 }, undefined, () => skipped++),
        '^ 20ms !',
      ).toBe('7ms a 8ms b', { a: 1, b: 2 });
      flush();
      assert.equal(started, 3, 'the round started at 18 ms is cut by the end of the subscription');
      assert.equal(skipped, 4);
    });
  });

  it('stops the round in flight when unsubscribed', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const hung = cold('-');
      expectObservable(
        roundsEvery(() => hung, { initialDelayMs: 1, intervalMs: 1 }),
        '^ 5ms !',
      ).toBe('');
      expectSubscriptions(hung.subscriptions).toBe('-^ 4ms !');
    });
  });
});
