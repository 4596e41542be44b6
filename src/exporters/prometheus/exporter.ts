import type { IncomingMessage, ServerResponse } from 'node:http';
import { PrometheusExporter as OtelPrometheusReader, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type CollectionResult, type MetricProducer } from '@opentelemetry/sdk-metrics';
import type { Batch } from '../../core/batch.js';
import type { CreateSettings, Exporter } from '../../core/component.js';
import type { Logger } from '../../core/logger.js';
import { SnapshotStore } from '../../core/snapshot.js';
import { SECONDS_BUCKETS, type SelfTelemetry } from '../../core/telemetry.js';
import { ConversionWarnings } from '../../internal/exporterhelper/conversion-warnings.js';
import { AGENT_NAME, AGENT_VERSION } from '../../version.js';
import type { PrometheusExporterConfig } from './config.js';
import { MetricsServer } from './server.js';

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
  private readonly warnings: ConversionWarnings;
  private readonly resource = resourceFromAttributes({ 'service.name': AGENT_NAME, 'service.version': AGENT_VERSION });
  private readonly server: MetricsServer;
  private readonly scrapes: { served(code: number, ms: number): void };
  private readonly includeTelemetry: boolean;

  /** `options.includeTelemetry`: serve the agent's zkotel_* metrics too (default: unless they have their own endpoint). */
  constructor(
    settings: CreateSettings,
    private readonly config: PrometheusExporterConfig,
    options: { includeTelemetry?: boolean } = {},
  ) {
    this.logger = settings.logger;
    this.telemetry = settings.telemetry;
    this.warnings = new ConversionWarnings(settings.logger);
    this.includeTelemetry = options.includeTelemetry ?? settings.telemetry.servedByExporters;
    this.scrapes = scrapeTelemetry(settings);
    const producer: MetricProducer = { collect: async () => this.collectSnapshot() };
    this.reader = new OtelPrometheusReader({ preventServerStart: true, metricProducers: [producer], withoutScopeInfo: true });
    this.meterProvider = new MeterProvider({ resource: this.resource, readers: [this.reader] });
    this.serializer = new PrometheusSerializer(config.namespace, false, undefined, !config.target_info, true);
    this.server = new MetricsServer(config.web_config_file || undefined, (request, response) => this.handle(request, response), this.logger);
  }

  get address(): string | undefined {
    return this.server.address;
  }

  async start(): Promise<void> {
    await this.server.listen(this.config.endpoint);
    this.logger.info('serving metrics', { url: `${this.server.scheme}://${this.address}${this.config.path}`, ...this.server.security });
  }

  /**
   * Re-reads `web_config_file` and swaps it in atomically (certificates via `setSecureContext`, users, headers).
   * A broken file throws with every problem and the running config stays.
   */
  reload(): Promise<void> {
    return this.reloadWebConfig();
  }

  async reloadWebConfig(): Promise<void> {
    await this.server.reloadWebConfig();
  }

  consume(batch: Batch): void {
    this.snapshot.put(batch);
  }

  async shutdown(): Promise<void> {
    await this.server.close();
    this.snapshot.clear();
    await this.meterProvider.shutdown().catch(() => {});
  }

  private async collectSnapshot(): Promise<CollectionResult> {
    // The agent's own zkotel_* metrics come with every scrape, as exporters serve their process metrics.
    const batches = this.includeTelemetry ? [...this.snapshot.batches(), this.telemetry.snapshot()] : this.snapshot.batches();
    const scopeMetrics = this.warnings.toScopeMetrics(batches, AGENT_NAME, this.config.const_labels);
    return { resourceMetrics: { resource: this.resource, scopeMetrics: [scopeMetrics] }, errors: [] };
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
    const started = performance.now();
    try {
      const { resourceMetrics, errors } = await this.reader.collect();
      for (const error of errors) this.logger.error('metrics collection error', { error });
      const body = this.serializer.serialize(resourceMetrics).replace(RESERVED_SUFFIX_GAUGE, '# TYPE $1 untyped');
      response.writeHead(200, { 'content-type': CONTENT_TYPE }).end(request.method === 'HEAD' ? undefined : body);
      this.scrapes.served(200, performance.now() - started);
    } catch (error) {
      this.logger.error('scrape failed', { error });
      response.writeHead(500, { 'content-type': 'text/plain' }).end(`scrape failed: ${error instanceof Error ? error.message : String(error)}\n`);
      this.scrapes.served(500, performance.now() - started);
    }
  }
}

function scrapeTelemetry(settings: CreateSettings): { served(code: number, ms: number): void } {
  const scrapes = settings.telemetry.counter('zkotel.exporter.prometheus.scrapes', { description: 'Scrapes of /metrics served, by HTTP status.' });
  const duration = settings.telemetry.histogram('zkotel.exporter.prometheus.scrape.duration', { unit: 's', boundaries: SECONDS_BUCKETS, description: 'How long serving a scrape took.' });
  const exporter = Object.freeze({ exporter: settings.id });
  return {
    served: (code, ms) => {
      scrapes({ exporter: settings.id, code: String(code) }, 1);
      duration(exporter, ms / 1000);
    },
  };
}
