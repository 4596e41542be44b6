import type { z } from 'zod';
import { configObject, hostPort, maxConnections } from '../../core/config/schema.js';
import { DEFAULT_MAX_CONNECTIONS } from '../../internal/webserver/http-server.js';

export const healthCheckConfigSchema = configObject({
  /** Loopback by default, like every listener of zkotel. */
  endpoint: hostPort().default('127.0.0.1:13133'),
  /** Connections held at once; more are closed on accept. Lowered to 1/8 of the open-files limit if that is less. */
  max_connections: maxConnections(DEFAULT_MAX_CONNECTIONS),
}).prefault({});

export type HealthCheckConfig = z.output<typeof healthCheckConfigSchema>;
