import { defineProcessor } from '../../core/component.js';
import { filterProcessorConfigSchema } from './config.js';
import { createFilterProcessor } from './processor.js';

/** Drops samples by metric name and attributes: the Collector filter processor's `metrics.include`/`exclude`. */
export const filterProcessorFactory = defineProcessor({
  type: 'filter',
  configSchema: filterProcessorConfigSchema,
  createProcessor: (_settings, config) => createFilterProcessor(config),
});
