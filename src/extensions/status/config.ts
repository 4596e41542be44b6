import type { z } from 'zod';
import { configObject, hostPort, maxConnections } from '../../core/config/schema.js';
import { DEFAULT_MAX_CONNECTIONS } from '../../internal/webserver/http-server.js';
import { webConfigFileOption } from '../../internal/webserver/config.js';

export const statusConfigSchema = configObject({
  /** Loopback by default, like every listener of zkotel. */
  endpoint: hostPort().default('127.0.0.1:13134'),
  /** Connections held at once (open pages keep one event stream each); more are closed on accept. */
  max_connections: maxConnections(DEFAULT_MAX_CONNECTIONS),
  /** The same web config file as `exporters.prometheus.web_config_file`: TLS, basic auth, headers. */
  web_config_file: webConfigFileOption(),
}).prefault({});

export type StatusConfig = z.output<typeof statusConfigSchema>;
