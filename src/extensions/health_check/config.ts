import type { z } from 'zod';
import { configObject, hostPort } from '../../core/config/schema.js';

export const healthCheckConfigSchema = configObject({
  /** Loopback by default, like every listener of zkotel. */
  endpoint: hostPort().default('127.0.0.1:13133'),
}).prefault({});

export type HealthCheckConfig = z.output<typeof healthCheckConfigSchema>;
