import { describeMetric, type Attributes, type Sample } from '../../core/batch.js';
import { SECONDS_BUCKETS } from '../../core/telemetry.js';
import { CumulativeHistogram } from './histogram.js';

/** The operations of one probe round, in order. */
export const OPERATIONS = ['create', 'set', 'get', 'exists', 'children', 'delete'] as const;
export type Operation = (typeof OPERATIONS)[number];
/** What an error can be counted against: a round's operations, opening the session, and seeing another server's write. */
export type ErrorOperation = Operation | 'connect' | 'replication';

const CONNECT_DURATION = describeMetric('zookeeper.client.connect.duration', 'histogram', {
  unit: 's',
  description: 'Time to open a session with the server (TCP, TLS and the ZooKeeper handshake), each time the probe session is opened or re-opened.',
});
const OPERATION_DURATION = describeMetric('zookeeper.client.operation.duration', 'histogram', {
  unit: 's',
  description: 'Client-visible latency of one operation of the probe session pinned to the server.',
});
const REPLICATION_LAG = describeMetric('zookeeper.client.replication.lag', 'histogram', {
  unit: 's',
  description: "Time from a write acknowledged through the source server until this server's session saw it.",
});
const OPERATION_ERRORS = describeMetric('zookeeper.client.operation.errors', 'counter', {
  valueType: 'int',
  description: 'Failed probe operations, by operation and ZooKeeper error code.',
});
const SESSION_EXPIRATIONS = describeMetric('zookeeper.client.session.expirations', 'counter', {
  valueType: 'int',
  description: 'Probe sessions the server reported expired.',
});
const RECONNECTS = describeMetric('zookeeper.client.reconnects', 'counter', {
  valueType: 'int',
  description: 'Times the probe session was re-established after its connection was lost (same session or a new one).',
});

/**
 * Everything measured for one server since its probe loop started. Histograms and counters are cumulative;
 * `samples()` is the full snapshot for the server's batch. Attribute objects are made once per series.
 */
export class SessionMetrics {
  private readonly connect = new CumulativeHistogram(SECONDS_BUCKETS);
  private readonly operations = new Map<Operation, { attributes: Attributes; histogram: CumulativeHistogram }>();
  private readonly lags = new Map<string, { attributes: Attributes; histogram: CumulativeHistogram }>();
  private readonly errors = new Map<string, { attributes: Attributes; count: number }>();
  private expirations = 0;
  private reconnects = 0;

  /** `startTimeMs`: since when the counters count (the probe loop's start, on the receiver's clock). */
  constructor(
    private readonly identity: Attributes,
    readonly startTimeMs: number,
  ) {
    for (const operation of OPERATIONS) {
      this.operations.set(operation, { attributes: Object.freeze({ ...identity, operation }), histogram: new CumulativeHistogram(SECONDS_BUCKETS) });
    }
  }

  connected(seconds: number): void {
    this.connect.record(seconds);
  }

  operation(operation: Operation, seconds: number): void {
    this.operations.get(operation)!.histogram.record(seconds);
  }

  /** A write through `source` (its endpoint) was seen by this server's session after `seconds`. */
  lag(source: string, seconds: number): void {
    let entry = this.lags.get(source);
    if (!entry)
      this.lags.set(source, (entry = { attributes: Object.freeze({ ...this.identity, source }), histogram: new CumulativeHistogram(SECONDS_BUCKETS) }));
    entry.histogram.record(seconds);
  }

  /** `source` has left (its probe loop ended): its lag series go from the next snapshot on. */
  forgetSource(source: string): void {
    this.lags.delete(source);
  }

  error(operation: ErrorOperation, code: string): void {
    const key = `${operation}\u0000${code}`;
    let entry = this.errors.get(key);
    if (!entry) this.errors.set(key, (entry = { attributes: Object.freeze({ ...this.identity, operation, code }), count: 0 }));
    entry.count++;
  }

  expired(): void {
    this.expirations++;
  }

  reconnected(): void {
    this.reconnects++;
  }

  samples(): Sample[] {
    const histogram = (metric: typeof CONNECT_DURATION, attributes: Attributes, source: CumulativeHistogram): Sample => {
      const value = source.value();
      return { metric, attributes, value: value.count, histogram: value };
    };
    const samples: Sample[] = [histogram(CONNECT_DURATION, this.identity, this.connect)];
    for (const { attributes, histogram: source } of this.operations.values()) samples.push(histogram(OPERATION_DURATION, attributes, source));
    for (const { attributes, histogram: source } of this.lags.values()) samples.push(histogram(REPLICATION_LAG, attributes, source));
    for (const { attributes, count } of this.errors.values()) samples.push({ metric: OPERATION_ERRORS, attributes, value: count });
    samples.push({ metric: SESSION_EXPIRATIONS, attributes: this.identity, value: this.expirations });
    samples.push({ metric: RECONNECTS, attributes: this.identity, value: this.reconnects });
    return samples;
  }
}
