import { z } from 'zod';
import { configObject, duration } from '../../core/config/schema.js';
import { retryOnFailureSchema, sendingQueueSchema } from '../../internal/exporterhelper/config.js';
import { CERTIFICATE, pemFile, PRIVATE_KEY } from '../../core/config/pem.js';

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

/** Where each protocol sends when `endpoint` is not set: the OTLP default ports on loopback. */
export const DEFAULT_ENDPOINTS: Readonly<Record<OtlpProtocol, string>> = {
  'http/protobuf': 'http://127.0.0.1:4318',
  'http/json': 'http://127.0.0.1:4318',
  grpc: 'http://127.0.0.1:4317',
};

/** The OTLP/HTTP path of the metrics signal, appended to `endpoint` as the Collector's otlphttp exporter does. */
export const METRICS_PATH = 'v1/metrics';

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A YAML scalar. `${env:TOKEN}` becomes a number or boolean when the variable looks like one. */
const scalar = z.union([z.string(), z.number(), z.boolean()]);
/** Headers are text, whatever YAML made of the value. */
const scalarText = scalar.transform(String);
/** What Node (RFC 9110 field-value) refuses in a header value: control characters other than tab, and DEL. */
const INVALID_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** A header value Node will send: checked here, as otherwise every export fails (ERR_INVALID_CHAR) and is retried. */
const headerValue = scalarText.superRefine((value, ctx) => {
  const bad = INVALID_HEADER_VALUE.exec(value);
  if (bad)
    ctx.addIssue({
      code: 'custom',
      message: `header value has a control character (${JSON.stringify(bad[0])} at position ${bad.index}): a header value cannot span lines or hold control characters`,
    });
});

const tlsSchema = configObject({
  /** PEM file with the CA certificates that may sign the server's certificate (default: Node's bundled roots). */
  ca_file: pemFile(CERTIFICATE).optional(),
  /** PEM client certificate, for mutual TLS. Needs `key_file`. */
  cert_file: pemFile(CERTIFICATE).optional(),
  /** PEM private key of `cert_file`. */
  key_file: pemFile(PRIVATE_KEY).optional(),
  /** Accept any server certificate. For tests only: it gives up the authentication of the backend. */
  insecure_skip_verify: z.boolean().default(false),
})
  .superRefine((tls, ctx) => {
    if ((tls.cert_file === undefined) !== (tls.key_file === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [tls.cert_file === undefined ? 'cert_file' : 'key_file'],
        message: 'cert_file and key_file go together: set both or neither',
      });
    }
  })
  .prefault({});

const resourceSchema = configObject({
  /** Merged over service.name=zkotel, service.version and service.instance.id (a random UUID per process). */
  attributes: z.record(z.string().min(1, 'attribute names must not be empty'), scalar).default({}),
}).prefault({});

export const otlpExporterConfigSchema = configObject({
  protocol: z.enum(['http/protobuf', 'http/json', 'grpc']).default('http/protobuf'),
  /**
   * http(s) URL of the backend. For the http protocols it is the base URL, to which `/v1/metrics` is appended
   * (`https://otlp.example.com/otlp` posts to `https://otlp.example.com/otlp/v1/metrics`); for grpc it is
   * `http(s)://host:port`. Default: `http://127.0.0.1:4318`, or `http://127.0.0.1:4317` for grpc.
   */
  endpoint: z.string().optional(),
  /** Full URL for the http protocols, used as it is: for backends whose metrics path is not `/v1/metrics`. */
  metrics_endpoint: z.string().optional(),
  /** Sent with every request (gRPC: as metadata). Never logged. */
  headers: z.record(z.string().regex(HEADER_NAME, "header names must be HTTP tokens (letters, digits, !#$%&'*+-.^_`|~)"), headerValue).default({}),
  compression: z.enum(['none', 'gzip']).default('none'),
  /** Deadline of one export request, the official exporter's own quick retries included. */
  timeout: duration({ min: 1 }).prefault('10s'),
  /** How often the latest snapshot is pushed. */
  interval: duration({ min: 10 }).prefault('10s'),
  /** `delta` sends counters as the increase since the previous export; gauges are sent as they are either way. */
  temporality: z.enum(['cumulative', 'delta']).default('cumulative'),
  tls: tlsSchema,
  resource: resourceSchema,
  /** How many exports may wait; retries drop the oldest when newer ones arrive. */
  sending_queue: sendingQueueSchema,
  /** Retried: 429, 502, 503, 504, gRPC UNAVAILABLE and the like, connection errors, timeouts. */
  retry_on_failure: retryOnFailureSchema,
})
  .superRefine((config, ctx) => {
    const endpoint = config.endpoint ?? DEFAULT_ENDPOINTS[config.protocol];
    const url = parseHttpUrl(endpoint);
    if (typeof url === 'string') {
      ctx.addIssue({ code: 'custom', path: ['endpoint'], message: url });
      return;
    }
    if (config.protocol === 'grpc') {
      if (url.pathname !== '/' || url.search !== '')
        ctx.addIssue({ code: 'custom', path: ['endpoint'], message: `a gRPC endpoint has no path: write ${url.protocol}//${url.host}` });
      if (config.metrics_endpoint !== undefined)
        ctx.addIssue({ code: 'custom', path: ['metrics_endpoint'], message: 'only for the http protocols; gRPC uses endpoint' });
      for (const name of Object.keys(config.headers)) {
        if (name.toLowerCase().endsWith('-bin'))
          ctx.addIssue({ code: 'custom', path: ['headers', name], message: 'binary (-bin) gRPC metadata is not supported' });
      }
    } else if (config.metrics_endpoint !== undefined) {
      const full = parseHttpUrl(config.metrics_endpoint);
      if (typeof full === 'string') ctx.addIssue({ code: 'custom', path: ['metrics_endpoint'], message: full });
    }
    const target = config.protocol !== 'grpc' && config.metrics_endpoint !== undefined ? parseHttpUrl(config.metrics_endpoint) : url;
    const tlsSet = config.tls.ca_file !== undefined || config.tls.cert_file !== undefined || config.tls.insecure_skip_verify;
    if (tlsSet && typeof target !== 'string' && target.protocol === 'http:') {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'TLS settings need an https:// endpoint; this one is plain http' });
    }
  })
  .transform((config) => ({ ...config, endpoint: config.endpoint ?? DEFAULT_ENDPOINTS[config.protocol] }))
  .prefault({});

export type OtlpExporterConfig = z.output<typeof otlpExporterConfigSchema>;

function parseHttpUrl(text: string): URL | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `invalid URL ${JSON.stringify(text)}: expected e.g. http://127.0.0.1:4318 or https://otlp.example.com`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `unsupported scheme "${url.protocol}" in ${JSON.stringify(text)}: use http:// or https://`;
  return url;
}

/**
 * The URL the http protocols post to: `metrics_endpoint` as it is, else `endpoint` + `/v1/metrics` (the
 * Collector's otlphttp rule: a trailing slash is not doubled, a path prefix is kept).
 */
export function metricsUrl(config: Pick<OtlpExporterConfig, 'endpoint' | 'metrics_endpoint'>): string {
  if (config.metrics_endpoint !== undefined) return config.metrics_endpoint;
  const url = new URL(config.endpoint);
  url.pathname = url.pathname.endsWith('/') ? `${url.pathname}${METRICS_PATH}` : `${url.pathname}/${METRICS_PATH}`;
  return url.href;
}

/** The address to show in logs: no credentials, no query (either may hold a secret). */
export function displayUrl(text: string): string {
  try {
    const url = new URL(text);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.pathname === '/' ? url.origin : url.href;
  } catch {
    return '(invalid URL)';
  }
}
