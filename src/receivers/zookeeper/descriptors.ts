/** What every sample-mapping file of this receiver shares: one descriptor per metric name, and how samples are added. */
import { describeMetric, type Attributes, type MetricDescriptor, type MetricKind } from '../../core/batch.js';

/** Meta attribute (`__*`, never exported) holding the mntr key a sample came from, e.g. `avg_latency`. */
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

export type AddSample = (metric: MetricDescriptor, value: number, extra?: Attributes) => void;
