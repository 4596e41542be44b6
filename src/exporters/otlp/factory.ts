import { defineExporter } from '../../core/component.js';
import { otlpExporterConfigSchema } from './config.js';
import { OtlpExporter } from './exporter.js';

/** Pushes metrics to any OpenTelemetry Collector or OTLP backend over http/protobuf, http/json or gRPC. */
export const otlpExporterFactory = defineExporter({
  type: 'otlp',
  configSchema: otlpExporterConfigSchema,
  createExporter: (settings, config) => new OtlpExporter(settings, config),
});
