import { z } from 'zod';
import { duration, hostPort } from '../../core/config/schema.js';
import { relabelRuleSchema } from '../relabel/schema.js';
import type { RelabelConfig } from '../relabel/relabel.js';
import { discoveryConfigSchema, hasTargetSources, type DiscoveryConfig } from './config.js';

/** As the Collector's zookeeper receiver: a local server when nothing (no endpoint, no file_sd or dns) is configured. */
export const DEFAULT_ENDPOINT = '127.0.0.1:2181';

/**
 * The keys every ZooKeeper receiver has (like the Collector's scraper controller settings): where its targets are,
 * how often and how long to probe each, and the `zk.cluster` value. Spread into each receiver's `configObject`.
 */
export const targetReceiverFields = {
  /** One `host:port` client port; shorthand for a one-item `endpoints`. */
  endpoint: hostPort().optional(),
  endpoints: z.array(hostPort()).default([]),
  collection_interval: duration({ min: 10 }).prefault('10s'),
  /** One deadline for all of one probe (round) of one target. */
  timeout: duration({ min: 1 }).prefault('5s'),
  /** Wait before the first probe. */
  initial_delay: duration().prefault('0s'),
  /** Value of the `zk.cluster` attribute on every series, to tell ensembles apart. */
  cluster: z.string().min(1).optional(),
  /** Targets beyond the static `endpoints`: the ensemble's own membership, file_sd files, DNS names. */
  discovery: discoveryConfigSchema.optional(),
  /** Prometheus relabel_configs over each target's labels (`__address__`, `zk_cluster`, `__meta_zookeeper_*`, …). */
  relabel_configs: z.array(relabelRuleSchema).optional(),
  /** The id of an `agent_group` extension: probe only the targets this agent owns in the group. */
  agent_group: z.string().min(1).optional(),
};

/** What discovery needs of a receiver's config (the validated `targetReceiverFields`). */
export interface TargetReceiverConfig {
  readonly endpoints: readonly string[];
  readonly collection_interval: number;
  readonly cluster?: string | undefined;
  readonly discovery?: DiscoveryConfig | undefined;
  readonly relabel_configs?: readonly RelabelConfig[] | undefined;
  readonly agent_group?: string | undefined;
}

/**
 * The static targets of a receiver config: `endpoint` (shorthand for one) and `endpoints`, or the local default
 * when neither is set and file_sd/dns name no targets either (ensemble discovery only expands seeds, so it keeps
 * the default). An endpoint listed twice is reported on `endpoints`.
 */
export function staticEndpoints(
  config: { readonly endpoint?: string | undefined; readonly endpoints: readonly string[]; readonly discovery?: DiscoveryConfig | undefined },
  ctx: z.RefinementCtx,
): string[] {
  const listed = [...(config.endpoint ? [config.endpoint] : []), ...config.endpoints];
  const endpoints = listed.length > 0 || hasTargetSources(config.discovery) ? listed : [DEFAULT_ENDPOINT];
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const endpoint of endpoints) (seen.has(endpoint) ? duplicates : seen).add(endpoint);
  if (duplicates.size > 0) ctx.addIssue({ code: 'custom', path: ['endpoints'], message: `endpoint listed twice: ${[...duplicates].join(', ')}` });
  return endpoints;
}
