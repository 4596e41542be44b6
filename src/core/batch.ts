/**
 * The data model that flows through every pipeline.
 *
 * A receiver emits one Batch per probe of one source (for the zookeeper receiver: one endpoint).
 * A Batch is a complete snapshot of that source: exporters replace the previous batch of the same
 * source with it, so a series that the latest probe did not produce disappears (no stale series).
 */

/** `gauge`: a value that goes up and down. `counter`: a monotonic cumulative sum. `histogram`: cumulative buckets. */
export type MetricKind = 'gauge' | 'counter' | 'histogram';
export type ValueType = 'int' | 'double';

/** Shared by every sample of one metric; receivers keep one instance per metric so stages can compare by reference. */
export interface MetricDescriptor {
  readonly name: string;
  readonly kind: MetricKind;
  readonly valueType: ValueType;
  readonly unit: string;
  readonly description: string;
  /**
   * Meta labels (`__*`, never exported) that every sample of this metric carries, e.g. `{ __mntr_key: 'avg_latency' }`:
   * relabel rules see them like meta attributes, yet they cost nothing per sample. A receiver keeps one descriptor
   * per distinct meta set, so such descriptors share a name with their siblings (exporters group them by name).
   */
  readonly meta?: Attributes;
}

export type Attributes = Readonly<Record<string, string>>;

/** Cumulative explicit-bucket histogram: `counts[i]` observations in (boundaries[i-1], boundaries[i]], plus one overflow bucket. */
export interface HistogramValue {
  readonly boundaries: readonly number[];
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
  readonly min?: number;
  readonly max?: number;
}

/** The bucket of `value`: the first upper bound it does not exceed (buckets are (lower, upper]), else the overflow one. */
export function bucketIndex(boundaries: readonly number[], value: number): number {
  let bucket = 0;
  while (bucket < boundaries.length && value > boundaries[bucket]!) bucket++;
  return bucket;
}

export interface Sample {
  readonly metric: MetricDescriptor;
  readonly attributes: Attributes;
  /** The number; for a histogram, its count. */
  readonly value: number;
  /** Set exactly when `metric.kind` is `histogram`. */
  readonly histogram?: HistogramValue;
}

export interface Batch {
  /** Identifies what this batch is a snapshot of; a later batch with the same source replaces it. */
  readonly source: string;
  /** When the probe finished, in ms since the epoch. */
  readonly timeMs: number;
  /** Since when the counters of this source have been accumulating, in ms since the epoch. */
  readonly startTimeMs: number;
  readonly samples: readonly Sample[];
}

export function describeMetric(
  name: string,
  kind: MetricKind,
  options: { unit?: string; description?: string; valueType?: ValueType; meta?: Attributes } = {},
): MetricDescriptor {
  return Object.freeze({
    name,
    kind,
    valueType: options.valueType ?? 'double',
    unit: options.unit ?? '',
    description: options.description ?? '',
    ...(options.meta ? { meta: Object.freeze({ ...options.meta }) } : {}),
  });
}

/** `metric` with meta labels added to its own: a descriptor of its own, with the same name, kind, unit and description. */
export function withMeta(metric: MetricDescriptor, meta: Attributes): MetricDescriptor {
  return describeMetric(metric.name, metric.kind, {
    unit: metric.unit,
    description: metric.description,
    valueType: metric.valueType,
    meta: { ...metric.meta, ...meta },
  });
}

/**
 * A receiver's word that a source is gone — its target was removed, its probe loop failed — or, after a reload, the
 * service's word that nobody reports it any more: exporters drop everything they keep of the source. It is not a
 * batch: an empty batch is a source that has no series right now, and keeps its place.
 */
export interface SourceGone {
  readonly kind: 'source_gone';
  readonly source: string;
  /** When the source was found gone, in ms since the epoch. */
  readonly timeMs: number;
}

/** What flows from receivers to exporters: batches, and the word that a source is gone. */
export type PipelineItem = Batch | SourceGone;

export function sourceGone(source: string, timeMs: number): SourceGone {
  return { kind: 'source_gone', source, timeMs };
}

export function isSourceGone(item: PipelineItem): item is SourceGone {
  return 'kind' in item;
}

export function isBatch(item: PipelineItem): item is Batch {
  return !('kind' in item);
}

/**
 * `batch` with each sample replaced by `rewrite(sample)`, or dropped where it gives null: the same batch when every
 * sample comes back as itself, else a copy of the samples from the first change on. Every copy-on-change stage
 * goes through here, so a stage that changes nothing allocates nothing.
 */
export function mapSamples(batch: Batch, rewrite: (sample: Sample) => Sample | null): Batch {
  const samples = batch.samples;
  let output: Sample[] | undefined;
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i]!;
    const result = rewrite(sample);
    if (result === sample) {
      output?.push(sample);
      continue;
    }
    output ??= samples.slice(0, i);
    if (result !== null) output.push(result);
  }
  return output ? { ...batch, samples: output } : batch;
}

/**
 * `batch` with each sample's attributes replaced by `replace(attributes)`: the same batch when nothing changes, and
 * only changed samples copied. `replace` is called once per run of samples sharing an attribute object (a target's
 * identity), so it should be cheap to call again for the same object (cached by the caller).
 */
export function replaceAttributes(batch: Batch, replace: (attributes: Attributes) => Attributes): Batch {
  let last: Attributes | undefined;
  let lastReplaced: Attributes | undefined;
  return mapSamples(batch, (sample) => {
    if (sample.attributes !== last) {
      last = sample.attributes;
      lastReplaced = replace(last);
    }
    return lastReplaced === sample.attributes ? sample : { ...sample, attributes: lastReplaced! };
  });
}
