import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planReload } from '../../src/core/reload-plan.js';
import { configWith } from './configs.js';

describe('reload plan', () => {
  it('keeps an exporter the new config uses unchanged; retires one that changed, is unused or is gone; starts what the new config uses and does not keep', () => {
    const previous = configWith(
      { recording: {}, 'recording/a': {}, 'recording/b': {}, 'recording/c': {} },
      { metrics: ['recording', 'recording/a', 'recording/b', 'recording/c'] },
    );
    const next = configWith(
      { 'recording/new': {}, recording: {}, 'recording/a': { label: 'changed' }, 'recording/b': {} },
      { metrics: ['recording', 'recording/a', 'recording/new'] },
    );
    const plan = planReload(previous, next, ['recording', 'recording/a', 'recording/b', 'recording/c']);
    assert.deepEqual(plan, { keep: ['recording'], retire: ['recording/a', 'recording/b', 'recording/c'], start: ['recording/new', 'recording/a'] });
  });

  it('only running exporters are kept or retired: one the config uses that does not run (a failed restore) is started', () => {
    const same = configWith({ recording: {}, 'recording/a': {} }, { metrics: ['recording', 'recording/a'] });
    assert.deepEqual(planReload(same, same, ['recording/a']), { keep: ['recording/a'], retire: [], start: ['recording'] });
  });

  it('a reload to the same config keeps everything and starts nothing', () => {
    const same = configWith({ recording: {} }, { metrics: ['recording'] });
    assert.deepEqual(planReload(same, same, ['recording']), { keep: ['recording'], retire: [], start: [] });
  });
});
