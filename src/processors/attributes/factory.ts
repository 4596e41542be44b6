import { defineProcessor } from '../../core/component.js';
import { attributesProcessorConfigSchema } from './config.js';
import { createAttributesProcessor } from './processor.js';

/** Inserts, updates, deletes, hashes, extracts and converts attributes: the Collector's attributes processor. */
export const attributesProcessorFactory = defineProcessor({
  type: 'attributes',
  configSchema: attributesProcessorConfigSchema,
  createProcessor: (settings, config) => createAttributesProcessor(settings, config),
});
