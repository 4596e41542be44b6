/**
 * Metric and label names as the Prometheus exporter will show them, so stages that speak Prometheus
 * (relabel rules copied from a Prometheus config) see the same names a PromQL query would.
 * Mirrors @opentelemetry/exporter-prometheus: invalid characters become `_`, runs of `_` collapse,
 * monotonic counters get `_total`; a name that would start with a digit gets a leading `_` (as the OTel serializer
 * does for metric names; the exporter does it for label names too, since `10_0_0_1="…"` is not valid exposition).
 */
import type { MetricDescriptor } from '../../core/batch.js';

const INVALID = /[^a-zA-Z0-9_]/g;
const UNDERSCORES = /_{2,}/g;

/** Invalid characters become `_`, runs of `_` collapse: the OTel serializer's sanitising, before any prefix. */
export function sanitizePrometheusName(name: string): string {
  return name.replace(INVALID, '_').replace(UNDERSCORES, '_');
}

export function prometheusLabelName(key: string): string {
  const name = sanitizePrometheusName(key);
  return startsWithDigit(name) ? `_${name}` : name;
}

export function startsWithDigit(name: string): boolean {
  const first = name.charCodeAt(0);
  return first >= 48 && first <= 57;
}

const metricNames = new WeakMap<MetricDescriptor, string>();

export function prometheusMetricName(metric: MetricDescriptor): string {
  let name = metricNames.get(metric);
  if (name === undefined) {
    name = prometheusLabelName(metric.name);
    if (metric.kind === 'counter' && !name.endsWith('_total')) name += '_total';
    metricNames.set(metric, name);
  }
  return name;
}
