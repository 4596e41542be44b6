/**
 * The prometheusremotewrite exporter's config: the Collector's key names where it has them (endpoint, headers,
 * external_labels, namespace, timeout, tls, sending_queue, retry_on_failure), credentials only from files.
 */
import { z } from 'zod';
import { readableFile } from '../../core/config/files.js';
import { configObject, duration } from '../../core/config/schema.js';
import { clientTlsConfigSchema } from '../../internal/tls/client-tls.js';
import { retryOnFailureSchema, sendingQueueSchema } from '../../internal/exporterhelper/config.js';

/** Prometheus's default remote-write receiver path (`--web.enable-remote-write-receiver`). */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:9090/api/v1/write';

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Set by the exporter itself: a header of the same name would make an invalid request. */
const PROTOCOL_HEADERS = ['content-type', 'content-encoding', 'x-prometheus-remote-write-version', 'content-length'];
const scalarText = z.union([z.string(), z.number(), z.boolean()]).transform(String);

export const prometheusRemoteWriteConfigSchema = configObject({
  /** The remote-write URL: Prometheus `/api/v1/write`, Mimir/Cortex `/api/v1/push`, VictoriaMetrics `/api/v1/write`, … */
  endpoint: z
    .string()
    .default(DEFAULT_ENDPOINT)
    .superRefine((text, ctx) => {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: `invalid URL ${JSON.stringify(text)}: expected e.g. http://prometheus:9090/api/v1/write` });
        return;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text)}: only http:// and https:// URLs` });
      if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'no credentials in the URL: use basic_auth or bearer_token_file' });
    }),
  /** Sent with every request (e.g. X-Scope-OrgID for Mimir/Cortex tenants). Never logged. */
  headers: z
    .record(z.string().regex(HEADER_NAME, 'header names must be HTTP tokens'), scalarText)
    .superRefine((headers, ctx) => {
      for (const name of Object.keys(headers)) {
        if (PROTOCOL_HEADERS.includes(name.toLowerCase()))
          ctx.addIssue({ code: 'custom', path: [name], message: `${name} is set by the exporter (remote write 1.0)` });
      }
    })
    .default({}),
  /** `Authorization: Bearer <the file's content>`; the file is re-read for every request (rotated tokens). */
  bearer_token_file: readableFile.optional(),
  basic_auth: configObject({
    username: z.string().min(1),
    /** Re-read for every request. */
    password_file: readableFile,
  }).optional(),
  /** For https endpoints: CA, client certificate, server name. */
  tls: clientTlsConfigSchema.optional(),
  /** Deadline of one request. */
  timeout: duration({ min: 1 }).prefault('5s'),
  /** How often what is new in the snapshot is sent. */
  interval: duration({ min: 10 }).prefault('10s'),
  /** Prefix of every metric name (`namespace_`). */
  namespace: z.string().regex(LABEL_NAME, 'a metric name prefix: [a-zA-Z_][a-zA-Z0-9_]*').optional(),
  /** Labels added to every series that does not have them, e.g. cloud and region. */
  external_labels: z
    .record(z.string(), z.string().min(1, 'an empty value would remove the label'))
    .superRefine((labels, ctx) => {
      for (const name of Object.keys(labels)) {
        if (!LABEL_NAME.test(name))
          ctx.addIssue({ code: 'custom', path: [name], message: `invalid label name ${JSON.stringify(name)}: label names are [a-zA-Z_][a-zA-Z0-9_]*` });
        else if (name.startsWith('__')) ctx.addIssue({ code: 'custom', path: [name], message: 'names starting with __ are reserved' });
      }
    })
    .default({}),
  /** How many requests may wait while the receiver is unreachable; past it the oldest is dropped (and counted). */
  sending_queue: sendingQueueSchema,
  /** Retried: connection errors, timeouts, 5xx and 429; never other 4xx (remote write 1.0). */
  retry_on_failure: retryOnFailureSchema,
})
  .superRefine((config, ctx) => {
    const authorization = Object.keys(config.headers).some((name) => name.toLowerCase() === 'authorization');
    const sources = [config.bearer_token_file !== undefined, config.basic_auth !== undefined, authorization].filter(Boolean).length;
    if (sources > 1)
      ctx.addIssue({
        code: 'custom',
        path: [config.bearer_token_file !== undefined ? 'bearer_token_file' : 'basic_auth'],
        message: 'one of bearer_token_file, basic_auth or an Authorization header',
      });
    if (config.tls && !config.endpoint.startsWith('https:')) ctx.addIssue({ code: 'custom', path: ['tls'], message: 'TLS settings need an https:// endpoint' });
  })
  .prefault({});

export type PrometheusRemoteWriteConfig = z.output<typeof prometheusRemoteWriteConfigSchema>;
