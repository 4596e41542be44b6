import { defineProcessor } from '../../core/component.js';
import { relabelProcessorConfigSchema } from './config.js';
import { relabelStage } from './processor.js';

/** `relabel`: Prometheus relabel_config rules over every series (see processor.ts for how series become labels). */
export const relabelProcessorFactory = defineProcessor({
  type: 'relabel',
  configSchema: relabelProcessorConfigSchema,
  createProcessor: (_settings, config) => ({ operator: relabelStage(config) }),
});
