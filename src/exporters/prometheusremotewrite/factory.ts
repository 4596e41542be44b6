import { defineExporter } from '../../core/component.js';
import { prometheusRemoteWriteConfigSchema } from './config.js';
import { PrometheusRemoteWriteExporter } from './exporter.js';

/** The Collector's name for it. */
export const prometheusRemoteWriteExporterFactory = defineExporter({
  type: 'prometheusremotewrite',
  configSchema: prometheusRemoteWriteConfigSchema,
  createExporter: (settings, config) => new PrometheusRemoteWriteExporter(settings, config),
});
