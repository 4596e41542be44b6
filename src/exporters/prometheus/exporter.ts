import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip, gzipSync } from 'node:zlib';
import { PrometheusExporter as OtelPrometheusReader, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type CollectionResult, type MetricProducer } from '@opentelemetry/sdk-metrics';
import type { Batch, SourceGone } from '../../core/batch.js';
import type { CreateSettings, Exporter } from '../../core/component.js';
import type { Logger } from '../../core/logger.js';
import { CompactSnapshotStore } from '../../internal/exporterhelper/snapshot.js';
import { exposableAttributes, withExposableLabelNames } from './label-names.js';
import { SECONDS_BUCKETS, type SelfTelemetry } from '../../core/telemetry.js';
import { ConversionWarnings } from '../../internal/exporterhelper/conversion-warnings.js';
import { AGENT_NAME, AGENT_VERSION } from '../../version.js';
import type { PrometheusExporterConfig } from './config.js';
import { WebServer } from '../../internal/webserver/server.js';
import { FragmentRenderer, RenderedSnapshot } from './rendering.js';
import { ChunkedBody, GZIP_OPTIONS } from './body.js';
import { ScrapeForecast } from './forecast.js';

const gzipAsync = promisify(gzip);

/**
 * A body whose assembly kept the loop busy for at least MIN_COST_TO_REUSE_MS is remade for a newer snapshot only
 * once it is older than REUSE_FOR_COSTS times what it cost (wall time from the capture to its last chunk ready): many scrapers on a large,
 * ever-changing snapshot then spend at most a third of the time rendering (the body is at most two renderings
 * stale), while a snapshot of up to ~100 targets is always fresh at every scrape.
 */
const REUSE_FOR_COSTS = 2;
const MIN_COST_TO_REUSE_MS = 10;
/**
 * A body for a scrape the forecast expects starts this many times its previous cost before the scrape is due: ready
 * in time when the machine is as busy as last time, and young enough on arrival to be reused (REUSE_FOR_COSTS) even
 * when the scrape comes a little late.
 */
const PREPARE_LEAD_COSTS = 1.25;

/** Whether the client accepts gzip (`Accept-Encoding: gzip`, not `gzip;q=0`). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  for (const part of header.split(',')) {
    const [coding, ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    if (coding !== 'gzip' && coding !== '*') continue;
    const q = params.find((param) => param.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

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
  /** Read only by the OTel path; the samples themselves are not kept (see CompactSnapshotStore). */
  private readonly snapshot = new CompactSnapshotStore();
  private readonly reader: OtelPrometheusReader;
  private readonly meterProvider: MeterProvider;
  private readonly serializer: PrometheusSerializer;
  private readonly logger: Logger;
  private readonly telemetry: SelfTelemetry;
  private readonly warnings: ConversionWarnings;
  private readonly resource = resourceFromAttributes({ 'service.name': AGENT_NAME, 'service.version': AGENT_VERSION });
  private readonly server: WebServer;
  private readonly scrapes: { served(code: number, ms: number): void };
  private readonly includeTelemetry: boolean;
  private readonly rendered: RenderedSnapshot;
  private readonly targetInfo: string;
  private readonly bodyMade: (trigger: 'scrape' | 'forecast') => void;
  /** The sources' part of the last gzipped body (maybe still being made): shared by every scrape that can use it. */
  private gzipBody: ChunkedBody | undefined;
  /** The sources' part of a plain body being made (not kept once made: scrapers ask for gzip). */
  private plainBody: ChunkedBody | undefined;
  private readonly forecast = new ScrapeForecast();
  /** The timer that starts a body for the scrape the forecast expects. */
  private preparing: NodeJS.Timeout | undefined;
  /** The body made for the expected scrape, and until when that scrape may use it (a little late is still it). */
  private prepared: { readonly body: ChunkedBody; readonly until: number } | undefined;

  /** `options.includeTelemetry`: serve the agent's zkotel_* metrics too (default: unless they have their own endpoint). */
  constructor(
    settings: CreateSettings,
    private readonly config: PrometheusExporterConfig,
    options: { includeTelemetry?: boolean } = {},
  ) {
    this.logger = settings.logger;
    this.telemetry = settings.telemetry;
    this.warnings = new ConversionWarnings(settings.logger);
    this.includeTelemetry = options.includeTelemetry ?? settings.exportsSelfTelemetry ?? true;
    this.scrapes = scrapeTelemetry(settings);
    const bodies = settings.telemetry.counter('zkotel.exporter.prometheus.bodies', {
      description: 'Bodies of /metrics made from the snapshot, by what started them: a scrape, or the forecast of the next scrape.',
    });
    this.bodyMade = (trigger) => bodies({ exporter: settings.id, trigger }, 1);
    const producer: MetricProducer = { collect: async () => this.collectSnapshot() };
    this.reader = new OtelPrometheusReader({ preventServerStart: true, metricProducers: [producer], withoutScopeInfo: true });
    this.meterProvider = new MeterProvider({ resource: this.resource, readers: [this.reader] });
    this.serializer = new PrometheusSerializer(config.namespace, false, undefined, !config.target_info, true);
    this.rendered = new RenderedSnapshot(new FragmentRenderer({ namespace: config.namespace ?? '', constantLabels: config.const_labels ?? {} }));
    // target_info exactly as the OTel serializer writes it, once: the resource never changes.
    this.targetInfo = this.serializer.serialize({ resource: this.resource, scopeMetrics: [] }).replace(/# no registered metrics$/, '');
    this.server = new WebServer(
      config.web_config_file || undefined,
      (request, response) => this.handle(request, response),
      this.logger,
      config.max_connections,
    );
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
    return this.server.reloadWebConfig();
  }

  consume(batch: Batch): void {
    this.rendered.put(batch, this.snapshot.put(batch).layout);
  }

  forget(gone: SourceGone): void {
    this.snapshot.forget(gone.source);
    this.rendered.forget(gone.source);
  }

  async shutdown(): Promise<void> {
    await this.server.close();
    this.snapshot.clear();
    this.rendered.clear();
    this.gzipBody = this.plainBody = this.prepared = undefined;
    clearTimeout(this.preparing);
    await this.meterProvider.shutdown().catch(() => {});
  }

  private async collectSnapshot(): Promise<CollectionResult> {
    // The agent's own zkotel_* metrics come with every scrape, as exporters serve their process metrics.
    const batches = this.includeTelemetry ? [...this.snapshot.batches(), this.telemetry.snapshot()] : this.snapshot.batches();
    const scopeMetrics = this.warnings.toScopeMetrics(withExposableLabelNames(batches), AGENT_NAME, exposableAttributes(this.config.const_labels ?? {}));
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
      const gzipped = acceptsGzip(request.headers['accept-encoding']);
      this.forecast.arrived(started, gzipped);
      const parts = (await this.renderedBody(gzipped)) ?? (await this.serializedBody(gzipped));
      const length = parts.reduce((sum, part) => sum + part.length, 0);
      response.writeHead(200, {
        'content-type': CONTENT_TYPE,
        'content-length': length,
        ...(gzipped ? { 'content-encoding': 'gzip' } : {}),
        vary: 'Accept-Encoding',
      });
      if (request.method === 'HEAD') response.end();
      else {
        for (const part of parts.slice(0, -1)) response.write(part);
        response.end(parts[parts.length - 1]);
      }
      this.scrapes.served(200, performance.now() - started);
    } catch (error) {
      this.logger.error('scrape failed', { error });
      response.writeHead(500, { 'content-type': 'text/plain' }).end(`scrape failed: ${error instanceof Error ? error.message : String(error)}\n`);
      this.scrapes.served(500, performance.now() - started);
    }
  }

  /**
   * The body from the pre-rendered fragments: the sources' part (made in chunks from one capture of the
   * snapshot, shared by every scrape that comes while it is made, see body.ts) followed by the agent's own
   * metrics, rendered per scrape. Gzipped, every chunk is a gzip member, and the stream decompresses as one
   * (RFC 1952). Undefined when the snapshot is not regular (kind conflicts, one series from two sources): the OTel
   * path then decides and reports.
   */
  private async renderedBody(gzipped: boolean): Promise<Buffer[] | undefined> {
    const sources = this.sourcesBody(gzipped);
    if (!sources) return undefined;
    const chunks = await sources.complete;
    if (gzipped) this.prepareForNextScrape(sources);
    let own: Buffer = Buffer.alloc(0);
    if (this.includeTelemetry) {
      const ownRendered = this.rendered.renderer.render(this.telemetry.snapshot());
      const names = new Set<string>();
      const bytes = new RenderedSnapshot(this.rendered.renderer).assemble([ownRendered], names);
      if (bytes === undefined || !this.rendered.regularWith([ownRendered]) || [...names].some((name) => sources.names.has(name))) return undefined;
      own = bytes;
    }
    if (sources.names.size === 0 && own.length === 0) own = Buffer.from('# no registered metrics');
    if (own.length === 0) return chunks;
    return [...chunks, gzipped ? gzipSync(own, GZIP_OPTIONS) : own];
  }

  /**
   * When scrapes come at a steady interval and a body takes long to make, the next one is made ahead, timed to be
   * ready just before the scrape is due (gzip only: a plain body is not kept once made). It holds the snapshot of
   * when it started, as a body shared by several scrapers already may (REUSE_FOR_COSTS): about PREPARE_LEAD_COSTS
   * times its cost older than a scrape on time, plus the lateness allowed. When the lead no longer fits before the scrape is due
   * (bodies take about as long as the interval) nothing is made ahead: the reuse rule shares the bodies being made.
   */
  private prepareForNextScrape(served: ChunkedBody): void {
    clearTimeout(this.preparing);
    this.preparing = undefined;
    const next = this.forecast.next();
    const cost = served.costMs;
    if (!next?.gzip || cost === undefined || served.assemblyMs < MIN_COST_TO_REUSE_MS) return;
    const startIn = next.at - PREPARE_LEAD_COSTS * cost - performance.now();
    if (startIn < 0) return;
    this.preparing = setTimeout(() => {
      this.preparing = undefined;
      const current = this.gzipBody;
      // One being made (a scrape came early) or one of the current snapshot: nothing to prepare.
      if (current && (current.costMs === undefined || current.version === this.rendered.version)) return;
      const body = this.sourcesBody(true, 'forecast');
      if (body) this.prepared = { body, until: next.at + Math.max(next.lateness, cost) };
    }, startIn);
    this.preparing.unref();
  }

  /** The body being made or last made, when a scrape may use it; else a new one from the snapshot now. */
  private sourcesBody(gzipped: boolean, trigger: 'scrape' | 'forecast' = 'scrape'): ChunkedBody | undefined {
    const last = gzipped ? this.gzipBody : this.plainBody;
    if (trigger === 'scrape' && last && this.reusable(last)) return last;
    const capture = this.rendered.capture();
    if (!capture) return undefined;
    // Pinned until assembled: batches that arrive meanwhile are rendered into new memory, not into the captured one.
    const body = new ChunkedBody(capture, { gzip: gzipped, prefix: this.targetInfo, assembled: this.rendered.pin() });
    this.bodyMade(trigger);
    if (gzipped) this.gzipBody = body;
    else this.plainBody = body;
    // A failed body is not served again; a plain one is not kept once made.
    body.complete.then(
      () => {
        if (!gzipped && this.plainBody === body) this.plainBody = undefined;
      },
      () => {
        if (this.gzipBody === body) this.gzipBody = undefined;
        if (this.plainBody === body) this.plainBody = undefined;
      },
    );
    return body;
  }

  /** Being made (single flight), made from the current snapshot, or costly and recent enough to share. */
  private reusable(body: ChunkedBody): boolean {
    if (body.costMs === undefined || body.version === this.rendered.version) return true;
    if (this.prepared?.body === body && performance.now() <= this.prepared.until) return true;
    // Gated on the loop's own work, not the wall time: on a busy machine a tiny body can take long to be made, and
    // must still never be served once the snapshot has changed.
    return body.assemblyMs >= MIN_COST_TO_REUSE_MS && performance.now() - body.startedAt < REUSE_FOR_COSTS * body.costMs;
  }

  /** The OTel path: snapshot → metric data → PrometheusSerializer; it also reports kind conflicts and duplicates. */
  private async serializedBody(gzipped: boolean): Promise<Buffer[]> {
    const { resourceMetrics, errors } = await this.reader.collect();
    for (const error of errors) this.logger.error('metrics collection error', { error });
    const body = Buffer.from(this.serializer.serialize(resourceMetrics).replace(RESERVED_SUFFIX_GAUGE, '# TYPE $1 untyped'));
    return [gzipped ? await gzipAsync(body, GZIP_OPTIONS) : body];
  }
}

function scrapeTelemetry(settings: CreateSettings): { served(code: number, ms: number): void } {
  const scrapes = settings.telemetry.counter('zkotel.exporter.prometheus.scrapes', { description: 'Scrapes of /metrics served, by HTTP status.' });
  const duration = settings.telemetry.histogram('zkotel.exporter.prometheus.scrape.duration', {
    unit: 's',
    boundaries: SECONDS_BUCKETS,
    description: 'How long serving a scrape took.',
  });
  const exporter = Object.freeze({ exporter: settings.id });
  return {
    served: (code, ms) => {
      scrapes({ exporter: settings.id, code: String(code) }, 1);
      duration(exporter, ms / 1000);
    },
  };
}
