/**
 * Cumulative → delta for monotonic sums and histograms, as a pure function: the caller keeps the returned state only once the
 * export it was computed for has been delivered, so a lost or dropped export loses no increments: the next delta
 * spans it.
 */
import type { HrTime } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, type DataPoint, type Histogram, type MetricData, type ScopeMetrics } from '@opentelemetry/sdk-metrics';

/** What was last delivered of one counter or histogram series. */
export interface DeltaBaseline {
  /** The counter's value, or the histogram's count. */
  readonly value: number;
  /** End time of that point: the start time of the next delta. */
  readonly time: HrTime;
  readonly histogram?: Histogram;
}

/** Per series (metric name + attribute set), the last delivered cumulative value. */
export type DeltaState = ReadonlyMap<string, DeltaBaseline>;

export const EMPTY_DELTA_STATE: DeltaState = new Map();

export interface DeltaResult {
  readonly scopeMetrics: ScopeMetrics;
  /** The state to keep once `scopeMetrics` has been delivered. */
  readonly state: DeltaState;
}

export interface DeltaOptions {
  /** Baselines of series absent from this export are kept until their last point is older than this (ms). */
  readonly forgetAfterMs: number;
}

/**
 * Turns the cumulative counters and histograms of `cumulative` into delta ones; gauges pass unchanged.
 *
 * Per series:
 * - first value seen: it becomes the baseline and nothing is sent (how much of it an earlier run already
 *   reported is unknown; the zookeeper receiver's start time is when the agent first saw the server, not when
 *   ZooKeeper started counting);
 * - same or older point than the baseline (no new probe since): nothing is sent;
 * - value ≥ baseline: `value − baseline` over (baseline time, point time] (histograms: count, sum and every
 *   bucket; min and max, which cannot be split by interval, are left out);
 * - value < baseline (for a histogram: count or a bucket went down, or the buckets changed): the series was
 *   reset (a restarted server); the new value, min and max included, is what happened since the reset, over
 *   (baseline time, point time], or from the point's own start time when that is later.
 */
export function toDelta(cumulative: ScopeMetrics, previous: DeltaState, options: DeltaOptions): DeltaResult {
  const state = new Map<string, DeltaBaseline>();
  const metrics: MetricData[] = [];
  let newest: HrTime | undefined;
  for (const metric of cumulative.metrics) {
    if (metric.aggregationTemporality !== AggregationTemporality.CUMULATIVE) {
      metrics.push(metric);
      continue;
    }
    if (metric.dataPointType === DataPointType.SUM && metric.isMonotonic) {
      const points: DataPoint<number>[] = [];
      for (const point of metric.dataPoints) {
        newest = later(newest, point.endTime);
        const next = step(metric.descriptor.name, point, previous, state, { value: point.value, time: point.endTime });
        if (!next) continue;
        points.push({
          startTime: next.startTime,
          endTime: point.endTime,
          attributes: point.attributes,
          value: next.reset ? point.value : point.value - next.baseline.value,
        });
      }
      if (points.length > 0) metrics.push({ ...metric, aggregationTemporality: AggregationTemporality.DELTA, dataPoints: points });
    } else if (metric.dataPointType === DataPointType.HISTOGRAM) {
      const points: DataPoint<Histogram>[] = [];
      for (const point of metric.dataPoints) {
        newest = later(newest, point.endTime);
        const next = step(metric.descriptor.name, point, previous, state, { value: point.value.count, time: point.endTime, histogram: point.value });
        if (!next) continue;
        points.push({
          startTime: next.startTime,
          endTime: point.endTime,
          attributes: point.attributes,
          value: next.reset ? point.value : histogramDelta(point.value, next.baseline.histogram!),
        });
      }
      if (points.length > 0) metrics.push({ ...metric, aggregationTemporality: AggregationTemporality.DELTA, dataPoints: points });
    } else {
      metrics.push(metric);
    }
  }
  if (newest !== undefined) {
    const horizon = hrTimeToMs(newest) - options.forgetAfterMs;
    for (const [key, baseline] of previous) {
      if (!state.has(key) && hrTimeToMs(baseline.time) >= horizon) state.set(key, baseline);
    }
  } else {
    for (const [key, baseline] of previous) state.set(key, baseline);
  }
  return { scopeMetrics: { scope: cumulative.scope, metrics }, state };
}

/**
 * Records `current` as the series' new baseline in `state` and says what to send: nothing (undefined) for a
 * first value or a point no newer than the baseline; else the baseline it is relative to, whether the series was
 * reset, and the start time of the delta.
 */
function step(
  name: string,
  point: DataPoint<unknown>,
  previous: DeltaState,
  state: Map<string, DeltaBaseline>,
  current: DeltaBaseline,
): { baseline: DeltaBaseline; reset: boolean; startTime: HrTime } | undefined {
  const key = seriesKey(name, point.attributes);
  const baseline = previous.get(key);
  if (baseline === undefined) {
    state.set(key, current);
    return undefined;
  }
  if (compareHrTime(point.endTime, baseline.time) <= 0) {
    state.set(key, baseline);
    return undefined;
  }
  state.set(key, current);
  const reset = current.histogram && baseline.histogram ? histogramWasReset(current.histogram, baseline.histogram) : current.value < baseline.value;
  const startTime = reset && compareHrTime(point.startTime, baseline.time) > 0 ? point.startTime : baseline.time;
  return { baseline, reset, startTime };
}

function histogramWasReset(current: Histogram, baseline: Histogram): boolean {
  const { boundaries, counts } = current.buckets;
  if (current.count < baseline.count) return true;
  if (boundaries.length !== baseline.buckets.boundaries.length || boundaries.some((b, i) => b !== baseline.buckets.boundaries[i])) return true;
  return counts.some((count, i) => count < (baseline.buckets.counts[i] ?? 0));
}

function histogramDelta(current: Histogram, baseline: Histogram): Histogram {
  const delta: Histogram = {
    buckets: { boundaries: [...current.buckets.boundaries], counts: current.buckets.counts.map((count, i) => count - (baseline.buckets.counts[i] ?? 0)) },
    count: current.count - baseline.count,
  };
  if (current.sum !== undefined) delta.sum = current.sum - (baseline.sum ?? 0);
  return delta;
}

function later(a: HrTime | undefined, b: HrTime): HrTime {
  return a === undefined || compareHrTime(b, a) > 0 ? b : a;
}

/** Receivers reuse frozen attribute objects across probes, so each one's key is computed once, not per export. */
const attributeKeys = new WeakMap<object, string>();

/** Attribute order does not matter: `{a, b}` and `{b, a}` are one series. */
export function seriesKey(name: string, attributes: Readonly<Record<string, unknown>>): string {
  let key = attributeKeys.get(attributes);
  if (key === undefined) {
    key = JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    attributeKeys.set(attributes, key);
  }
  return `${name}\u0000${key}`;
}

function compareHrTime(a: HrTime, b: HrTime): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

function hrTimeToMs(time: HrTime): number {
  return time[0] * 1000 + time[1] / 1e6;
}
