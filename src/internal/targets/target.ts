import type { Attributes } from '../../core/batch.js';
import { prometheusLabelName } from '../prometheus/names.js';

/** One ZooKeeper server to probe, as static config or a discovery mechanism names it. */
export interface Target {
  /** `host:port` of the server's client port: the `zk.endpoint` identity of every series probed from it. */
  readonly endpoint: string;
  /** Added to every series of this target (e.g. the member role found by ensemble discovery, file_sd labels). */
  readonly attributes: Attributes;
  /**
   * Where discovery found the target, as Prometheus `__meta_*` labels (`__meta_zookeeper_source`, the member's role
   * and id, the DNS name, a file_sd file's path and `__` labels). Only `relabel_configs` see them; never exported.
   */
  readonly meta?: Readonly<Record<string, string>>;
}

/** The `__meta_*` labels discovery gives a target (Prometheus names service-discovery labels this way). */
export const META_LABELS = Object.freeze({
  /** `static`, `file_sd`, `dns` or `ensemble`: which source listed the target. */
  source: '__meta_zookeeper_source',
  /** Ensemble discovery: `participant` or `observer`, from `/zookeeper/config`. */
  memberRole: '__meta_zookeeper_member_role',
  /** Ensemble discovery: the member's server id (`server.N`). */
  memberId: '__meta_zookeeper_member_id',
  /** dns discovery: the name that was resolved. */
  dnsName: '__meta_zookeeper_dns_name',
  /** file_sd: the file the target was read from (Prometheus's own name). */
  filePath: '__meta_filepath',
});

export function staticTargets(endpoints: readonly string[]): readonly Target[] {
  const meta = Object.freeze({ [META_LABELS.source]: 'static' });
  return endpoints.map((endpoint) => Object.freeze({ endpoint, attributes: Object.freeze({}), meta }));
}

/** Same target, same attributes and meta labels: its probe loop (and its relabeling) can stay as it is. */
export function sameTarget(a: Target, b: Target): boolean {
  return a.endpoint === b.endpoint && sameRecord(a.attributes, b.attributes) && sameRecord(a.meta ?? NO_META, b.meta ?? NO_META);
}

const NO_META: Readonly<Record<string, string>> = Object.freeze({});

function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  if (a === b) return true;
  const aKeys = Object.keys(a);
  return aKeys.length === Object.keys(b).length && aKeys.every((key) => a[key] === b[key]);
}

/** One target per endpoint, the first one listed winning: the union of several sources. */
export function uniqueTargets(targets: Iterable<Target>): readonly Target[] {
  const byEndpoint = new Map<string, Target>();
  for (const target of targets) if (!byEndpoint.has(target.endpoint)) byEndpoint.set(target.endpoint, target);
  return [...byEndpoint.values()];
}

/** Same targets in the same order: a list that need not be emitted again. */
export function sameTargetList(a: readonly Target[], b: readonly Target[]): boolean {
  return a.length === b.length && a.every((target, index) => sameTarget(target, b[index]!));
}

/** `host:port`, with an IPv6 host in brackets as `hostPort()` expects it. */
export function endpointOf(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The identity of a target's series, set by `targetReceiver` and ensemble discovery for every receiver. */
export const IDENTITY_ATTRIBUTES: readonly string[] = Object.freeze(['zk.endpoint', 'zk.cluster', 'zk.server.id', 'zk.member.role']);

/** Labels the Prometheus exposition adds itself. */
export const EXPOSITION_LABELS: readonly string[] = Object.freeze(['le', 'quantile', 'otel_scope_name', 'otel_scope_version']);

/** Per set of receiver attributes: Prometheus label name → the reserved attribute exported under it. */
const clashTables = new WeakMap<ReadonlySet<string>, ReadonlyMap<string, string>>();
const NO_RECEIVER_ATTRIBUTES: ReadonlySet<string> = new Set();

function clashTable(receiverAttributes: ReadonlySet<string>): ReadonlyMap<string, string> {
  let table = clashTables.get(receiverAttributes);
  if (!table) {
    table = new Map([...IDENTITY_ATTRIBUTES, ...EXPOSITION_LABELS, ...receiverAttributes].map((name) => [prometheusLabelName(name), name]));
    clashTables.set(receiverAttributes, table);
  }
  return table;
}

/**
 * The reserved attribute that a target attribute `name` would be exported as the same Prometheus label as, if any:
 * the identity attributes, the exposition's own labels, and `receiverAttributes` (what the agent's receivers set
 * on their samples, as their factories declare it: `Registry.receiverAttributes()`).
 */
export function reservedAttributeClash(name: string, receiverAttributes: ReadonlySet<string> = NO_RECEIVER_ATTRIBUTES): string | undefined {
  return clashTable(receiverAttributes).get(prometheusLabelName(name));
}
