import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ResourceMetrics, ScopeMetrics } from '@opentelemetry/sdk-metrics';
import type { Batch } from '../../core/batch.js';
import type { CreateSettings, Exporter } from '../../core/component.js';
import type { Logger } from '../../core/logger.js';
import { snapshotToScopeMetrics, SnapshotStore, type ConversionIssues } from '../../core/snapshot.js';
import { SECONDS_BUCKETS, type CounterHandle, type GaugeHandle, type HistogramHandle, type SelfTelemetry } from '../../core/telemetry.js';
import { AGENT_NAME, AGENT_VERSION } from '../../version.js';
import { displayUrl, metricsUrl, type OtlpExporterConfig } from './config.js';
import { EMPTY_DELTA_STATE, toDelta, type DeltaState } from './delta.js';
import { Backoff, BoundedQueue } from './queue.js';
import { classifyFailure, createOtlpClient, type FailureInfo, type OtlpClient } from './transport.js';

/** `service.instance.id` of this agent process, shared by every otlp exporter in it, unless the config sets one. */
export const SERVICE_INSTANCE_ID = randomUUID();

/** The agent stops within 5 s of a signal; the final flush must fit in that, whatever `timeout` says. */
export const SHUTDOWN_FLUSH_CAP_MS = 4000;
/** Beyond `timeout`, how long an export may stay unanswered before it counts as failed (a safety net only). */
const EXPORT_GRACE_MS = 5000;

export type DropReason = 'queue_full' | 'rejected' | 'retries_exhausted' | 'shutdown';

/** One snapshot of every source, as it was at one `interval` tick, waiting to be sent. */
interface PendingExport {
  readonly batches: readonly Batch[];
  readonly samples: number;
  /** When the first attempt to send it started: the clock of `max_elapsed_time`. */
  firstAttemptMs: number | undefined;
  /** Accounted for (sent or dropped): counted once, whatever finishes late. */
  settled: boolean;
}

type Outcome = { readonly sent: true } | { readonly sent: false; readonly failure: FailureInfo };

interface OtlpTelemetry {
  readonly sent: CounterHandle;
  readonly failed: CounterHandle;
  readonly dropped: CounterHandle;
  readonly queueSize: GaugeHandle;
  readonly queueCapacity: GaugeHandle;
  readonly duration: HistogramHandle;
}

/** SelfTelemetry keeps one series set per name, so exporters re-created by a reload count on in the same series. */
function otlpTelemetry(telemetry: SelfTelemetry): OtlpTelemetry {
  return {
    sent: telemetry.counter('zkotel.exporter.otlp.sent', { description: 'Data points the OTLP backend accepted.' }),
    failed: telemetry.counter('zkotel.exporter.otlp.failed', {
      description: "Export requests that failed, by reason; each attempt counts once, the official exporter's own quick retries included in it.",
    }),
    dropped: telemetry.counter('zkotel.exporter.otlp.dropped', { description: 'Samples given up on without being delivered, by reason (queue_full, rejected, retries_exhausted, shutdown).' }),
    queueSize: telemetry.gauge('zkotel.exporter.otlp.queue.size', { valueType: 'int', description: 'Snapshots waiting in the sending queue (one more may be in flight).' }),
    queueCapacity: telemetry.gauge('zkotel.exporter.otlp.queue.capacity', { valueType: 'int', description: 'sending_queue.queue_size: most snapshots the queue holds.' }),
    duration: telemetry.histogram('zkotel.exporter.otlp.export.duration', { unit: 's', boundaries: SECONDS_BUCKETS, description: 'How long export requests took, successful or not.' }),
  };
}

/**
 * Pushes the latest snapshot of its pipelines, and the agent's own zkotel.* metrics, to an OTLP backend every
 * `interval`, through the official OpenTelemetry JS exporter of the configured protocol.
 *
 * Queue. Each tick puts one snapshot (references to the latest batch of every source, so it costs an array) in
 * a FIFO of at most `sending_queue.queue_size` entries; one more may be in flight. Past the bound the OLDEST is
 * dropped: with cumulative temporality the newest snapshot carries every counter in full, so a drop costs gauge
 * resolution, never counts. Delta temporality is computed at send time against the last values *delivered*, so
 * there too a dropped snapshot loses no increments: the next delta spans it.
 *
 * Retries, in two layers that do not multiply blindly:
 * - inside one export call, the official http exporters retry 429/502/503/504, connection errors and timeouts
 *   themselves (up to 5 times, from 1 s, honouring Retry-After), but never past `timeout`; the gRPC exporter
 *   does not retry. One attempt, as counted here, is one such call: it takes at most `timeout`;
 * - between attempts, this exporter waits `retry_on_failure` backoff (initial_interval × 1.5ⁿ ± 50%, at most
 *   max_interval) and tries the same snapshot again, oldest first, until it is delivered, dropped by the queue
 *   bound, or `max_elapsed_time` has passed. Answers that cannot succeed later (HTTP 400, 401, 403, 404, 413;
 *   gRPC INVALID_ARGUMENT, UNAUTHENTICATED, PERMISSION_DENIED, UNIMPLEMENTED, …) drop the snapshot at once.
 *
 * Logs: one warning when exports start failing, one line when they work again (with how long, how many attempts
 * and how many samples were dropped meanwhile), one warning the first time the queue overflows. Header values
 * are never logged.
 */
export class OtlpExporter implements Exporter {
  private readonly store = new SnapshotStore();
  private readonly queue: BoundedQueue<PendingExport>;
  private readonly backoff: Backoff;
  private readonly logger: Logger;
  private readonly telemetry: SelfTelemetry;
  private readonly counters: OtlpTelemetry;
  private readonly attributes: { readonly exporter: string };
  private readonly resource: Resource;
  private readonly url: string;
  private readonly reported = new Set<string>();
  private client: OtlpClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private deltaState: DeltaState = EMPTY_DELTA_STATE;
  private stopping = false;
  private closed = false;
  private stopped: Promise<void> | undefined;
  /** Export health, for logging once per change. */
  private failing: { since: number; attempts: number; dropped: number } | undefined;
  private queueFullWarned = false;

  constructor(
    settings: CreateSettings,
    private readonly config: OtlpExporterConfig,
  ) {
    this.logger = settings.logger;
    this.telemetry = settings.telemetry;
    this.counters = otlpTelemetry(settings.telemetry);
    this.attributes = { exporter: settings.id };
    this.queue = new BoundedQueue(config.sending_queue.queue_size);
    this.counters.queueCapacity(this.attributes, config.sending_queue.queue_size);
    this.backoff = new Backoff({ initialMs: config.retry_on_failure.initial_interval, maxMs: config.retry_on_failure.max_interval });
    this.resource = resourceFromAttributes({
      'service.name': AGENT_NAME,
      'service.version': AGENT_VERSION,
      'service.instance.id': SERVICE_INSTANCE_ID,
      ...config.resource.attributes,
    });
    this.url = displayUrl(config.protocol === 'grpc' ? config.endpoint : metricsUrl(config));
  }

  /** Snapshots waiting to be sent (not counting one in flight). */
  get queueLength(): number {
    return this.queue.length;
  }

  async start(): Promise<void> {
    if (this.stopped || this.client) return;
    const client = await createOtlpClient(this.config);
    // Shut down while the client was being made: no timer may outlive shutdown.
    if (this.stopped) return;
    this.client = client;
    this.timer = setInterval(() => this.tick(), this.config.interval);
    this.logger.info('exporting metrics over OTLP', { protocol: this.config.protocol, url: this.url, interval_ms: this.config.interval, temporality: this.config.temporality });
  }

  consume(batch: Batch): void {
    if (!this.stopping) this.store.put(batch);
  }

  /** Stops the ticks, then sends what is queued plus the latest snapshot once, within min(timeout, 4 s). */
  shutdown(): Promise<void> {
    this.stopped ??= this.stop();
    return this.stopped;
  }

  private tick(): void {
    if (this.stopping) return;
    this.enqueueSnapshot();
    this.kick();
  }

  private enqueueSnapshot(): void {
    const batches = [...this.store.batches()];
    if (batches.length === 0) return;
    // The agent's own metrics ride along, as Prometheus exporters serve them, unless they have an endpoint of their own.
    if (this.telemetry.servedByExporters) batches.push(this.telemetry.snapshot());
    let samples = 0;
    for (const batch of batches) samples += batch.samples.length;
    this.requeued(this.queue.push({ batches, samples, firstAttemptMs: undefined, settled: false }));
  }

  /** Drops what the queue bound pushed out, and publishes the queue size. */
  private requeued(dropped: PendingExport[]): void {
    for (const item of dropped) this.drop(item, 'queue_full');
    this.counters.queueSize(this.attributes, this.queue.length);
  }

  private take(): PendingExport | undefined {
    const item = this.queue.shift();
    this.counters.queueSize(this.attributes, this.queue.length);
    return item;
  }

  private kick(): void {
    if (this.loop || this.stopping || this.queue.length === 0) return;
    this.loop = this.drain().finally(() => {
      this.loop = undefined;
      this.kick();
    });
  }

  /** The one sender: in order, one export at a time, backing off while the backend fails. */
  private async drain(): Promise<void> {
    for (let item = this.take(); item; item = this.stopping ? undefined : this.take()) {
      item.firstAttemptMs ??= Date.now();
      const outcome = await this.attempt(item);
      if (outcome.sent) {
        this.backoff.reset();
        continue;
      }
      if (this.stopping) {
        // The shutdown flush takes over; once it is over, nothing is left to retry.
        if (this.closed) this.drop(item, 'shutdown');
        else this.requeued(this.queue.unshift(item));
        return;
      }
      const retry = this.config.retry_on_failure;
      if (!outcome.failure.retryable) {
        this.drop(item, 'rejected');
        continue;
      }
      const delay = this.backoff.next();
      if (!retry.enabled || (retry.max_elapsed_time > 0 && Date.now() + delay - item.firstAttemptMs > retry.max_elapsed_time)) {
        this.drop(item, 'retries_exhausted');
        continue;
      }
      this.requeued(this.queue.unshift(item));
      await this.sleep(delay);
    }
  }

  /** One export of one snapshot. Counts what was sent or failed; whether to retry or drop is the caller's call. */
  private async attempt(item: PendingExport): Promise<Outcome> {
    const client = this.client;
    if (!client) return { sent: false, failure: { retryable: false, reason: 'not_started', message: 'exporter not started' } };
    const { resourceMetrics, points, deltaState } = this.convert(item);
    if (points === 0) {
      // Nothing to say yet (delta temporality's first export of counters only): the baselines are kept.
      this.deltaState = deltaState;
      this.settle(item, undefined);
      return { sent: true };
    }
    const started = performance.now();
    const result = await withDeadline(client.export(resourceMetrics), this.config.timeout + EXPORT_GRACE_MS);
    this.counters.duration(this.attributes, (performance.now() - started) / 1000);
    // Given up on by the shutdown flush while this was in flight: already counted as dropped.
    if (item.settled) return result?.code === ExportResultCode.SUCCESS ? { sent: true } : { sent: false, failure: classifyFailure(this.config.protocol, result?.error) };
    if (result && result.code === ExportResultCode.SUCCESS) {
      this.deltaState = deltaState;
      this.counters.sent(this.attributes, points);
      this.settle(item, undefined);
      this.onSuccess();
      return { sent: true };
    }
    const failure = result
      ? classifyFailure(this.config.protocol, result.error)
      : { retryable: true, reason: 'no_answer', message: `no answer from the exporter within ${this.config.timeout + EXPORT_GRACE_MS}ms` };
    this.counters.failed({ ...this.attributes, reason: failure.reason }, 1);
    this.onFailure(failure);
    return { sent: false, failure };
  }

  private convert(item: PendingExport): { resourceMetrics: ResourceMetrics; points: number; deltaState: DeltaState } {
    const issues: ConversionIssues = { conflictingKinds: new Set(), duplicateSeries: new Set() };
    let scopeMetrics: ScopeMetrics = snapshotToScopeMetrics(item.batches, AGENT_NAME, issues);
    this.reportOnce(issues.conflictingKinds, 'metric produced with two different types; keeping the first one seen');
    this.reportOnce(issues.duplicateSeries, 'the same series came from two sources (is an endpoint configured twice?); keeping one');
    let deltaState = this.deltaState;
    if (this.config.temporality === 'delta') {
      ({ scopeMetrics, state: deltaState } = toDelta(scopeMetrics, this.deltaState, { forgetAfterMs: Math.max(3_600_000, 10 * this.config.interval) }));
    }
    scopeMetrics = { scope: { name: AGENT_NAME, version: AGENT_VERSION }, metrics: scopeMetrics.metrics };
    let points = 0;
    for (const metric of scopeMetrics.metrics) points += metric.dataPoints.length;
    return { resourceMetrics: { resource: this.resource, scopeMetrics: [scopeMetrics] }, points, deltaState };
  }

  /** Counts an item that leaves the queue for good: `reason` undefined means delivered. */
  private settle(item: PendingExport, reason: DropReason | undefined): void {
    if (item.settled) return;
    item.settled = true;
    if (reason === undefined) return;
    this.counters.dropped({ ...this.attributes, reason }, item.samples);
    if (this.failing) this.failing.dropped += item.samples;
    if (reason === 'queue_full' && !this.queueFullWarned) {
      this.queueFullWarned = true;
      this.logger.warn('OTLP sending queue full: dropping the oldest snapshots', { url: this.url, queue_size: this.config.sending_queue.queue_size });
    }
  }

  private drop(item: PendingExport, reason: DropReason): void {
    this.settle(item, reason);
  }

  private onFailure(failure: FailureInfo): void {
    if (this.failing) {
      this.failing.attempts++;
      return;
    }
    this.failing = { since: Date.now(), attempts: 1, dropped: 0 };
    this.logger.warn('OTLP export failing', {
      url: this.url,
      reason: failure.reason,
      error: this.redact(failure.message),
      retrying: failure.retryable && this.config.retry_on_failure.enabled,
    });
  }

  private onSuccess(): void {
    if (this.queue.length === 0) this.queueFullWarned = false;
    const failing = this.failing;
    if (!failing) return;
    this.failing = undefined;
    this.logger.info('OTLP export recovered', { url: this.url, failed_for_ms: Date.now() - failing.since, failed_attempts: failing.attempts, dropped_samples: failing.dropped });
  }

  /** A backend may echo a credential in its error body: header values never reach the logs. */
  private redact(text: string): string {
    let redacted = text;
    for (const value of Object.values(this.config.headers)) if (value.length >= 4) redacted = redacted.split(value).join('***');
    return redacted;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).finally(() => {
      this.wake = undefined;
    });
  }

  private async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    this.timer = undefined;
    const client = this.client;
    if (!client) {
      this.store.clear();
      this.closed = true;
      return;
    }
    const deadline = Date.now() + Math.min(this.config.timeout, SHUTDOWN_FLUSH_CAP_MS);
    this.wake?.();
    if (this.loop) await withDeadline(this.loop, deadline - Date.now());
    this.enqueueSnapshot();
    this.store.clear();
    // The flush gets its own official exporter whose deadline is what is left of the budget, so that the official
    // exporter's own retries stop with it instead of running on after shutdown() returned.
    const flushClient = this.queue.length > 0 && deadline - Date.now() > 0 ? await createOtlpClient(this.config, deadline - Date.now()).catch(() => undefined) : undefined;
    this.client = flushClient ?? client;
    for (let item = this.take(); item; item = this.take()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        this.drop(item, 'shutdown');
        continue;
      }
      item.firstAttemptMs ??= Date.now();
      const outcome = await withDeadline(this.attempt(item), remaining);
      if (!outcome?.sent) this.drop(item, 'shutdown');
    }
    this.closed = true;
    const clients = flushClient ? [client, flushClient] : [client];
    await withDeadline(Promise.all(clients.map((c) => c.shutdown().catch(() => {}))), Math.max(0, deadline - Date.now()));
    this.client = undefined;
  }

  private reportOnce(names: Set<string>, message: string): void {
    for (const name of names) {
      if (this.reported.has(`${message}|${name}`)) continue;
      this.reported.add(`${message}|${name}`);
      this.logger.warn(message, { metric: name });
    }
  }
}

/** `promise`'s value, or undefined when it takes longer than `ms`. Never rejects. */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
