import { defineExporter } from '../../core/component.js';
import { lazyModule } from '../../core/lazy-module.js';
import { otlpExporterConfigSchema } from './config.js';

const implementation = lazyModule('exporter otlp', () => import('./exporter.js'));

/** Pushes metrics to any OpenTelemetry Collector or OTLP backend over http/protobuf, http/json or gRPC. */
export const otlpExporterFactory = defineExporter({
  type: 'otlp',
  configSchema: otlpExporterConfigSchema,
  load: implementation.load,
  createExporter: (settings, config) => new (implementation.get().OtlpExporter)(settings, config),
});
