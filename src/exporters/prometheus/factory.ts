import { defineExporter } from '../../core/component.js';
import { prometheusExporterConfigSchema } from './config.js';
import { PrometheusExporter } from './exporter.js';

export const prometheusExporterFactory = defineExporter({
  type: 'prometheus',
  configSchema: prometheusExporterConfigSchema,
  createExporter: (settings, config) => new PrometheusExporter(settings, config),
});
