/**
 * The relabel processor: Prometheus relabel rules (relabel.ts) applied to every series of every batch.
 *
 * The label set a rule sees is the series as Prometheus will show it:
 * - `__name__`: the metric's Prometheus name without the exporter's `namespace` prefix: `zookeeper.latency.avg` is
 *   `zookeeper_latency_avg`, and counters end in `_total` (`zookeeper_packets_received_total`).
 * - every attribute under its Prometheus label name (`zk.endpoint` is `zk_endpoint`), and meta attributes (`__*`,
 *   never exported) under their own name, and the descriptor's meta labels (`MetricDescriptor.meta`): `__mntr_key`
 *   holds the mntr key the sample came from (`avg_latency`).
 *
 * After the rules:
 * - a missing or empty `__name__` drops the sample; otherwise it is the metric's name. A new name gets a new
 *   descriptor (same kind, unit, value type and description), one per (descriptor, name), so its identity is stable.
 *   The exporter still appends `_total` to a counter whose new name lacks it.
 * - labels starting with `__` that the rules made or changed are scratch space and are dropped; meta attributes
 *   that came in (`__mntr_key`) pass on unchanged, for later stages, and the service strips them before export.
 *   Labels with an empty name (a `labelmap` can make one) are dropped too.
 * - the other labels are the attributes. A label that was an attribute keeps its attribute key (`zk.endpoint`, not
 *   `zk_endpoint`, which exports the same); an unchanged attribute set stays the same object, and equal new sets are
 *   one object.
 *
 * With no rules the processor passes batches through untouched. Per-series results are remembered by seriesStage.
 */
import type { OperatorFunction } from 'rxjs';
import { describeMetric, type Attributes, type Batch, type MetricDescriptor } from '../../core/batch.js';
import { prometheusLabelName, prometheusMetricName } from '../../internal/prometheus/names.js';
import { isMetaAttribute } from '../../core/meta-attributes.js';
import { seriesStage, type Series } from '../../core/series-stage.js';
import type { RelabelProcessorConfig } from './config.js';
import { compileRelabelConfigs } from '../../internal/relabel/relabel.js';

const MAX_INTERNED = 100_000;
const MAX_NAMES_PER_METRIC = 10_000;

export function relabelStage(config: RelabelProcessorConfig): OperatorFunction<Batch, Batch> {
  if (config.rules.length === 0) return (batches) => batches;
  const relabel = compileRelabelConfigs(config.rules, { nameValidationScheme: config.metric_name_validation_scheme });
  // Per processor, not per subscription: a restarted pipeline gets the same descriptor and attribute objects.
  const descriptors = new WeakMap<MetricDescriptor, Map<string, MetricDescriptor>>();
  const interned = new Map<string, Attributes>();

  const rename = (metric: MetricDescriptor, name: string): MetricDescriptor => {
    let byName = descriptors.get(metric);
    if (!byName) descriptors.set(metric, (byName = new Map()));
    let renamed = byName.get(name);
    if (!renamed) {
      renamed = describeMetric(name, metric.kind, {
        unit: metric.unit,
        description: metric.description,
        valueType: metric.valueType,
        ...(metric.meta ? { meta: metric.meta } : {}),
      });
      if (byName.size < MAX_NAMES_PER_METRIC) byName.set(name, renamed);
    }
    return renamed;
  };

  const intern = (entries: [string, string][]): Attributes => {
    const key = JSON.stringify(entries);
    let attributes = interned.get(key);
    if (!attributes) {
      attributes = Object.freeze(Object.fromEntries(entries));
      if (interned.size < MAX_INTERNED) interned.set(key, attributes);
    }
    return attributes;
  };

  return seriesStage((series): Series | null => {
    const metricName = prometheusMetricName(series.metric);
    // Null prototype: a label may be called anything, `__proto__` included.
    const labels: Record<string, string> = Object.create(null);
    const attributeKeys = new Map<string, string>();
    // The descriptor's meta labels stay on the descriptor: they are never turned into attributes.
    if (series.metric.meta) Object.assign(labels, series.metric.meta);
    for (const key of Object.keys(series.attributes)) {
      const name = isMetaAttribute(key) ? key : prometheusLabelName(key);
      labels[name] = series.attributes[key]!;
      attributeKeys.set(name, key);
    }
    labels.__name__ = metricName;

    const relabeled = relabel(labels);
    const name = relabeled && Object.hasOwn(relabeled, '__name__') ? relabeled.__name__ : '';
    if (!relabeled || !name) return null;

    const entries: [string, string][] = [];
    for (const [label, value] of Object.entries(relabeled)) {
      if (label === '') continue;
      // Meta attributes that came in pass on unchanged (the service strips them before export), so a series the
      // rules leave alone stays the same object; `__` labels the rules made or changed are scratch, and dropped.
      if (isMetaAttribute(label) && series.attributes[label] !== value) continue;
      entries.push([attributeKeys.get(label) ?? label, value]);
    }
    const metric = name === metricName ? series.metric : rename(series.metric, name);
    const attributes = hasEntries(series.attributes, entries) ? series.attributes : intern(entries);
    return metric === series.metric && attributes === series.attributes ? series : { metric, attributes };
  });
}

/** Whether `attributes` holds exactly `entries`. */
function hasEntries(attributes: Attributes, entries: readonly [string, string][]): boolean {
  if (Object.keys(attributes).length !== entries.length) return false;
  for (const [key, value] of entries) if (!Object.hasOwn(attributes, key) || attributes[key] !== value) return false;
  return true;
}
