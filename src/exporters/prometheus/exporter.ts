import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { PrometheusExporter as OtelPrometheusReader, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type CollectionResult, type MetricProducer } from '@opentelemetry/sdk-metrics';
import type { Batch } from '../../core/batch.js';
import type { CreateSettings, Exporter } from '../../core/component.js';
import { parseHostPort } from '../../core/config/schema.js';
import type { Logger } from '../../core/logger.js';
import { snapshotToScopeMetrics, SnapshotStore, type ConversionIssues } from '../../core/snapshot.js';
import type { SelfTelemetry } from '../../core/telemetry.js';
import { AGENT_NAME, AGENT_VERSION } from '../../version.js';
import type { PrometheusExporterConfig } from './config.js';

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/**
 * Gauges whose names end like a summary's or histogram's series (the Collector's `zookeeper.znode.count`) are
 * exposed as untyped: their names stay as dashboards know them, and Prometheus tooling does not take them for
 * parts of a summary (promtool's lint exempts untyped metrics from that rule).
 */
const RESERVED_SUFFIX_GAUGE = /^# TYPE (\S+_(?:count|sum|bucket)) gauge$/gm;

/**
 * Serves the latest snapshot of its pipelines, and the agent's own zkotel_* metrics, on `/metrics`. A scrape reads the snapshot only:
 * it never triggers a probe and never waits on ZooKeeper.
 */
export class PrometheusExporter implements Exporter {
  private readonly snapshot = new SnapshotStore();
  private readonly reader: OtelPrometheusReader;
  private readonly meterProvider: MeterProvider;
  private readonly serializer: PrometheusSerializer;
  private readonly logger: Logger;
  private readonly telemetry: SelfTelemetry;
  private readonly reported = new Set<string>();
  private readonly resource = resourceFromAttributes({ 'service.name': AGENT_NAME, 'service.version': AGENT_VERSION });
  private server: Server | undefined;

  constructor(
    settings: CreateSettings,
    private readonly config: PrometheusExporterConfig,
  ) {
    this.logger = settings.logger;
    this.telemetry = settings.telemetry;
    const producer: MetricProducer = { collect: async () => this.collectSnapshot() };
    this.reader = new OtelPrometheusReader({ preventServerStart: true, metricProducers: [producer], withoutScopeInfo: true });
    this.meterProvider = new MeterProvider({ resource: this.resource, readers: [this.reader] });
    this.serializer = new PrometheusSerializer(config.namespace, false, undefined, !config.target_info, true);
  }

  get address(): string | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? `${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}` : undefined;
  }

  async start(): Promise<void> {
    const { host, port } = parseHostPort(this.config.endpoint)!;
    const server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(new Error(`cannot listen on ${this.config.endpoint}: ${describeListenError(error)}`)));
      server.listen(port, host, () => resolve());
    });
    server.on('error', (error) => this.logger.error('metrics server error', { error }));
    this.server = server;
    this.logger.info('serving metrics', { url: `http://${this.address}${this.config.path}` });
  }

  consume(batch: Batch): void {
    this.snapshot.put(batch);
  }

  async shutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    this.snapshot.clear();
    await this.meterProvider.shutdown().catch(() => {});
  }

  private async collectSnapshot(): Promise<CollectionResult> {
    const issues: ConversionIssues = { conflictingKinds: new Set(), duplicateSeries: new Set() };
    // The agent's own zkotel_* metrics come with every scrape, as exporters serve their process metrics.
    const batches = [...this.snapshot.batches(), this.telemetry.snapshot()];
    const scopeMetrics = snapshotToScopeMetrics(batches, AGENT_NAME, issues, this.config.const_labels);
    this.reportOnce(issues.conflictingKinds, 'metric produced with two different types; keeping the first one seen');
    this.reportOnce(issues.duplicateSeries, 'the same series came from two sources (is an endpoint configured twice?); keeping one');
    return { resourceMetrics: { resource: this.resource, scopeMetrics: [scopeMetrics] }, errors: [] };
  }

  private reportOnce(names: Set<string>, message: string): void {
    for (const name of names) {
      if (this.reported.has(`${message}|${name}`)) continue;
      this.reported.add(`${message}|${name}`);
      this.logger.warn(message, { metric: name });
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== this.config.path) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found; metrics are at ${this.config.path}\n`);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    try {
      const { resourceMetrics, errors } = await this.reader.collect();
      for (const error of errors) this.logger.error('metrics collection error', { error });
      const body = this.serializer.serialize(resourceMetrics).replace(RESERVED_SUFFIX_GAUGE, '# TYPE $1 untyped');
      response.writeHead(200, { 'content-type': CONTENT_TYPE }).end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      this.logger.error('scrape failed', { error });
      response.writeHead(500, { 'content-type': 'text/plain' }).end(`scrape failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
}

function describeListenError(error: NodeJS.ErrnoException): string {
  if (error.code === 'EADDRINUSE') return 'address already in use (is another agent running?)';
  if (error.code === 'EACCES') return 'permission denied';
  if (error.code === 'EADDRNOTAVAIL') return 'address not available on this machine';
  return error.message;
}
