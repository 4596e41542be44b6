/**
 * Metric and label names as the Prometheus exporter will show them, so stages that speak Prometheus
 * (relabel rules copied from a Prometheus config) see the same names a PromQL query would.
 * Mirrors @opentelemetry/exporter-prometheus: invalid characters become `_`, runs of `_` collapse,
 * monotonic counters get `_total`.
 */
import type { MetricDescriptor } from '../../core/batch.js';

const INVALID = /[^a-zA-Z0-9_]/g;
const UNDERSCORES = /_{2,}/g;

export function prometheusLabelName(key: string): string {
  return key.replace(INVALID, '_').replace(UNDERSCORES, '_');
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
