/**
 * Prometheus remote write: every `interval`, what is new in the snapshot of its pipelines (and the agent's own
 * zkotel.* metrics) goes as one WriteRequest (protobuf + snappy, remote write 1.0) to `endpoint`. Convert + push:
 * the bounded queue, retries, per-request timeout, shutdown flush, logs and counts are the exporterhelper's.
 *
 * A request is encoded once, when it is queued: a retry sends the very same bytes, so it can only repeat samples
 * Prometheus already has (same series, time and value), which it ignores. 5xx, 429, timeouts and connection
 * errors are retried; any other answer (400 out-of-order or bad data, 401, 404, 413) drops the request, counted.
 */
import fsp from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { asyncScheduler, interval, type SchedulerLike, type Subscription } from 'rxjs';
import type { Batch, SourceGone } from '../../core/batch.js';
import type { CreateSettings, Exporter } from '../../core/component.js';
import { ClientTlsLoader } from '../../internal/tls/client-tls.js';
import { SnapshotStore } from '../../internal/exporterhelper/snapshot.js';
import type { SelfTelemetry } from '../../core/telemetry.js';
import { httpStatusError, parseRetryAfter, permanentError, retryableError } from '../../internal/exporterhelper/errors.js';
import { DEFAULT_SHUTDOWN_BUDGET_MS, queuedRetry, type PushContext, type QueuedRetrySender } from '../../internal/exporterhelper/queued-retry.js';
import { AGENT_NAME, AGENT_VERSION } from '../../version.js';
import type { PrometheusRemoteWriteConfig } from './config.js';
import { RemoteWriteConverter } from './convert.js';
import { compressWriteRequest } from './encode.js';

const MAX_ERROR_BODY_BYTES = 4096;

export class PrometheusRemoteWriteExporter implements Exporter {
  private readonly store = new SnapshotStore();
  private readonly converter: RemoteWriteConverter;
  private readonly sender: QueuedRetrySender<Buffer>;
  private readonly scheduler: SchedulerLike;
  private readonly telemetry: SelfTelemetry;
  /** The agent's own metrics go out with each export unless they have an endpoint of their own. */
  private readonly exportsSelfTelemetry: boolean;
  private readonly url: URL;
  private readonly tls: ClientTlsLoader | undefined;
  private readonly duplicatesReported = new Set<string>();
  private ticks: Subscription | undefined;
  private stopped: Promise<void> | undefined;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: PrometheusRemoteWriteConfig,
  ) {
    this.telemetry = settings.telemetry;
    this.exportsSelfTelemetry = settings.exportsSelfTelemetry ?? true;
    this.scheduler = settings.scheduler ?? asyncScheduler;
    this.url = new URL(config.endpoint);
    this.tls = config.tls ? new ClientTlsLoader(config.tls, settings.logger) : undefined;
    this.converter = new RemoteWriteConverter(config.external_labels, config.namespace);
    this.sender = queuedRetry((body, context) => this.push(body, context), config, {
      logger: settings.logger,
      telemetry: settings.telemetry,
      id: settings.id,
      metricPrefix: 'zkotel.exporter.prometheusremotewrite',
      name: 'remote write',
      logFields: { url: `${this.url.origin}${this.url.pathname}` },
      redact: (text) => this.redact(text),
      scheduler: this.scheduler,
      shutdownBudgetMs: Math.min(config.timeout, DEFAULT_SHUTDOWN_BUDGET_MS),
    });
  }

  /** Requests waiting to be sent (not counting one in flight). */
  get queueLength(): number {
    return this.sender.queueLength;
  }

  async start(): Promise<void> {
    if (this.stopped || this.ticks) return;
    // Bad TLS files fail the start with a clear line, as a port in use does for the prometheus exporter.
    await this.tls?.load();
    this.ticks = interval(this.config.interval, this.scheduler).subscribe(() => this.tick());
    this.settings.logger.info('exporting metrics by Prometheus remote write', {
      url: `${this.url.origin}${this.url.pathname}`,
      interval_ms: this.config.interval,
    });
  }

  consume(batch: Batch): void {
    if (!this.stopped) this.store.put(batch);
  }

  forget(gone: SourceGone): void {
    this.store.forget(gone.source);
  }

  shutdown(): Promise<void> {
    this.stopped ??= this.stop();
    return this.stopped;
  }

  private request(): { body: Buffer; samples: number } | undefined {
    const batches = [...this.store.batches()];
    // The agent's own metrics ride along, as Prometheus exporters serve them, unless they have an endpoint of their own.
    if (this.exportsSelfTelemetry) batches.push(this.telemetry.snapshot());
    const conversion = this.converter.convert(batches, this.scheduler.now());
    for (const key of conversion.duplicates) {
      if (this.duplicatesReported.has(key) || this.duplicatesReported.size >= 1000) continue;
      this.duplicatesReported.add(key);
      this.settings.logger.warn('the same series came from two sources (is an endpoint configured twice?); sending one', { series: key });
    }
    if (conversion.samples === 0) return undefined;
    return { body: compressWriteRequest(conversion.series), samples: conversion.samples };
  }

  private tick(): void {
    const request = this.request();
    if (request) this.sender.send(request.body, request.samples);
  }

  private async push(body: Buffer, context: PushContext): Promise<void> {
    const headers: Record<string, string> = {
      ...this.config.headers,
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
      'user-agent': `${AGENT_NAME}/${AGENT_VERSION}`,
      'content-length': String(body.length),
    };
    const authorization = await this.authorization();
    if (authorization) headers.authorization = authorization;
    const tlsOptions = this.tls ? (await this.tls.connectionOptions(this.url.hostname)).options : {};
    const { status, text, retryAfter } = await post(this.url, headers, body, tlsOptions, context.signal);
    if (status >= 200 && status < 300) return;
    throw httpStatusError(status, text, parseRetryAfter(retryAfter, Date.now()));
  }

  /** Read for every request, so a rotated token or password applies without a restart. */
  private async authorization(): Promise<string | undefined> {
    try {
      if (this.config.bearer_token_file) return `Bearer ${(await fsp.readFile(this.config.bearer_token_file, 'utf8')).trim()}`;
      if (this.config.basic_auth) {
        const password = (await fsp.readFile(this.config.basic_auth.password_file, 'utf8')).replace(/\r?\n$/, '');
        return `Basic ${Buffer.from(`${this.config.basic_auth.username}:${password}`).toString('base64')}`;
      }
    } catch (error) {
      // A missing credential file may come back (a secret being rotated): retry, do not drop.
      throw retryableError('credentials', `cannot read the credentials file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    return undefined;
  }

  /** A backend may echo a credential in its error body: header values never reach the logs. */
  private redact(text: string): string {
    let redacted = text;
    for (const value of Object.values(this.config.headers)) if (value.length >= 4) redacted = redacted.split(value).join('***');
    return redacted;
  }

  private async stop(): Promise<void> {
    const wasRunning = this.ticks !== undefined;
    this.ticks?.unsubscribe();
    this.ticks = undefined;
    const final = wasRunning ? this.request() : undefined;
    this.store.clear();
    await this.sender.shutdown(final && { item: final.body, size: final.samples });
  }
}

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly retryAfter: string | undefined;
}

/** One POST; resolves with any HTTP answer, rejects (retryable) when there is none. */
function post(url: URL, headers: Record<string, string>, body: Buffer, tlsOptions: https.RequestOptions, signal: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = { method: 'POST', headers, signal, ...(url.protocol === 'https:' ? tlsOptions : {}) };
    const request = (url.protocol === 'https:' ? https : http).request(url, options, (response) => {
      const chunks: Buffer[] = [];
      let length = 0;
      response.on('data', (chunk: Buffer) => {
        if (length < MAX_ERROR_BODY_BYTES) chunks.push(chunk);
        length += chunk.length;
      });
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY_BYTES),
          retryAfter: response.headers['retry-after'],
        }),
      );
      response.on('error', (error) => reject(retryableError('connection', error.message)));
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (signal.aborted) reject(retryableError('timeout', 'no answer within the timeout'));
      else if (error.code?.startsWith('ERR_TLS') || error.code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || error.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')
        reject(permanentError('tls', error.message));
      else reject(retryableError(error.code ? error.code.toLowerCase() : 'connection', error.message));
    });
    request.end(body);
  });
}
