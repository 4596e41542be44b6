import { z } from 'zod';
import type { Batch } from '../../core/batch.js';
import { defineExporter, type Exporter } from '../../core/component.js';
import { configObject } from '../../core/config/schema.js';

export const debugExporterConfigSchema = configObject({
  /** basic: one line per batch; normal: one line per sample; detailed: adds type, unit and description. */
  verbosity: z.enum(['basic', 'normal', 'detailed']).default('basic'),
}).prefault({});

export type DebugExporterConfig = z.output<typeof debugExporterConfigSchema>;
export type Write = (text: string) => void;

/** Prints batches for troubleshooting, like the Collector's debug exporter. */
export function createDebugExporter(config: DebugExporterConfig, write: Write = (text) => process.stdout.write(text)): Exporter {
  return {
    start: async () => {},
    shutdown: async () => {},
    consume: (batch) => write(formatBatch(batch, config.verbosity)),
    forget: (gone) => write(`${new Date(gone.timeMs).toISOString()} ${gone.source}: gone\n`),
  };
}

export function formatBatch(batch: Batch, verbosity: DebugExporterConfig['verbosity']): string {
  const header = `${new Date(batch.timeMs).toISOString()} ${batch.source}: ${batch.samples.length} samples\n`;
  if (verbosity === 'basic') return header;
  const lines = batch.samples.map((sample) => {
    const attributes = Object.entries(sample.attributes)
      .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
      .join(',');
    const detail =
      verbosity === 'detailed'
        ? ` ${sample.metric.kind}(${sample.metric.valueType}) unit=${JSON.stringify(sample.metric.unit)} ${JSON.stringify(sample.metric.description)}`
        : '';
    return `  ${sample.metric.name}{${attributes}} ${sample.value}${detail}\n`;
  });
  return header + lines.join('');
}

export const debugExporterFactory = defineExporter({
  type: 'debug',
  configSchema: debugExporterConfigSchema,
  createExporter: (_settings, config) => createDebugExporter(config),
});
