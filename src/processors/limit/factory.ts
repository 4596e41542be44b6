import { defineProcessor } from '../../core/component.js';
import { limitProcessorConfigSchema } from './config.js';
import { createLimitProcessor } from './processor.js';

/** Cardinality guard: known series always pass, new series beyond a limit are dropped and counted. */
export const limitProcessorFactory = defineProcessor({
  type: 'limit',
  configSchema: limitProcessorConfigSchema,
  createProcessor: (settings, config) => createLimitProcessor(settings, config),
});
