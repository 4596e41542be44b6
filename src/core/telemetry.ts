import { bucketIndex, describeMetric, type Attributes, type Batch, type MetricDescriptor, type Sample } from './batch.js';

/** A counter of the agent's own telemetry, with its attributes given at each increment. */
export type CounterHandle = (attributes: Attributes, delta: number) => void;
/** A gauge of the agent's own telemetry: sets the current value of one attribute set. */
export type GaugeHandle = (attributes: Attributes, value: number) => void;
/** A histogram of the agent's own telemetry: records one observation. */
export type HistogramHandle = (attributes: Attributes, value: number) => void;

interface MetricOptions {
  unit?: string;
  description: string;
  valueType?: 'int' | 'double';
}

/** Bucket boundaries in seconds for durations from 100 µs to 10 s. */
export const SECONDS_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  readonly attributes: Attributes;
  value: number;
  /** Histograms only: per-bucket counts (one more than boundaries) and the sum. */
  counts?: number[];
  sum?: number;
}

/**
 * The agent's own metrics (`zkotel.*`): components count what they do here, and Prometheus exporters serve
 * the snapshot beside the pipelines' data
 * (or, with `service.telemetry.metrics.address`, the service serves it on an endpoint of its own). Kept as plain numbers: counting must cost next to nothing.
 */
export class SelfTelemetry {
  static readonly SOURCE = 'zkotel';
  private readonly metrics = new Map<string, { metric: MetricDescriptor; series: Map<string, Series>; boundaries?: readonly number[] }>();
  private readonly beforeSnapshot: (() => void)[] = [];
  private readonly startTimeMs = Date.now();

  counter(name: string, options: MetricOptions): CounterHandle {
    const series = this.register(describeMetric(name, 'counter', { valueType: options.valueType ?? 'int', ...options }));
    return (attributes, delta) => (this.seriesOf(series, attributes).value += delta);
  }

  gauge(name: string, options: MetricOptions): GaugeHandle {
    const series = this.register(describeMetric(name, 'gauge', { valueType: options.valueType ?? 'double', ...options }));
    return (attributes, value) => (this.seriesOf(series, attributes).value = value);
  }

  histogram(name: string, options: MetricOptions & { boundaries: readonly number[] }): HistogramHandle {
    const { boundaries } = options;
    const series = this.register(describeMetric(name, 'histogram', { valueType: 'double', ...options }), boundaries);
    return (attributes, value) => {
      const found = this.seriesOf(series, attributes);
      found.counts ??= new Array<number>(boundaries.length + 1).fill(0);
      found.counts[bucketIndex(boundaries, value)]!++;
      found.value++;
      found.sum = (found.sum ?? 0) + value;
    };
  }

  /** Runs before every snapshot: for values read on demand (process memory, CPU). */
  onSnapshot(update: () => void): void {
    this.beforeSnapshot.push(update);
  }

  /** A component created again (after a reload) keeps counting into the same series. */
  private register(metric: MetricDescriptor, boundaries?: readonly number[]): Map<string, Series> {
    const existing = this.metrics.get(metric.name);
    if (existing) {
      if (existing.metric.kind !== metric.kind)
        throw new Error(`self-telemetry metric ${metric.name} registered as ${existing.metric.kind} and ${metric.kind}`);
      return existing.series;
    }
    const series = new Map<string, Series>();
    this.metrics.set(metric.name, { metric, series, ...(boundaries ? { boundaries } : {}) });
    return series;
  }

  private seriesOf(series: Map<string, Series>, attributes: Attributes): Series {
    const key = JSON.stringify(attributes);
    let found = series.get(key);
    if (!found) series.set(key, (found = { attributes: Object.freeze({ ...attributes }), value: 0 }));
    return found;
  }

  snapshot(): Batch {
    for (const update of this.beforeSnapshot) update();
    const samples: Sample[] = [];
    for (const { metric, series, boundaries } of this.metrics.values()) {
      for (const { attributes, value, counts, sum } of series.values()) {
        const histogram = boundaries && counts ? { histogram: { boundaries, counts: [...counts], sum: sum ?? 0, count: value } } : {};
        samples.push({ metric, attributes, value, ...histogram });
      }
    }
    return { source: SelfTelemetry.SOURCE, timeMs: Date.now(), startTimeMs: this.startTimeMs, samples };
  }
}
