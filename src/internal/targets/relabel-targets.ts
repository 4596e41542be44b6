/**
 * Target relabeling: Prometheus's `relabel_configs` (the relabel processor's engine, relabel.ts) applied to each
 * discovered target before it is probed, as Prometheus's scrape manager does.
 *
 * The label set a rule sees:
 * - `__address__`: the endpoint (`host:port`);
 * - `zk_cluster`: the target's cluster (a file_sd `zk_cluster` label, else the receiver's `cluster`), when known;
 * - every attribute discovery gave the target under its Prometheus label name (`zk_member_role`, file_sd labels);
 * - the `__meta_*` labels of discovery (target.ts `META_LABELS`, plus a file_sd group's own `__` labels).
 *
 * After the rules: a dropped target is not probed; `__address__` is the endpoint to probe (a value that is no
 * `host:port` drops the target, logged); `zk_cluster` is the target's `zk.cluster`; the other labels not starting
 * with `__` are attributes that every series of the target carries. A label that would be exported as the same
 * Prometheus label as one zkotel sets itself (`zk_endpoint`, `command`, …) is dropped, logged: identity wins.
 */
import type { Attributes } from '../../core/batch.js';
import { parseHostPort } from '../../core/config/schema.js';
import type { Logger } from '../../core/logger.js';
import { prometheusLabelName } from '../prometheus/names.js';
import { isMetaAttribute } from '../../core/meta-attributes.js';
import { compileRelabelConfigs, type RelabelConfig } from '../relabel/relabel.js';
import { CLUSTER_LABEL } from './file-sd-parse.js';
import { reservedAttributeClash, uniqueTargets, type Target } from './target.js';

export const ADDRESS_LABEL = '__address__';
const CLUSTER_ATTRIBUTE = 'zk.cluster';

/** The list relabeled: a function of the discovered list, remembering per target so unchanged targets cost nothing. */
export type TargetRelabeler = (targets: readonly Target[]) => readonly Target[];

export function targetRelabeler(rules: readonly RelabelConfig[], cluster: string | undefined, logger: Logger): TargetRelabeler {
  const relabel = compileRelabelConfigs(rules);
  const logged = new Set<string>();
  const warnOnce = (key: string, message: string, fields: Record<string, unknown>) => {
    if (logged.has(key)) return;
    if (logged.size < 1000) logged.add(key);
    logger.warn(message, fields);
  };
  let previous = new Map<Target, Target | null>();

  const relabelOne = (target: Target): Target | null => {
    const labels: Record<string, string> = Object.create(null);
    const attributeKeys = new Map<string, string>();
    for (const [key, value] of Object.entries(target.attributes)) {
      if (key === CLUSTER_ATTRIBUTE) continue;
      const name = prometheusLabelName(key);
      labels[name] = value;
      attributeKeys.set(name, key);
    }
    Object.assign(labels, target.meta);
    const targetCluster = target.attributes[CLUSTER_ATTRIBUTE] ?? cluster;
    if (targetCluster !== undefined) labels[CLUSTER_LABEL] = targetCluster;
    labels[ADDRESS_LABEL] = target.endpoint;

    const relabeled = relabel(labels);
    if (!relabeled) return null;
    const endpoint = relabeled[ADDRESS_LABEL] ?? '';
    if (parseHostPort(endpoint) === undefined) {
      warnOnce(`address:${target.endpoint}:${endpoint}`, 'relabel_configs: target dropped: __address__ is no host:port', {
        endpoint: target.endpoint,
        address: endpoint,
      });
      return null;
    }
    const attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries(relabeled)) {
      if (isMetaAttribute(name) || name === '') continue;
      if (name === CLUSTER_LABEL) {
        attributes[CLUSTER_ATTRIBUTE] = value;
        continue;
      }
      const key = attributeKeys.get(name);
      const clash = key === undefined ? reservedAttributeClash(name) : undefined;
      if (clash !== undefined) {
        warnOnce(
          `reserved:${name}`,
          `relabel_configs: label dropped: it would be exported as the same Prometheus label as the attribute ${clash} that zkotel sets`,
          { label: name },
        );
        continue;
      }
      attributes[key ?? name] = value;
    }
    return Object.freeze({ endpoint, attributes: Object.freeze(attributes) as Attributes });
  };

  return (targets) => {
    const next = new Map<Target, Target | null>();
    for (const target of targets) next.set(target, previous.has(target) ? previous.get(target)! : relabelOne(target));
    previous = next;
    return uniqueTargets([...next.values()].filter((target): target is Target => target !== null));
  };
}
