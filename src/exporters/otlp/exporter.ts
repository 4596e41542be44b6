import { randomUUID } from 'node:crypto';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { asyncScheduler, interval, type SchedulerLike, type Subscription } from 'rxjs';
import type { Batch, SourceGone } from '../../core/batch.js';
import type { CreateSettings, Exporter } from '../../core/component.js';
import { SnapshotStore } from '../../internal/exporterhelper/snapshot.js';
import type { SelfTelemetry } from '../../core/telemetry.js';
import { ConversionWarnings } from '../../internal/exporterhelper/conversion-warnings.js';
import { permanentError } from '../../internal/exporterhelper/errors.js';
import { DEFAULT_SHUTDOWN_BUDGET_MS, queuedRetry, type PushContext, type QueuedRetrySender } from '../../internal/exporterhelper/queued-retry.js';
import { AGENT_NAME, AGENT_VERSION } from '../../version.js';
import { displayUrl, metricsUrl, type OtlpExporterConfig } from './config.js';
import { EMPTY_DELTA_STATE, toDelta, type DeltaState } from './delta.js';
import { classifyFailure, createOtlpClient, type OtlpClient } from './transport.js';

/** `service.instance.id` of this agent process, shared by every otlp exporter in it, unless the config sets one. */
export const SERVICE_INSTANCE_ID = randomUUID();

/** Beyond `timeout`, how long an export may stay unanswered before it counts as failed (a safety net only). */
const EXPORT_GRACE_MS = 5000;

/** One snapshot of every source, as it was at one `interval` tick. */
interface Snapshot {
  readonly batches: readonly Batch[];
  readonly samples: number;
}

/**
 * Pushes the latest snapshot of its pipelines, and the agent's own zkotel.* metrics, to an OTLP backend every
 * `interval`, through the official OpenTelemetry JS exporter of the configured protocol. This is convert + push;
 * queueing, retries, timeouts, the shutdown flush, logs and counts are the exporterhelper's (`queuedRetry`).
 *
 * Queue. Each tick queues one snapshot (references to the latest batch of every source, so it costs an array).
 * Past `sending_queue.queue_size` the OLDEST is dropped: with cumulative temporality the newest snapshot carries
 * every counter in full, so a drop costs gauge resolution, never counts. Delta temporality is computed at send
 * time against the last values *delivered*, so there too a dropped snapshot loses no increments.
 *
 * Retries, in two layers that do not multiply blindly:
 * - inside one export call, the official http exporters retry 429/502/503/504, connection errors and timeouts
 *   themselves (up to 5 times, from 1 s, honouring Retry-After), but never past `timeout`; the gRPC exporter
 *   does not retry. One attempt, as counted here, is one such call: it takes at most `timeout`;
 * - between attempts, the exporterhelper waits `retry_on_failure` backoff and tries the same snapshot again.
 *   Answers that cannot succeed later (HTTP 400, 401, 403, 404, 413; gRPC INVALID_ARGUMENT, UNAUTHENTICATED,
 *   PERMISSION_DENIED, UNIMPLEMENTED, …) drop the snapshot at once (see `classifyFailure`).
 *
 * Header values are never logged.
 */
export class OtlpExporter implements Exporter {
  private readonly store = new SnapshotStore();
  private readonly sender: QueuedRetrySender<readonly Batch[]>;
  private readonly warnings: ConversionWarnings;
  private readonly telemetry: SelfTelemetry;
  /** The agent's own metrics go out with each export unless they have an endpoint of their own. */
  private readonly exportsSelfTelemetry: boolean;
  private readonly scheduler: SchedulerLike;
  private readonly resource: Resource;
  private readonly url: string;
  private client: OtlpClient | undefined;
  /** The shutdown flush's own official exporter, whose deadline is what is left of the flush budget. */
  private flushClient: Promise<OtlpClient | undefined> | undefined;
  private ticks: Subscription | undefined;
  private deltaState: DeltaState = EMPTY_DELTA_STATE;
  private stopped: Promise<void> | undefined;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: OtlpExporterConfig,
  ) {
    this.telemetry = settings.telemetry;
    this.exportsSelfTelemetry = settings.exportsSelfTelemetry ?? true;
    this.scheduler = settings.scheduler ?? asyncScheduler;
    this.warnings = new ConversionWarnings(settings.logger);
    this.resource = resourceFromAttributes({
      'service.name': AGENT_NAME,
      'service.version': AGENT_VERSION,
      'service.instance.id': SERVICE_INSTANCE_ID,
      ...config.resource.attributes,
    });
    this.url = displayUrl(config.protocol === 'grpc' ? config.endpoint : metricsUrl(config));
    this.sender = queuedRetry(
      (batches, context) => this.push(batches, context),
      { ...config, timeout: config.timeout + EXPORT_GRACE_MS },
      {
        logger: settings.logger,
        telemetry: settings.telemetry,
        id: settings.id,
        metricPrefix: 'zkotel.exporter.otlp',
        name: 'OTLP',
        logFields: { url: this.url },
        redact: (text) => this.redact(text),
        scheduler: this.scheduler,
        shutdownBudgetMs: Math.min(config.timeout, DEFAULT_SHUTDOWN_BUDGET_MS),
      },
    );
  }

  /** Snapshots waiting to be sent (not counting one in flight). */
  get queueLength(): number {
    return this.sender.queueLength;
  }

  async start(): Promise<void> {
    if (this.stopped || this.client) return;
    const client = await createOtlpClient(this.config);
    // Shut down while the client was being made: no timer may outlive shutdown.
    if (this.stopped) {
      await client.shutdown().catch(() => {});
      return;
    }
    this.client = client;
    this.ticks = interval(this.config.interval, this.scheduler).subscribe(() => {
      const snapshot = this.snapshot();
      if (snapshot) this.sender.send(snapshot.batches, snapshot.samples);
    });
    this.settings.logger.info('exporting metrics over OTLP', {
      protocol: this.config.protocol,
      url: this.url,
      interval_ms: this.config.interval,
      temporality: this.config.temporality,
    });
  }

  consume(batch: Batch): void {
    if (!this.stopped) this.store.put(batch);
  }

  forget(gone: SourceGone): void {
    this.store.forget(gone.source);
  }

  /** Stops the ticks, then sends what is queued plus the latest snapshot once, within min(timeout, 4 s). */
  shutdown(): Promise<void> {
    this.stopped ??= this.stop();
    return this.stopped;
  }

  private snapshot(): Snapshot | undefined {
    const batches = [...this.store.batches()];
    if (batches.length === 0) return undefined;
    // The agent's own metrics ride along, as Prometheus exporters serve them, unless they have an endpoint of their own.
    if (this.exportsSelfTelemetry) batches.push(this.telemetry.snapshot());
    let samples = 0;
    for (const batch of batches) samples += batch.samples.length;
    return { batches, samples };
  }

  /** One export of one snapshot: resolves when the backend accepted it, throws an `ExportError` otherwise. */
  private async push(batches: readonly Batch[], context: PushContext): Promise<void> {
    const client = context.flushing ? ((await this.flushClientFor(context.timeoutMs)) ?? this.client) : this.client;
    if (!client) throw permanentError('not_started', 'exporter not started');
    const { resourceMetrics, points, deltaState } = this.convert(batches);
    // Nothing to say yet (delta temporality's first export of counters only): the baselines are kept.
    if (points > 0) {
      const result = await client.export(resourceMetrics);
      if (result.code !== ExportResultCode.SUCCESS) throw classifyFailure(this.config.protocol, result.error);
    }
    this.deltaState = deltaState;
  }

  /** So that the official exporter's own retries stop with the flush instead of running on after shutdown() returned. */
  private flushClientFor(timeoutMs: number): Promise<OtlpClient | undefined> {
    this.flushClient ??= createOtlpClient(this.config, timeoutMs).catch(() => undefined);
    return this.flushClient;
  }

  private convert(batches: readonly Batch[]): { resourceMetrics: ResourceMetrics; points: number; deltaState: DeltaState } {
    let scopeMetrics = this.warnings.toScopeMetrics(batches, AGENT_NAME);
    let deltaState = this.deltaState;
    if (this.config.temporality === 'delta') {
      ({ scopeMetrics, state: deltaState } = toDelta(scopeMetrics, this.deltaState, { forgetAfterMs: Math.max(3_600_000, 10 * this.config.interval) }));
    }
    scopeMetrics = { scope: { name: AGENT_NAME, version: AGENT_VERSION }, metrics: scopeMetrics.metrics };
    let points = 0;
    for (const metric of scopeMetrics.metrics) points += metric.dataPoints.length;
    return { resourceMetrics: { resource: this.resource, scopeMetrics: [scopeMetrics] }, points, deltaState };
  }

  /** A backend may echo a credential in its error body: header values never reach the logs. */
  private redact(text: string): string {
    let redacted = text;
    for (const value of Object.values(this.config.headers)) if (value.length >= 4) redacted = redacted.split(value).join('***');
    return redacted;
  }

  private async stop(): Promise<void> {
    this.ticks?.unsubscribe();
    this.ticks = undefined;
    const client = this.client;
    const final = client ? this.snapshot() : undefined;
    this.store.clear();
    await this.sender.shutdown(final && { item: final.batches, size: final.samples });
    const clients = [client, await this.flushClient].filter((c): c is OtlpClient => c !== undefined);
    // The official http exporter's shutdown waits for its requests: bounded, as the flush was.
    await raceTimer(Promise.all(clients.map((c) => c.shutdown().catch(() => {}))), Math.min(this.config.timeout, DEFAULT_SHUTDOWN_BUDGET_MS), this.scheduler);
    this.client = undefined;
  }
}

/** Waits for `promise`, or `ms` on `scheduler`, whichever comes first. Never rejects. */
function raceTimer(promise: Promise<unknown>, ms: number, scheduler: SchedulerLike): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = scheduler.schedule(() => resolve(), ms);
    void promise
      .catch(() => {})
      .finally(() => {
        timer.unsubscribe();
        resolve();
      });
  });
}
