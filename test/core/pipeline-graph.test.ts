import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Subject } from 'rxjs';
import { z } from 'zod';
import type { Batch } from '../../src/core/batch.js';
import { defineExporter, defineReceiver } from '../../src/core/component.js';
import { configObject } from '../../src/core/config/schema.js';
import { resolveConfig } from '../../src/core/config/resolve.js';
import { exportersInUse, planExporterReload } from '../../src/core/pipeline-graph.js';
import { Registry } from '../../src/core/registry.js';

const registry = new Registry([
  defineReceiver({ attributes: [], type: 'manual', configSchema: configObject({}).prefault({}), createReceiver: () => ({ batches: new Subject<Batch>() }) }),
  defineExporter({
    type: 'recording',
    configSchema: configObject({ label: z.string().default('') }).prefault({}),
    createExporter: () => ({ start: async () => {}, consume: () => {}, shutdown: async () => {} }),
  }),
]);

function config(exporters: Record<string, unknown>, used: string[]) {
  const value = { receivers: { manual: {} }, exporters, service: { pipelines: { metrics: { receivers: ['manual'], exporters: used } } } };
  const resolution = resolveConfig({ value, problems: [], warnings: [], locate: () => undefined }, registry);
  assert.deepEqual(resolution.problems, []);
  return resolution.config!;
}

describe('pipeline graph', () => {
  it('exportersInUse: the exporters some pipeline sends to, not every configured one', () => {
    assert.deepEqual([...exportersInUse(config({ recording: {}, 'recording/idle': {} }, ['recording']))], ['recording']);
  });

  it('planExporterReload keeps an exporter the new config uses unchanged, and retires one that changed, is unused or is gone', () => {
    const previous = config({ recording: {}, 'recording/a': {}, 'recording/b': {}, 'recording/c': {} }, ['recording', 'recording/a', 'recording/b', 'recording/c']);
    const next = config({ recording: {}, 'recording/a': { label: 'changed' }, 'recording/b': {} }, ['recording', 'recording/a']);
    const plan = planExporterReload(previous, next, ['recording', 'recording/a', 'recording/b', 'recording/c']);
    assert.deepEqual(plan, { keep: ['recording'], retire: ['recording/a', 'recording/b', 'recording/c'] });
  });

  it('planExporterReload only looks at the running exporters', () => {
    const same = config({ recording: {}, 'recording/a': {} }, ['recording', 'recording/a']);
    assert.deepEqual(planExporterReload(same, same, ['recording/a']), { keep: ['recording/a'], retire: [] });
  });
});
