/** The one place that lists the components built into zkotel. Adding a component: add its folder, then one line here. */
import type { ComponentFactory } from './core/component.js';
import { Registry } from './core/registry.js';
import { debugExporterFactory } from './exporters/debug/factory.js';
import { prometheusExporterFactory } from './exporters/prometheus/factory.js';
import { zookeeperReceiverFactory } from './receivers/zookeeper/factory.js';

export const BUILTIN_FACTORIES: readonly ComponentFactory[] = [zookeeperReceiverFactory, prometheusExporterFactory, debugExporterFactory];

export function builtinRegistry(): Registry {
  return new Registry(BUILTIN_FACTORIES);
}
