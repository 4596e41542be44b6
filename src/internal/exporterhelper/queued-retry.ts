/**
 * The sending side of a push exporter, in the spirit of the Collector's `exporterhelper`: an exporter hands it a
 * `push(item)` function, and this owns the bounded queue, retries with exponential backoff, the per-attempt
 * timeout, the shutdown flush, the failure-transition logs and the counts. An exporter is then convert + push.
 *
 * Time comes from an RxJS `SchedulerLike` (default `asyncScheduler`), so every timer here runs in virtual time
 * under a `TestScheduler`.
 *
 * Accounting is exact: every item sent in is counted once, either as delivered (`<prefix>.sent`) or as dropped
 * (`<prefix>.dropped{reason}`), in the units the exporter gives (`size`, e.g. samples). Drop reasons:
 * - `queue_full`: pushed out of the full queue, oldest first;
 * - `rejected`: the backend answered with a permanent error (see `ExportError`);
 * - `retries_exhausted`: retryable, but retries are disabled or `max_elapsed_time` is over;
 * - `shutdown`: not delivered by the end of the shutdown flush, or sent after shutdown.
 */
import {
  asyncScheduler,
  defer,
  from,
  ignoreElements,
  Observable,
  throwError,
  timeout,
  type ObservableInput,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { Logger } from '../../core/logger.js';
import { SECONDS_BUCKETS, type CounterHandle, type GaugeHandle, type HistogramHandle, type SelfTelemetry } from '../../core/telemetry.js';
import type { RetryOnFailureConfig, SendingQueueConfig } from './config.js';
import { retryableError, toExportError, type ExportError } from './errors.js';
import { Backoff, BoundedQueue } from './queue.js';

export type DropReason = 'queue_full' | 'rejected' | 'retries_exhausted' | 'shutdown';

/** The agent stops within 5 s of a signal: the final flush must fit in that, whatever `timeout` says. */
export const DEFAULT_SHUTDOWN_BUDGET_MS = 4000;

export interface QueuedRetryConfig {
  readonly sending_queue: SendingQueueConfig;
  readonly retry_on_failure: RetryOnFailureConfig;
  /** Deadline of one push attempt, in ms: past it the attempt is abandoned (its signal aborted) and counts as a retryable failure. */
  readonly timeout: number;
}

export interface PushContext {
  /** How long this attempt has before it is abandoned. */
  readonly timeoutMs: number;
  /** Aborted when the attempt is abandoned (timeout, end of the shutdown flush). */
  readonly signal: AbortSignal;
  /** The attempt belongs to the shutdown flush: it is the item's last one. */
  readonly flushing: boolean;
}

/**
 * Delivers one item. Success is completion (a resolved promise, a completed Observable); failure is an error,
 * an `ExportError` to say whether it is worth retrying (anything else counts as retryable).
 */
export type PushFunction<T> = (item: T, context: PushContext) => ObservableInput<unknown>;

export interface QueuedRetryOptions {
  readonly logger: Logger;
  readonly telemetry: SelfTelemetry;
  /** The component id: the `exporter` attribute of every count. */
  readonly id: string;
  /** Self-telemetry names start with it: `zkotel.exporter.otlp` → `zkotel.exporter.otlp.sent`, … */
  readonly metricPrefix: string;
  /** What the log lines call the exports: `OTLP` → "OTLP export failing". */
  readonly name: string;
  /** Fields added to every log line (where it sends; never credentials). */
  readonly logFields?: Readonly<Record<string, unknown>>;
  /** Removes secrets a backend may echo in an error message. */
  readonly redact?: (text: string) => string;
  readonly scheduler?: SchedulerLike;
  /** Backoff jitter source, [0, 1). */
  readonly random?: () => number;
  /** Longest the shutdown flush may take (default: min(timeout, 4 s)). */
  readonly shutdownBudgetMs?: number;
}

interface Pending<T> {
  readonly item: T;
  readonly size: number;
  /** When its first attempt started: the clock of `max_elapsed_time`. */
  firstAttemptMs: number | undefined;
}

interface InFlight<T> {
  readonly pending: Pending<T>;
  readonly subscription: Subscription;
}

interface Counts {
  readonly sent: CounterHandle;
  readonly failed: CounterHandle;
  readonly dropped: CounterHandle;
  readonly queueSize: GaugeHandle;
  readonly queueCapacity: GaugeHandle;
  readonly duration: HistogramHandle;
}

/** SelfTelemetry keeps one series set per name, so an exporter re-created by a reload counts on in the same series. */
function counts(telemetry: SelfTelemetry, prefix: string): Counts {
  return {
    sent: telemetry.counter(`${prefix}.sent`, { description: 'Samples the backend accepted.' }),
    failed: telemetry.counter(`${prefix}.failed`, { description: 'Export attempts that failed, by reason.' }),
    dropped: telemetry.counter(`${prefix}.dropped`, {
      description: 'Samples given up on without being delivered, by reason (queue_full, rejected, retries_exhausted, shutdown).',
    }),
    queueSize: telemetry.gauge(`${prefix}.queue.size`, { valueType: 'int', description: 'Exports waiting in the sending queue (one more may be in flight).' }),
    queueCapacity: telemetry.gauge(`${prefix}.queue.capacity`, { valueType: 'int', description: 'sending_queue.queue_size: most exports the queue holds.' }),
    duration: telemetry.histogram(`${prefix}.export.duration`, {
      unit: 's',
      boundaries: SECONDS_BUCKETS,
      description: 'How long export attempts took, successful or not.',
    }),
  };
}

/** Builds the sender of an exporter: `send()` items into it, `shutdown()` it last. */
export function queuedRetry<T>(push: PushFunction<T>, config: QueuedRetryConfig, options: QueuedRetryOptions): QueuedRetrySender<T> {
  return new QueuedRetrySender(push, config, options);
}

/**
 * One sender: in order, one attempt at a time. A failed item goes back to the head of the queue and waits its
 * backoff (initial_interval × 1.5ⁿ ± 50%, at most max_interval, at least the backend's Retry-After); the
 * backoff is shared by all items and resets on a success. Newer items pushing the queue past its bound drop the
 * oldest, the one being retried included.
 */
export class QueuedRetrySender<T> {
  private readonly queue: BoundedQueue<Pending<T>>;
  private readonly backoff: Backoff;
  private readonly scheduler: SchedulerLike;
  private readonly counts: Counts;
  private readonly attributes: { readonly exporter: string };
  private state: 'running' | 'flushing' | 'closed' = 'running';
  private inFlight: InFlight<T> | undefined;
  private backoffTimer: Subscription | undefined;
  /** While flushing: continues the flush once the attempt in flight is over. */
  private continueFlush: (() => void) | undefined;
  private flushed: Promise<void> | undefined;
  /** Export health, for logging once per change. */
  private failing: { since: number; attempts: number; dropped: number } | undefined;
  private queueFullWarned = false;

  constructor(
    private readonly push: PushFunction<T>,
    private readonly config: QueuedRetryConfig,
    private readonly options: QueuedRetryOptions,
  ) {
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.queue = new BoundedQueue(config.sending_queue.queue_size);
    this.backoff = new Backoff({ initialMs: config.retry_on_failure.initial_interval, maxMs: config.retry_on_failure.max_interval }, options.random);
    this.counts = counts(options.telemetry, options.metricPrefix);
    this.attributes = { exporter: options.id };
    this.counts.queueCapacity(this.attributes, config.sending_queue.queue_size);
    this.counts.queueSize(this.attributes, 0);
  }

  /** Items waiting (not counting one in flight). */
  get queueLength(): number {
    return this.queue.length;
  }

  /** Queues `item` (`size` is what the counts add up: samples, points) and sends it as soon as the sender is free. */
  send(item: T, size: number): void {
    const pending: Pending<T> = { item, size, firstAttemptMs: undefined };
    if (this.state !== 'running') {
      this.drop(pending, 'shutdown');
      return;
    }
    this.enqueue(pending, 'tail');
    this.pump();
  }

  /**
   * Stops retrying and gives what is queued, plus `final` (the latest data), one attempt each within the
   * shutdown budget; an attempt in flight is waited for. What is not delivered by then is dropped (`shutdown`).
   * Safe twice.
   */
  shutdown(final?: { readonly item: T; readonly size: number }): Promise<void> {
    this.flushed ??= this.flush(final);
    return this.flushed;
  }

  private now(): number {
    return this.scheduler.now();
  }

  private pump(): void {
    if (this.state !== 'running' || this.inFlight || this.backoffTimer) return;
    const pending = this.take();
    if (!pending) return;
    this.attempt(pending, this.config.timeout, false, (failure) => this.afterAttempt(pending, failure));
  }

  private afterAttempt(pending: Pending<T>, failure: ExportError | undefined): void {
    if (this.state !== 'running') {
      // The shutdown flush began meanwhile: it gives this item its last attempt.
      if (failure) this.enqueue(pending, 'head');
      this.continueFlush?.();
      return;
    }
    if (!failure) {
      this.backoff.reset();
      this.pump();
      return;
    }
    if (!failure.retryable) {
      this.drop(pending, 'rejected');
      this.pump();
      return;
    }
    const retry = this.config.retry_on_failure;
    const delay = Math.max(this.backoff.next(), failure.retryAfterMs ?? 0);
    const elapsedAtRetry = this.now() + delay - (pending.firstAttemptMs ?? this.now());
    if (!retry.enabled || (retry.max_elapsed_time > 0 && elapsedAtRetry > retry.max_elapsed_time)) {
      this.drop(pending, 'retries_exhausted');
      this.pump();
      return;
    }
    this.enqueue(pending, 'head');
    this.backoffTimer = this.scheduler.schedule(() => {
      this.backoffTimer = undefined;
      this.pump();
    }, delay);
  }

  /** One push of one item, abandoned after `timeoutMs`. Counts the attempt; what follows is `done`'s call. */
  private attempt(pending: Pending<T>, timeoutMs: number, flushing: boolean, done: (failure: ExportError | undefined) => void): void {
    pending.firstAttemptMs ??= this.now();
    const started = this.now();
    let finished = false;
    const finish = (failure: ExportError | undefined): void => {
      if (finished) return;
      finished = true;
      this.inFlight = undefined;
      this.counts.duration(this.attributes, (this.now() - started) / 1000);
      if (failure) {
        this.counts.failed({ ...this.attributes, reason: failure.reason }, 1);
        this.onFailure(failure);
      } else {
        this.counts.sent(this.attributes, pending.size);
        this.onSuccess();
      }
      done(failure);
    };
    const subscription = this.pushWithSignal(pending.item, timeoutMs, flushing)
      .pipe(
        ignoreElements(),
        timeout({ first: timeoutMs, scheduler: this.scheduler, with: () => throwError(() => retryableError('timeout', `no answer within ${timeoutMs}ms`)) }),
      )
      .subscribe({ complete: () => finish(undefined), error: (error: unknown) => finish(toExportError(error)) });
    if (!finished) this.inFlight = { pending, subscription };
  }

  /** `push` as an Observable whose unsubscription before the end aborts the push's signal. */
  private pushWithSignal(item: T, timeoutMs: number, flushing: boolean): Observable<unknown> {
    return new Observable<unknown>((subscriber) => {
      const controller = new AbortController();
      let over = false;
      const inner = defer(() => from(this.push(item, { timeoutMs, signal: controller.signal, flushing }))).subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => {
          over = true;
          subscriber.error(error);
        },
        complete: () => {
          over = true;
          subscriber.complete();
        },
      });
      return () => {
        inner.unsubscribe();
        // Aborting builds a DOMException: only for a push that is really cut short.
        if (!over) controller.abort();
      };
    });
  }

  private flush(final: { readonly item: T; readonly size: number } | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      this.state = 'flushing';
      this.backoffTimer?.unsubscribe();
      this.backoffTimer = undefined;
      if (final) this.enqueue({ item: final.item, size: final.size, firstAttemptMs: undefined }, 'tail');
      const budget = this.options.shutdownBudgetMs ?? Math.min(this.config.timeout, DEFAULT_SHUTDOWN_BUDGET_MS);
      const deadline = this.now() + budget;
      const close = (): void => {
        if (this.state === 'closed') return;
        this.state = 'closed';
        this.continueFlush = undefined;
        deadlineTimer.unsubscribe();
        const abandoned = this.inFlight;
        if (abandoned) {
          this.inFlight = undefined;
          abandoned.subscription.unsubscribe();
          this.drop(abandoned.pending, 'shutdown');
        }
        for (let pending = this.take(); pending; pending = this.take()) this.drop(pending, 'shutdown');
        resolve();
      };
      const next = (): void => {
        if (this.state === 'closed' || this.inFlight) return;
        const pending = this.take();
        if (!pending) {
          close();
          return;
        }
        const remaining = deadline - this.now();
        if (remaining <= 0) {
          this.drop(pending, 'shutdown');
          close();
          return;
        }
        this.attempt(pending, Math.min(this.config.timeout, remaining), true, (failure) => {
          if (failure) this.drop(pending, 'shutdown');
          next();
        });
      };
      const deadlineTimer = this.scheduler.schedule(close, budget);
      this.continueFlush = next;
      next();
    });
  }

  private enqueue(pending: Pending<T>, end: 'head' | 'tail'): void {
    const pushedOut = end === 'head' ? this.queue.unshift(pending) : this.queue.push(pending);
    for (const dropped of pushedOut) this.drop(dropped, 'queue_full');
    this.counts.queueSize(this.attributes, this.queue.length);
  }

  private take(): Pending<T> | undefined {
    const pending = this.queue.shift();
    this.counts.queueSize(this.attributes, this.queue.length);
    return pending;
  }

  private drop(pending: Pending<T>, reason: DropReason): void {
    this.counts.dropped({ ...this.attributes, reason }, pending.size);
    if (this.failing) this.failing.dropped += pending.size;
    if (reason === 'queue_full' && !this.queueFullWarned) {
      this.queueFullWarned = true;
      this.options.logger.warn(`${this.options.name} sending queue full: dropping the oldest exports`, {
        ...this.options.logFields,
        queue_size: this.config.sending_queue.queue_size,
      });
    }
  }

  private onFailure(failure: ExportError): void {
    if (this.failing) {
      this.failing.attempts++;
      return;
    }
    this.failing = { since: this.now(), attempts: 1, dropped: 0 };
    this.options.logger.warn(`${this.options.name} export failing`, {
      ...this.options.logFields,
      reason: failure.reason,
      error: this.options.redact ? this.options.redact(failure.message) : failure.message,
      retrying: failure.retryable && this.config.retry_on_failure.enabled && this.state === 'running',
    });
  }

  private onSuccess(): void {
    if (this.queue.length === 0) this.queueFullWarned = false;
    const failing = this.failing;
    if (!failing) return;
    this.failing = undefined;
    this.options.logger.info(`${this.options.name} export recovered`, {
      ...this.options.logFields,
      failed_for_ms: this.now() - failing.since,
      failed_attempts: failing.attempts,
      dropped_samples: failing.dropped,
    });
  }
}
