/**
 * A real OTLP metrics receiver for tests, decoding with the official .proto files (test/fixtures/otlp-proto,
 * see SOURCES.md there) through @grpc/proto-loader (protobufjs):
 *
 * - OTLP/HTTP: POST <any prefix>/v1/metrics (or any path: it is recorded) as application/x-protobuf or
 *   application/json, optionally gzip-compressed;
 * - OTLP/gRPC: opentelemetry.proto.collector.metrics.v1.MetricsService/Export.
 *
 * JSON bodies are checked against the same definitions: protobufjs builds the message from the JSON (OTLP/JSON's
 * lowerCamelCase names, 64-bit integers as strings, enums as numbers), encodes it, and decodes it again.
 *
 * Faults on demand: `failNext(n, …)` answers the next n requests with an HTTP status (503, 429, …) or a gRPC
 * status; `stop()` and `restart()` take both servers down and bring them back on the same ports (an outage).
 * Optional TLS for both servers.
 */
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { repoRoot } from './fixtures.js';
import { freePort } from './ports.js';
import { pollUntil } from './process.js';

const SERVICE = 'opentelemetry.proto.collector.metrics.v1.MetricsService';

export type Transport = 'http/protobuf' | 'http/json' | 'grpc';
export type AttributeValue = string | number | boolean;

export interface ReceivedPoint {
  readonly metric: string;
  readonly unit: string;
  readonly description: string;
  readonly type: 'gauge' | 'sum' | 'histogram' | 'other';
  /** Sums and histograms: 'delta' or 'cumulative'. */
  readonly temporality?: 'delta' | 'cumulative' | 'unspecified';
  readonly monotonic?: boolean;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /** The number; for a histogram, its count. */
  readonly value: number;
  readonly histogram?: ReceivedHistogram;
  readonly startTimeUnixNano: bigint;
  readonly timeUnixNano: bigint;
}

export interface ReceivedHistogram {
  readonly count: number;
  readonly sum: number | undefined;
  readonly bucketCounts: readonly number[];
  readonly explicitBounds: readonly number[];
  readonly min: number | undefined;
  readonly max: number | undefined;
}

export interface ReceivedExport {
  readonly transport: Transport;
  readonly path: string;
  /** HTTP headers or gRPC metadata, lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** `gzip` when the HTTP body was gzip-compressed. */
  readonly contentEncoding: string | undefined;
  readonly resource: Readonly<Record<string, AttributeValue>>;
  readonly scopes: readonly { readonly name: string; readonly version: string }[];
  readonly points: readonly ReceivedPoint[];
}

export interface ReceiverTls {
  readonly cert: Buffer;
  readonly key: Buffer;
}

interface Fault {
  remaining: number;
  httpStatus: number;
  grpcCode: grpc.status;
  retryAfter: string | undefined;
}

interface Decoded {
  resourceMetrics?: {
    resource?: { attributes?: KeyValue[] };
    scopeMetrics?: { scope?: { name?: string; version?: string }; metrics?: DecodedMetric[] }[];
  }[];
}
interface KeyValue {
  key: string;
  value?: { value?: string; stringValue?: string; boolValue?: boolean; intValue?: string; doubleValue?: number };
}
interface DecodedPoint {
  attributes?: KeyValue[];
  startTimeUnixNano?: string;
  timeUnixNano?: string;
  value?: 'asDouble' | 'asInt';
  asDouble?: number;
  asInt?: string;
}
interface DecodedHistogramPoint {
  attributes?: KeyValue[];
  startTimeUnixNano?: string;
  timeUnixNano?: string;
  count?: string;
  sum?: number;
  bucketCounts?: string[];
  explicitBounds?: number[];
  min?: number;
  max?: number;
}
interface DecodedMetric {
  name: string;
  unit?: string;
  description?: string;
  data?: string;
  gauge?: { dataPoints?: DecodedPoint[] };
  sum?: { dataPoints?: DecodedPoint[]; aggregationTemporality?: number; isMonotonic?: boolean };
  histogram?: { dataPoints?: DecodedHistogramPoint[]; aggregationTemporality?: number };
}

let definition: protoLoader.PackageDefinition | undefined;

/** The MetricsService definition, loaded once from the vendored official .proto files. */
export function metricsServiceDefinition(): grpc.ServiceDefinition {
  definition ??= protoLoader.loadSync('opentelemetry/proto/collector/metrics/v1/metrics_service.proto', {
    includeDirs: [path.join(repoRoot(), 'test/fixtures/otlp-proto')],
    keepCase: false,
    longs: String,
    enums: Number,
    defaults: false,
    oneofs: true,
  });
  return definition[SERVICE] as grpc.ServiceDefinition;
}

export class OtlpReceiver {
  /** Every export accepted, in order of arrival. */
  readonly exports: ReceivedExport[] = [];
  /** Requests of any outcome (accepted, failed on purpose, undecodable). */
  requests = 0;
  /** Bodies that did not decode, with the reason. */
  readonly decodeErrors: string[] = [];
  private fault: Fault | undefined;
  private httpServer: http.Server | undefined;
  private grpcServer: grpc.Server | undefined;
  private readonly service = metricsServiceDefinition();

  private constructor(
    readonly httpPort: number,
    readonly grpcPort: number,
    private readonly tls: ReceiverTls | undefined,
  ) {}

  static async start(options: { tls?: ReceiverTls } = {}): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver(await freePort(), await freePort(), options.tls);
    await receiver.listen();
    return receiver;
  }

  /** Base URL for the http protocols (the exporter appends /v1/metrics). */
  get httpEndpoint(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.httpPort}`;
  }

  get grpcEndpoint(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.grpcPort}`;
  }

  get running(): boolean {
    return this.httpServer !== undefined;
  }

  /** Answers the next `count` requests with an error instead of accepting them. */
  failNext(count: number, options: { httpStatus?: number; grpcCode?: grpc.status; retryAfter?: string } = {}): void {
    this.fault = {
      remaining: count,
      httpStatus: options.httpStatus ?? 503,
      grpcCode: options.grpcCode ?? grpc.status.UNAVAILABLE,
      retryAfter: options.retryAfter,
    };
  }

  /** Every data point received so far, optionally of one metric. */
  points(metric?: string): ReceivedPoint[] {
    const all = this.exports.flatMap((received) => received.points);
    return metric === undefined ? all : all.filter((point) => point.metric === metric);
  }

  /** Waits until `predicate` holds for the exports received so far; returns its value. */
  waitFor<T>(what: string, predicate: (exports: readonly ReceivedExport[]) => T, timeoutMs = 10_000): Promise<NonNullable<T>> {
    return pollUntil(() => predicate(this.exports), {
      what,
      timeoutMs,
      intervalMs: 20,
      context: () =>
        `received ${this.exports.length} exports over ${this.requests} requests${this.decodeErrors.length ? `; decode errors: ${this.decodeErrors.join('; ')}` : ''}`,
    });
  }

  /** Closes both servers and every connection to them: the backend is down. */
  async stop(): Promise<void> {
    const httpServer = this.httpServer;
    const grpcServer = this.grpcServer;
    this.httpServer = undefined;
    this.grpcServer = undefined;
    if (httpServer) {
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    }
    grpcServer?.forceShutdown();
  }

  /** Brings both servers back on the same ports. */
  async restart(): Promise<void> {
    if (this.running) return;
    await this.listen();
  }

  private async listen(): Promise<void> {
    const handler = (request: http.IncomingMessage, response: http.ServerResponse): void => void this.handleHttp(request, response);
    const httpServer = this.tls ? https.createServer({ cert: this.tls.cert, key: this.tls.key }, handler) : http.createServer(handler);
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(this.httpPort, '127.0.0.1', () => resolve());
    });
    this.httpServer = httpServer;

    const grpcServer = new grpc.Server();
    grpcServer.addService(this.service, {
      Export: (call: grpc.ServerUnaryCall<Decoded, unknown>, callback: grpc.sendUnaryData<unknown>) => this.handleGrpc(call, callback),
    });
    const credentials = this.tls
      ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: this.tls.cert, private_key: this.tls.key }], false)
      : grpc.ServerCredentials.createInsecure();
    await new Promise<void>((resolve, reject) =>
      grpcServer.bindAsync(`127.0.0.1:${this.grpcPort}`, credentials, (error) => (error ? reject(error) : resolve())),
    );
    this.grpcServer = grpcServer;
  }

  private takeFault(): Fault | undefined {
    const fault = this.fault;
    if (!fault || fault.remaining <= 0) return undefined;
    fault.remaining--;
    return fault;
  }

  private async handleHttp(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    this.requests++;
    const url = request.url ?? '/';
    if (request.method !== 'POST') {
      response.writeHead(405).end();
      return;
    }
    const fault = this.takeFault();
    if (fault) {
      response
        .writeHead(fault.httpStatus, { 'content-type': 'text/plain', ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}) })
        .end('injected failure');
      return;
    }
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim();
    const contentEncoding = request.headers['content-encoding'];
    try {
      let body = Buffer.concat(chunks);
      if (contentEncoding === 'gzip') body = gunzipSync(body);
      else if (contentEncoding !== undefined && contentEncoding !== 'identity') throw new Error(`unsupported content-encoding ${contentEncoding}`);
      const method = this.service.Export!;
      let decoded: Decoded;
      let transport: Transport;
      if (contentType === 'application/x-protobuf') {
        decoded = method.requestDeserialize(body) as Decoded;
        transport = 'http/protobuf';
      } else if (contentType === 'application/json') {
        decoded = method.requestDeserialize(method.requestSerialize(JSON.parse(body.toString('utf8')))) as Decoded;
        transport = 'http/json';
      } else {
        response.writeHead(415, { 'content-type': 'text/plain' }).end(`unsupported content-type ${contentType}`);
        return;
      }
      this.exports.push(normalize(decoded, transport, url, headersOf(request.headers), contentEncoding));
      if (transport === 'http/json') response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(method.responseSerialize({}));
    } catch (error) {
      this.decodeErrors.push((error as Error).message);
      response.writeHead(400, { 'content-type': 'text/plain' }).end(`cannot decode: ${(error as Error).message}`);
    }
  }

  private handleGrpc(call: grpc.ServerUnaryCall<Decoded, unknown>, callback: grpc.sendUnaryData<unknown>): void {
    this.requests++;
    const fault = this.takeFault();
    if (fault) {
      callback({ code: fault.grpcCode, details: 'injected failure' });
      return;
    }
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(call.metadata.getMap())) headers[key] = String(value);
    this.exports.push(normalize(call.request, 'grpc', call.getPath(), headers, headers['grpc-encoding']));
    callback(null, {});
  }
}

function headersOf(raw: http.IncomingHttpHeaders): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
}

function normalize(
  decoded: Decoded,
  transport: Transport,
  requestPath: string,
  headers: Record<string, string>,
  contentEncoding: string | undefined,
): ReceivedExport {
  let resource: Record<string, AttributeValue> = {};
  const scopes: { name: string; version: string }[] = [];
  const points: ReceivedPoint[] = [];
  for (const resourceMetrics of decoded.resourceMetrics ?? []) {
    resource = attributesOf(resourceMetrics.resource?.attributes);
    for (const scopeMetrics of resourceMetrics.scopeMetrics ?? []) {
      scopes.push({ name: scopeMetrics.scope?.name ?? '', version: scopeMetrics.scope?.version ?? '' });
      for (const metric of scopeMetrics.metrics ?? []) {
        const base = { metric: metric.name, unit: metric.unit ?? '', description: metric.description ?? '' };
        if (metric.gauge) {
          for (const point of metric.gauge.dataPoints ?? []) points.push({ ...base, type: 'gauge', ...pointOf(point) });
        } else if (metric.sum) {
          const temporality = temporalityOf(metric.sum.aggregationTemporality);
          for (const point of metric.sum.dataPoints ?? [])
            points.push({ ...base, type: 'sum', temporality, monotonic: metric.sum.isMonotonic === true, ...pointOf(point) });
        } else if (metric.histogram) {
          const temporality = temporalityOf(metric.histogram.aggregationTemporality);
          for (const point of metric.histogram.dataPoints ?? []) points.push({ ...base, type: 'histogram', temporality, ...histogramPointOf(point) });
        } else {
          points.push({ ...base, type: 'other', attributes: {}, value: Number.NaN, startTimeUnixNano: 0n, timeUnixNano: 0n });
        }
      }
    }
  }
  return { transport, path: requestPath, headers, contentEncoding, resource, scopes, points };
}

function temporalityOf(value: number | undefined): 'delta' | 'cumulative' | 'unspecified' {
  return value === 1 ? 'delta' : value === 2 ? 'cumulative' : 'unspecified';
}

function histogramPointOf(point: DecodedHistogramPoint): Pick<ReceivedPoint, 'attributes' | 'value' | 'startTimeUnixNano' | 'timeUnixNano' | 'histogram'> {
  const count = Number(point.count ?? '0');
  return {
    attributes: attributesOf(point.attributes),
    value: count,
    startTimeUnixNano: BigInt(point.startTimeUnixNano ?? '0'),
    timeUnixNano: BigInt(point.timeUnixNano ?? '0'),
    histogram: {
      count,
      sum: point.sum,
      bucketCounts: (point.bucketCounts ?? []).map(Number),
      explicitBounds: point.explicitBounds ?? [],
      min: point.min,
      max: point.max,
    },
  };
}

function pointOf(point: DecodedPoint): Pick<ReceivedPoint, 'attributes' | 'value' | 'startTimeUnixNano' | 'timeUnixNano'> {
  const value = point.value === 'asInt' ? Number(point.asInt) : (point.asDouble ?? Number.NaN);
  return {
    attributes: attributesOf(point.attributes),
    value,
    startTimeUnixNano: BigInt(point.startTimeUnixNano ?? '0'),
    timeUnixNano: BigInt(point.timeUnixNano ?? '0'),
  };
}

function attributesOf(keyValues: KeyValue[] | undefined): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  for (const { key, value } of keyValues ?? []) {
    if (!value) continue;
    if (value.stringValue !== undefined) attributes[key] = value.stringValue;
    else if (value.boolValue !== undefined) attributes[key] = value.boolValue;
    else if (value.intValue !== undefined) attributes[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) attributes[key] = value.doubleValue;
  }
  return attributes;
}
