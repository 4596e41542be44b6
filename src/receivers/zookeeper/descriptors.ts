/** What every sample-mapping file of this receiver shares: one descriptor per metric name, and how samples are added. */
import { describeMetric, withMeta, type Attributes, type MetricDescriptor, type MetricKind } from '../../core/batch.js';

/**
 * Meta label (`__*`, never exported) holding the mntr key a sample came from, e.g. `avg_latency`. It is a property of
 * the descriptor (`MetricDescriptor.meta`), not of each sample: one descriptor per key, shared by every endpoint.
 */
export const MNTR_KEY_ATTRIBUTE = '__mntr_key';

/** Every cache here is capped: ZooKeeper prints a few hundred keys, a broken server could print endless new ones. */
export const MAX_CACHED = 10_000;

/** One descriptor per metric name, whichever key produced it (batch.ts: stages may compare descriptors by reference). */
const DESCRIPTORS = new Map<string, MetricDescriptor>();
export function describeOnce(name: string, kind: MetricKind, options: Parameters<typeof describeMetric>[2]): MetricDescriptor {
  let metric = DESCRIPTORS.get(name);
  if (!metric) {
    metric = describeMetric(name, kind, options);
    // Bounded like SampleMapper.attributes: names come from a finite catalog plus the keys servers print.
    if (DESCRIPTORS.size < MAX_CACHED) DESCRIPTORS.set(name, metric);
  }
  return metric;
}

/** The descriptor of `metric` as produced by mntr key `key`: `metric` plus the `__mntr_key` meta label, one per (metric, key). */
const KEYED = new Map<MetricDescriptor, Map<string, MetricDescriptor>>();
export function keyedDescriptor(metric: MetricDescriptor, key: string): MetricDescriptor {
  let byKey = KEYED.get(metric);
  if (!byKey) KEYED.set(metric, (byKey = new Map()));
  let keyed = byKey.get(key);
  if (!keyed) {
    keyed = withMeta(metric, { [MNTR_KEY_ATTRIBUTE]: key });
    if (byKey.size < MAX_CACHED) byKey.set(key, keyed);
  }
  return keyed;
}

export type AddSample = (metric: MetricDescriptor, value: number, extra?: Attributes) => void;
