import { defineExtension } from '../../core/component.js';
import { statusConfigSchema } from './config.js';
import { StatusExtension } from './extension.js';

export const statusExtensionFactory = defineExtension({
  type: 'status',
  configSchema: statusConfigSchema,
  createExtension: (settings, config) => new StatusExtension(settings, config),
});
