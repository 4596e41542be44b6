import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describePipelines, exportersInUse } from '../../src/core/pipeline-graph.js';
import { configWith } from './configs.js';

describe('pipeline graph', () => {
  it('exportersInUse: the exporters some pipeline sends to, in config order, not every configured one', () => {
    const config = configWith(
      { 'recording/b': {}, recording: {}, 'recording/idle': {} },
      { metrics: ['recording'], 'metrics/b': ['recording/b', 'recording'] },
    );
    assert.deepEqual(exportersInUse(config), ['recording/b', 'recording']);
  });

  it('describePipelines: each pipeline with the ids it chains', () => {
    const config = configWith({ recording: {} }, { metrics: ['recording'] });
    assert.deepEqual(describePipelines(config), [{ id: 'metrics', receivers: ['manual'], processors: [], exporters: ['recording'] }]);
  });
});
