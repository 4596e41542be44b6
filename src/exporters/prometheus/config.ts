import { z } from 'zod';
import { configObject, hostPort, maxConnections } from '../../core/config/schema.js';
import { DEFAULT_MAX_CONNECTIONS } from '../../internal/webserver/http-server.js';
import { webConfigFileOption } from '../../internal/webserver/config.js';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const prometheusExporterConfigSchema = configObject({
  /** Where `/metrics` listens. Loopback by default: exposing it is a decision, not an accident. */
  endpoint: hostPort().default('127.0.0.1:9464'),
  /** Connections held at once; more are closed on accept. Lowered to 1/8 of the open-files limit if that is less. */
  max_connections: maxConnections(DEFAULT_MAX_CONNECTIONS),
  path: z
    .string()
    .regex(/^\/\S*$/, 'must start with "/"')
    .default('/metrics'),
  /** Prefix for every metric name, as the Collector's prometheus exporter's `namespace`. */
  namespace: z
    .string()
    .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a valid metric name prefix')
    .optional(),
  /** Labels added to every series. */
  const_labels: z.record(z.string().regex(LABEL_NAME, 'label names must match [a-zA-Z_][a-zA-Z0-9_]*'), z.string()).default({}),
  /** Whether to expose `target_info` with the agent's resource attributes (service.name, service.version, ...). */
  target_info: z.boolean().default(true),
  /** exporter-toolkit's web config file (TLS, basic auth, headers); see `webConfigFileOption`. */
  web_config_file: webConfigFileOption(),
}).prefault({});

export type PrometheusExporterConfig = z.output<typeof prometheusExporterConfigSchema>;
