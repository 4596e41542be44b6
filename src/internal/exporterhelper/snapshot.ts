import { ValueType } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, type DataPoint, type Histogram, type MetricData, type ScopeMetrics } from '@opentelemetry/sdk-metrics';
import type { Attributes, Batch, HistogramValue, MetricDescriptor, Sample } from '../../core/batch.js';
import { SeriesLayout } from '../interning/series-layout.js';

/**
 * The latest batch of every source. A new batch of a source replaces the old one whole, so a series
 * the latest probe did not produce is gone from the next export (an empty batch keeps the source, with nothing
 * to export); a forgotten source is gone whole.
 */
export class SnapshotStore {
  private readonly latest = new Map<string, Batch>();

  put(batch: Batch): void {
    this.latest.set(batch.source, batch);
  }

  forget(source: string): void {
    this.latest.delete(source);
  }

  batches(): Iterable<Batch> {
    return this.latest.values();
  }

  clear(): void {
    this.latest.clear();
  }
}

/** A batch kept as its layout and its values: no object per sample. */
export interface CompactBatch {
  readonly source: string;
  timeMs: number;
  startTimeMs: number;
  readonly layout: SeriesLayout;
  /** Each sample's value (a histogram's count), written in place by the source's next batch of the same layout. */
  readonly values: Float64Array;
  /** Each sample's histogram, when the batch has any. */
  histograms: (HistogramValue | undefined)[] | undefined;
}

/**
 * The latest batch of every source, like SnapshotStore, kept compact for an exporter that reads it rarely (the
 * Prometheus exporter renders each batch when it arrives and reads the samples only on its fallback path): one
 * Float64Array of values per source, written in place while the layout stays the same. The receivers' Sample
 * objects are then garbage as soon as the batch is consumed, so they die young instead of living one interval
 * and being promoted to the old generation. `batches()` rebuilds Batch objects for whoever reads them.
 */
export class CompactSnapshotStore {
  private readonly latest = new Map<string, CompactBatch>();

  /** The source's compact batch (its layout may be shared with the caller's own per-source state). An empty batch keeps its source. */
  put(batch: Batch): CompactBatch {
    const samples = batch.samples;
    let kept = this.latest.get(batch.source);
    if (!kept || !kept.layout.matches(samples)) {
      kept = {
        source: batch.source,
        timeMs: 0,
        startTimeMs: 0,
        layout: SeriesLayout.of(samples),
        values: new Float64Array(samples.length),
        histograms: undefined,
      };
      this.latest.set(batch.source, kept);
    }
    kept.timeMs = batch.timeMs;
    kept.startTimeMs = batch.startTimeMs;
    kept.histograms = undefined;
    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i]!;
      kept.values[i] = sample.value;
      if (sample.histogram) (kept.histograms ??= new Array<HistogramValue | undefined>(samples.length))[i] = sample.histogram;
    }
    return kept;
  }

  forget(source: string): void {
    this.latest.delete(source);
  }

  *batches(): Iterable<Batch> {
    for (const { source, timeMs, startTimeMs, layout, values, histograms } of this.latest.values()) {
      const samples: Sample[] = new Array<Sample>(layout.length);
      for (let i = 0; i < samples.length; i++) {
        const histogram = histograms?.[i];
        const sample = { metric: layout.metrics[i]!, attributes: layout.attributes.at(i), value: values[i]! };
        samples[i] = histogram ? { ...sample, histogram } : sample;
      }
      yield { source, timeMs, startTimeMs, samples };
    }
  }

  clear(): void {
    this.latest.clear();
  }
}

export interface ConversionIssues {
  /** Samples left out because another sample already named the metric with another kind. */
  readonly conflictingKinds: Set<string>;
  /** Samples left out because another source already produced the same series. */
  readonly duplicateSeries: Set<string>;
}

interface MetricAccumulator {
  readonly descriptor: MetricDescriptor;
  readonly points: DataPoint<number | Histogram>[];
  /** Attribute sets of the first source, kept to build `seen` lazily. */
  readonly keys: Attributes[];
  seen: Set<string> | undefined;
  lastSource: string;
}

/** Converts the snapshot to OpenTelemetry metric data, one metric per name across all sources. */
export function snapshotToScopeMetrics(
  batches: Iterable<Batch>,
  scopeName: string,
  issues?: ConversionIssues,
  constantAttributes: Readonly<Record<string, string>> = {},
): ScopeMetrics {
  const withConstants = Object.keys(constantAttributes).length > 0;
  const byName = new Map<string, MetricAccumulator>();
  for (const batch of batches) {
    const startTime = toHrTime(batch.startTimeMs);
    const endTime = toHrTime(batch.timeMs);
    for (const sample of batch.samples) {
      let metric = byName.get(sample.metric.name);
      if (!metric) {
        metric = { descriptor: sample.metric, points: [], keys: [], seen: undefined, lastSource: batch.source };
        byName.set(sample.metric.name, metric);
      } else if (metric.descriptor.kind !== sample.metric.kind) {
        issues?.conflictingKinds.add(sample.metric.name);
        continue;
      }
      if (!isUnique(metric, batch.source, sample)) {
        issues?.duplicateSeries.add(sample.metric.name);
        continue;
      }
      const attributes = withConstants ? { ...constantAttributes, ...sample.attributes } : sample.attributes;
      metric.points.push({ startTime, endTime, attributes, value: sample.histogram ? toOtelHistogram(sample.histogram) : sample.value });
    }
  }
  const metrics: MetricData[] = [];
  for (const { descriptor, points } of byName.values()) metrics.push(toMetricData(descriptor, points));
  return { scope: { name: scopeName }, metrics };
}

/** Series can only collide across sources, so the set of seen attribute sets is built only once a second source appears. */
function isUnique(metric: MetricAccumulator, source: string, sample: Sample): boolean {
  if (metric.seen === undefined && metric.lastSource === source) {
    metric.keys.push(sample.attributes);
    return true;
  }
  if (metric.seen === undefined) metric.seen = new Set(metric.keys.map(attributesKey));
  metric.lastSource = source;
  const key = attributesKey(sample.attributes);
  if (metric.seen.has(key)) return false;
  metric.seen.add(key);
  return true;
}

/** Receivers reuse frozen attribute objects across probes, so each one's key is computed once, not per scrape. */
const attributeKeys = new WeakMap<Attributes, string>();

function attributesKey(attributes: Attributes): string {
  let key = attributeKeys.get(attributes);
  if (key === undefined) {
    key = JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    attributeKeys.set(attributes, key);
  }
  return key;
}

function toOtelHistogram(histogram: HistogramValue): Histogram {
  return {
    buckets: { boundaries: [...histogram.boundaries], counts: [...histogram.counts] },
    sum: histogram.sum,
    count: histogram.count,
    ...(histogram.min !== undefined ? { min: histogram.min } : {}),
    ...(histogram.max !== undefined ? { max: histogram.max } : {}),
  };
}

function toMetricData(descriptor: MetricDescriptor, points: DataPoint<number | Histogram>[]): MetricData {
  const otelDescriptor = {
    name: descriptor.name,
    description: descriptor.description,
    unit: descriptor.unit,
    valueType: descriptor.valueType === 'int' ? ValueType.INT : ValueType.DOUBLE,
  };
  const cumulative = AggregationTemporality.CUMULATIVE;
  if (descriptor.kind === 'histogram') {
    return {
      descriptor: otelDescriptor,
      aggregationTemporality: cumulative,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: points as DataPoint<Histogram>[],
    };
  }
  const dataPoints = points as DataPoint<number>[];
  if (descriptor.kind === 'counter') {
    return { descriptor: otelDescriptor, aggregationTemporality: cumulative, dataPointType: DataPointType.SUM, isMonotonic: true, dataPoints };
  }
  return { descriptor: otelDescriptor, aggregationTemporality: cumulative, dataPointType: DataPointType.GAUGE, dataPoints };
}

function toHrTime(ms: number): [number, number] {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}
