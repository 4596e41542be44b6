/**
 * The official OpenTelemetry JS OTLP metric exporters, one per protocol, behind one small interface, and what
 * their errors mean for retrying.
 *
 * What the official exporters do themselves (0.223.0, `@opentelemetry/otlp-exporter-base`):
 * - http/protobuf and http/json wrap their transport in a retrying transport: on 429, 502, 503, 504, a connection
 *   error (ECONNREFUSED, ECONNRESET, …) or a request timeout they retry up to 5 times, 1 s × 1.5ⁿ (±20%, at most
 *   5 s) or after `Retry-After`, but only while the export's `timeoutMillis` deadline allows. One `export()` call
 *   therefore takes at most `timeout`, its quick retries included.
 * - grpc does not retry at all: every gRPC error fails the export at once.
 * - Both read `OTEL_EXPORTER_OTLP_[METRICS_]HEADERS` from the environment and add those headers that the config
 *   does not set; URL, timeout, compression and TLS always come from the config.
 */
import { readFile } from 'node:fs/promises';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { AGENT_NAME, AGENT_VERSION } from '../../version.js';
import { ExportError, oneLine, retryableError } from '../../internal/exporterhelper/errors.js';
import { metricsUrl, type OtlpExporterConfig } from './config.js';

export interface OtlpClient {
  /** Resolves with the official exporter's result; never rejects. */
  export(metrics: ResourceMetrics): Promise<ExportResult>;
  shutdown(): Promise<void>;
}

interface OfficialExporter {
  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

const USER_AGENT = `${AGENT_NAME}/${AGENT_VERSION}`;

interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/**
 * Reads the TLS files and builds the official exporter for `config.protocol`. Fails with a message naming the
 * file. `timeoutMs` (default `config.timeout`) is the official exporter's deadline per export, its own retries
 * included: the shutdown flush uses a client with what is left of its budget, so nothing outlives it.
 */
export async function createOtlpClient(config: OtlpExporterConfig, timeoutMs = config.timeout): Promise<OtlpClient> {
  const tls = await readTls(config.tls);
  config = { ...config, timeout: Math.max(1, Math.round(timeoutMs)) };
  const official = config.protocol === 'grpc' ? await createGrpcExporter(config, tls) : await createHttpExporter(config, tls);
  return {
    export: (metrics) =>
      new Promise<ExportResult>((resolve) => {
        try {
          official.export(metrics, resolve);
        } catch (error) {
          resolve({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
        }
      }),
    shutdown: () => official.shutdown(),
  };
}

async function createHttpExporter(config: OtlpExporterConfig, tls: TlsMaterial): Promise<OfficialExporter> {
  const options = {
    url: metricsUrl(config),
    headers: { ...config.headers },
    compression: config.compression as never,
    timeoutMillis: config.timeout,
    userAgent: USER_AGENT,
    httpAgentOptions: { keepAlive: true, ...tls, rejectUnauthorized: !config.tls.insecure_skip_verify },
  };
  if (config.protocol === 'http/json') {
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-http');
    return new OTLPMetricExporter(options);
  }
  const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-proto');
  return new OTLPMetricExporter(options);
}

async function createGrpcExporter(config: OtlpExporterConfig, tls: TlsMaterial): Promise<OfficialExporter> {
  // @grpc/grpc-js is the copy the official gRPC exporter depends on (same pinned version): its Metadata and
  // credentials must come from that copy.
  const [{ OTLPMetricExporter }, grpc] = await Promise.all([import('@opentelemetry/exporter-metrics-otlp-grpc'), import('@grpc/grpc-js')]);
  const metadata = new grpc.Metadata();
  for (const [name, value] of Object.entries(config.headers)) metadata.set(name.toLowerCase(), value);
  const secure = new URL(config.endpoint).protocol === 'https:';
  const credentials = secure
    ? grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null, config.tls.insecure_skip_verify ? { rejectUnauthorized: false } : {})
    : grpc.credentials.createInsecure();
  return new OTLPMetricExporter({
    url: config.endpoint,
    metadata,
    credentials,
    compression: config.compression as never,
    timeoutMillis: config.timeout,
    userAgent: USER_AGENT,
  });
}

async function readTls(tls: OtlpExporterConfig['tls']): Promise<TlsMaterial> {
  const read = async (key: 'ca_file' | 'cert_file' | 'key_file'): Promise<Buffer | undefined> => {
    const file = tls[key];
    if (file === undefined) return undefined;
    try {
      return await readFile(file);
    } catch (error) {
      throw new Error(`tls.${key}: cannot read ${JSON.stringify(file)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  };
  const [ca, cert, key] = await Promise.all([read('ca_file'), read('cert_file'), read('key_file')]);
  const material: TlsMaterial = {};
  if (ca) material.ca = ca;
  if (cert) material.cert = cert;
  if (key) material.key = key;
  return material;
}

/** HTTP statuses that OTLP/HTTP says to retry. */
const RETRYABLE_HTTP = new Set([429, 502, 503, 504]);
/**
 * gRPC codes that OTLP/gRPC says to retry: CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED (the spec wants
 * RetryInfo for it; treated like HTTP 429 here), ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS.
 */
const RETRYABLE_GRPC = new Set([1, 4, 8, 10, 11, 14, 15]);
const GRPC_CODE_NAMES: Readonly<Record<number, string>> = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  15: 'DATA_LOSS',
  16: 'UNAUTHENTICATED',
};

/**
 * What a failed export means. A numeric `code` is an HTTP status (http protocols) or a gRPC status (grpc).
 * Without one the official exporter met a network error, a timeout, or ran out of its own quick retries on a
 * retryable status; all of these are worth another attempt later.
 */
export function classifyFailure(protocol: OtlpExporterConfig['protocol'], error: unknown): ExportError {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = oneLine(error instanceof Error ? error.message : String(error ?? 'export failed'));
  if (typeof code === 'number') {
    if (protocol === 'grpc') {
      const name = GRPC_CODE_NAMES[code] ?? `code_${code}`;
      return new ExportError(RETRYABLE_GRPC.has(code), `grpc_${name.toLowerCase()}`, message);
    }
    const body = (error as { data?: unknown }).data;
    const detail = typeof body === 'string' && body !== '' ? `: ${oneLine(body)}` : '';
    return new ExportError(RETRYABLE_HTTP.has(code), `http_${code}`, `HTTP ${code}${message ? ` ${message}` : ''}${detail}`);
  }
  if (typeof code === 'string') return retryableError(code, message);
  if (/timed out|timeout/i.test(message)) return retryableError('timeout', message);
  if (/retryable status/i.test(message)) return retryableError('retryable_status', `${message} (429, 502, 503 or 504, after the exporter's own retries)`);
  return retryableError('error', message);
}
