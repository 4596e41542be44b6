import { defineExtension } from '../../core/component.js';
import { healthCheckConfigSchema } from './config.js';
import { HealthCheckExtension } from './extension.js';

export const healthCheckExtensionFactory = defineExtension({
  type: 'health_check',
  configSchema: healthCheckConfigSchema,
  createExtension: (settings, config) => new HealthCheckExtension(settings, config),
});
