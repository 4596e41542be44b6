import { defineProcessor } from '../../core/component.js';
import { transformProcessorConfigSchema } from './config.js';
import { createTransformProcessor } from './processor.js';

/** Renames metrics and changes their unit, description, scale and type (counter → gauge), by ordered rules. */
export const transformProcessorFactory = defineProcessor({
  type: 'transform',
  configSchema: transformProcessorConfigSchema,
  createProcessor: createTransformProcessor,
});
