/** The one place that lists the components built into zkotel. Adding a component: add its folder, then one line here. */
import type { ComponentFactory, TelemetryEndpointFactory } from './core/component.js';
import { Registry } from './core/registry.js';
import { debugExporterFactory } from './exporters/debug/factory.js';
import { otlpExporterFactory } from './exporters/otlp/factory.js';
import { prometheusExporterConfigSchema } from './exporters/prometheus/config.js';
import { PrometheusExporter } from './exporters/prometheus/exporter.js';
import { prometheusExporterFactory } from './exporters/prometheus/factory.js';
import { prometheusRemoteWriteExporterFactory } from './exporters/prometheusremotewrite/factory.js';
import { agentGroupExtensionFactory } from './extensions/agent_group/factory.js';
import { healthCheckExtensionFactory } from './extensions/health_check/factory.js';
import { statusExtensionFactory } from './extensions/status/factory.js';
import { attributesProcessorFactory } from './processors/attributes/factory.js';
import { filterProcessorFactory } from './processors/filter/factory.js';
import { limitProcessorFactory } from './processors/limit/factory.js';
import { relabelProcessorFactory } from './processors/relabel/factory.js';
import { transformProcessorFactory } from './processors/transform/factory.js';
import { zookeeperReceiverFactory } from './receivers/zookeeper/factory.js';
import { zookeeperSessionReceiverFactory } from './receivers/zookeeper_session/factory.js';

export const BUILTIN_FACTORIES: readonly ComponentFactory[] = [
  zookeeperReceiverFactory,
  zookeeperSessionReceiverFactory,
  relabelProcessorFactory,
  filterProcessorFactory,
  attributesProcessorFactory,
  transformProcessorFactory,
  limitProcessorFactory,
  prometheusExporterFactory,
  otlpExporterFactory,
  prometheusRemoteWriteExporterFactory,
  debugExporterFactory,
  healthCheckExtensionFactory,
  statusExtensionFactory,
  agentGroupExtensionFactory,
];

export function builtinRegistry(): Registry {
  return new Registry(BUILTIN_FACTORIES);
}

/** `service.telemetry.metrics.address`: the agent's own metrics on a /metrics of their own, served like the prometheus exporter's. */
export const telemetryEndpoint: TelemetryEndpointFactory = (settings, address) =>
  new PrometheusExporter(settings, prometheusExporterConfigSchema.parse({ endpoint: address }), { includeTelemetry: true });
