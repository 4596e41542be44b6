import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY } from 'rxjs';
import { RoundTracker } from '../../src/core/readiness.js';

describe('RoundTracker', () => {
  it('is done once every receiver has delivered each of its sources, counting a source once', () => {
    const rounds = new RoundTracker();
    const twoSources = rounds.track('a', { batches: EMPTY, sourcesPerRound: 2 });
    const oneSource = rounds.track('b', { batches: EMPTY });
    twoSources('x');
    twoSources('x');
    oneSource('y');
    assert.equal(rounds.roundDone(), false);
    twoSources('z');
    assert.equal(rounds.roundDone(), true);
  });

  it('latches the first round across a rebuild of the receivers, but not while nothing runs', () => {
    const rounds = new RoundTracker();
    rounds.track('a', { batches: EMPTY })('x');
    assert.equal(rounds.firstRoundDone(false), false, 'no pipelines run');
    assert.equal(rounds.firstRoundDone(true), true);
    rounds.clear();
    rounds.track('a', { batches: EMPTY });
    assert.equal(rounds.roundDone(), false);
    assert.equal(rounds.firstRoundDone(true), true);
  });
});
