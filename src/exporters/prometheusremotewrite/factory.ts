import { defineExporter } from '../../core/component.js';
import { lazyModule } from '../../core/lazy-module.js';
import { prometheusRemoteWriteConfigSchema } from './config.js';

const implementation = lazyModule('exporter prometheusremotewrite', () => import('./exporter.js'));

/** The Collector's name for it. */
export const prometheusRemoteWriteExporterFactory = defineExporter({
  type: 'prometheusremotewrite',
  configSchema: prometheusRemoteWriteConfigSchema,
  load: implementation.load,
  createExporter: (settings, config) => new (implementation.get().PrometheusRemoteWriteExporter)(settings, config),
});
