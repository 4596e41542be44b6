import type { z } from 'zod';
import { configObject, hostPort } from '../../core/config/schema.js';
import { webConfigFileOption } from '../../internal/webserver/config.js';

export const statusConfigSchema = configObject({
  /** Loopback by default, like every listener of zkotel. */
  endpoint: hostPort().default('127.0.0.1:13134'),
  /** The same web config file as `exporters.prometheus.web_config_file`: TLS, basic auth, headers. */
  web_config_file: webConfigFileOption(),
}).prefault({});

export type StatusConfig = z.output<typeof statusConfigSchema>;
