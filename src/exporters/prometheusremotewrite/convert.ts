/**
 * Snapshots → remote-write series, once per sample and with staleness markers.
 *
 * - Each source's latest batch is sent once: at a tick, only sources with a batch newer than the one last sent.
 *   Its samples carry the probe's time (`timeMs`), so a retried request repeats exactly the same samples and
 *   Prometheus stores nothing twice.
 * - A series a source's new batch no longer has gets a staleness marker at that batch's time; every series of a
 *   source that is gone (endpoint removed, target moved to another agent) gets one at the tick's time. PromQL then
 *   stops returning them at once instead of 5 minutes later.
 * - Names as the Prometheus exporter writes them (`.` → `_`, counters end in `_total`, `namespace_` prefix);
 *   histograms as `_bucket{le}` (cumulative), `_sum`, `_count`. External labels are added to every series
 *   unless the series has that label already (Prometheus's rule).
 */
import type { Batch, Sample } from '../../core/batch.js';
import { prometheusLabelName, prometheusMetricName } from '../../internal/prometheus/names.js';
import { isMetaAttribute } from '../../core/meta-attributes.js';
import type { RemoteSeries } from './encode.js';

export interface Conversion {
  readonly series: RemoteSeries[];
  /** Samples in `series`, staleness markers included: the unit of the sending queue's counts. */
  readonly samples: number;
  /** Series left out because an earlier source of the same request already had them (e.g. an endpoint twice). */
  readonly duplicates: readonly string[];
}

interface SourceState {
  readonly timeMs: number;
  readonly keys: Map<string, readonly (readonly [string, string])[]>;
}

export class RemoteWriteConverter {
  private readonly sent = new Map<string, SourceState>();

  constructor(
    private readonly externalLabels: Readonly<Record<string, string>>,
    private readonly namespace: string | undefined,
  ) {}

  convert(batches: Iterable<Batch>, nowMs: number): Conversion {
    const series: RemoteSeries[] = [];
    const inRequest = new Set<string>();
    const duplicates: string[] = [];
    let samples = 0;
    const present = new Set<string>();
    const emit = (labels: readonly (readonly [string, string])[], key: string, value: number | undefined, timestampMs: number) => {
      if (inRequest.has(key)) {
        duplicates.push(key);
        return;
      }
      inRequest.add(key);
      series.push({ labels, samples: [{ value, timestampMs }] });
      samples++;
    };

    for (const batch of batches) {
      present.add(batch.source);
      const previous = this.sent.get(batch.source);
      if (previous && batch.timeMs <= previous.timeMs) continue;
      const keys = new Map<string, readonly (readonly [string, string])[]>();
      for (const sample of batch.samples) {
        for (const [labels, value] of this.seriesOf(sample)) {
          const key = JSON.stringify(labels);
          keys.set(key, labels);
          emit(labels, key, value, batch.timeMs);
        }
      }
      if (previous) for (const [key, labels] of previous.keys) if (!keys.has(key)) emit(labels, key, undefined, batch.timeMs);
      this.sent.set(batch.source, { timeMs: batch.timeMs, keys });
    }
    for (const [source, state] of this.sent) {
      if (present.has(source)) continue;
      // After the last sample of those series, or Prometheus would refuse the marker as out of order.
      const at = Math.max(nowMs, state.timeMs + 1);
      for (const [key, labels] of state.keys) emit(labels, key, undefined, at);
      this.sent.delete(source);
    }
    return { series, samples, duplicates };
  }

  /** Forgets what was sent: the next conversion sends every source again (e.g. a new exporter instance). */
  reset(): void {
    this.sent.clear();
  }

  private seriesOf(sample: Sample): [readonly (readonly [string, string])[], number][] {
    const base = this.namespace ? `${this.namespace}_${prometheusMetricName(sample.metric)}` : prometheusMetricName(sample.metric);
    const labels = this.labelsOf(sample);
    const histogram = sample.histogram;
    if (!histogram) return [[sorted([['__name__', base], ...labels]), sample.value]];
    const out: [readonly (readonly [string, string])[], number][] = [];
    let cumulative = 0;
    histogram.boundaries.forEach((bound, index) => {
      cumulative += histogram.counts[index] ?? 0;
      out.push([sorted([['__name__', `${base}_bucket`], ['le', formatLe(bound)], ...labels]), cumulative]);
    });
    out.push([sorted([['__name__', `${base}_bucket`], ['le', '+Inf'], ...labels]), histogram.count]);
    out.push([sorted([['__name__', `${base}_sum`], ...labels]), histogram.sum]);
    out.push([sorted([['__name__', `${base}_count`], ...labels]), histogram.count]);
    return out;
  }

  private labelsOf(sample: Sample): [string, string][] {
    const labels = new Map<string, string>();
    for (const [key, value] of Object.entries(sample.attributes)) {
      if (isMetaAttribute(key) || value === '') continue;
      labels.set(prometheusLabelName(key), value);
    }
    for (const [name, value] of Object.entries(this.externalLabels)) if (!labels.has(name)) labels.set(name, value);
    return [...labels];
  }
}

/** Prometheus's `le` text, Go's FormatFloat(v, 'g', -1): `0.005`, `1`, `2.5`, `100000`, `1e+06`, `1e-05`. */
export function formatLe(bound: number): string {
  if (bound === Number.POSITIVE_INFINITY) return '+Inf';
  if (bound === 0 || !Number.isFinite(bound)) return String(bound);
  const [mantissa, exponentText] = bound.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent >= -4 && exponent < 6) return String(bound);
  return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

function sorted(labels: [string, string][]): readonly (readonly [string, string])[] {
  return labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
