import assert from 'node:assert/strict';
import { Subject } from 'rxjs';
import { z } from 'zod';
import type { PipelineItem } from '../../src/core/batch.js';
import { defineExporter, defineReceiver } from '../../src/core/component.js';
import { configObject } from '../../src/core/config/schema.js';
import { resolveConfig, type ResolvedConfig } from '../../src/core/config/resolve.js';
import { Registry } from '../../src/core/registry.js';

/** A receiver `manual` and exporters `recording` (with a `label` to change their config): for what is decided from config alone. */
export const recordingRegistry = new Registry([
  defineReceiver({
    attributes: [],
    type: 'manual',
    configSchema: configObject({}).prefault({}),
    createReceiver: () => ({ batches: new Subject<PipelineItem>() }),
  }),
  defineExporter({
    type: 'recording',
    configSchema: configObject({ label: z.string().default('') }).prefault({}),
    createExporter: () => ({ start: async () => {}, consume: () => {}, forget: () => {}, shutdown: async () => {} }),
  }),
]);

/** `exporters` configured, and one pipeline per entry of `pipelines` (id → the exporters it sends to), all fed by `manual`. */
export function configWith(exporters: Record<string, unknown>, pipelines: Record<string, string[]>): ResolvedConfig {
  const value = {
    receivers: { manual: {} },
    exporters,
    service: { pipelines: Object.fromEntries(Object.entries(pipelines).map(([id, used]) => [id, { receivers: ['manual'], exporters: used }])) },
  };
  const resolution = resolveConfig({ value, problems: [], warnings: [], locate: () => undefined }, recordingRegistry);
  assert.deepEqual(resolution.problems, []);
  return resolution.config!;
}
