import { combineLatest, distinctUntilChanged, map, type Observable, of, type SchedulerLike } from 'rxjs';
import type { CreateSettings } from '../../core/component.js';
import type { Logger } from '../../core/logger.js';
import type { RelabelConfig } from '../relabel/relabel.js';
import type { DiscoveryConfig } from './config.js';
import { dnsTargets } from './dns.js';
import { ensembleTargets, type SeedClientFactory } from './ensemble.js';
import { fileSdTargets } from './file-sd.js';
import { targetRelabeler } from './relabel-targets.js';
import { isTargetShard, ownedTargets } from './sharding.js';
import type { TargetReceiverConfig } from './static-endpoints.js';
import { sameTargetList, staticTargets, uniqueTargets, type Target } from './target.js';

export interface DiscoveryContext {
  readonly staticEndpoints: readonly string[];
  readonly config: DiscoveryConfig | undefined;
  readonly logger: Logger;
  /** The receiver's collection interval: how often dns re-resolves unless its refresh_interval says otherwise. */
  readonly refreshIntervalMs?: number | undefined;
  /** Opens the client that reads `/zookeeper/config` from the seeds (ensemble discovery); e.g. to add TLS or auth. */
  readonly seedClient?: SeedClientFactory | undefined;
  /** Prometheus relabel_configs applied to every target found (relabel-targets.ts). */
  readonly relabelConfigs?: readonly RelabelConfig[] | undefined;
  /** The receiver's `cluster`: the `zk_cluster` label relabeling sees for targets with no cluster of their own. */
  readonly cluster?: string | undefined;
  /** The receiver's time (its create settings' scheduler): refresh intervals, debounce, fallback and backoff timers. */
  readonly scheduler?: SchedulerLike | undefined;
  /** What the agent's receivers set on their samples (their factories' `attributes`): target labels may not clash with it. */
  readonly receiverAttributes?: ReadonlySet<string> | undefined;
}

/**
 * The receiver's target list over time: a new list whenever membership changes, never the same list twice.
 * Static endpoints, file_sd and dns targets are unioned (one target per endpoint, the first source listing it
 * giving its attributes); with `ensemble: true` that union is only the seeds, expanded to their ensemble's members.
 */
export function discoverTargets(context: DiscoveryContext): Observable<readonly Target[]> {
  const { config, logger } = context;
  const sources: Observable<readonly Target[]>[] = [of(staticTargets(context.staticEndpoints))];
  if (config?.file_sd) sources.push(fileSdTargets(config.file_sd, logger.child({ discovery: 'file_sd' }), context.scheduler, context.receiverAttributes));
  if (config?.dns) sources.push(dnsTargets(config.dns, logger.child({ discovery: 'dns' }), context.refreshIntervalMs, context.scheduler));
  const union = combineLatest(sources).pipe(
    map((lists) => uniqueTargets(lists.flat())),
    distinctUntilChanged(sameTargetList),
  );
  const found = config?.ensemble
    ? ensembleTargets(union, {
        logger: logger.child({ discovery: 'ensemble' }),
        createClient: context.seedClient,
        memberPort: config.member_port,
        scheduler: context.scheduler,
      })
    : union;
  if (!context.relabelConfigs?.length) return found;
  const relabel = targetRelabeler(context.relabelConfigs, context.cluster, logger.child({ discovery: 'relabel' }));
  return found.pipe(map(relabel), distinctUntilChanged(sameTargetList));
}

/**
 * The targets a ZooKeeper receiver probes: discovered, relabeled, and — with `agent_group` — only those this agent
 * owns in its group. Throws when `agent_group` names no running sharding extension (a config mistake).
 */
export function receiverTargets(
  settings: CreateSettings,
  config: TargetReceiverConfig,
  seedClient: SeedClientFactory,
  /** The receiver's own attributes, when the registry did not give the union of every receiver's. */
  ownAttributes: ReadonlySet<string>,
): Observable<readonly Target[]> {
  const targets = discoverTargets({
    staticEndpoints: config.endpoints,
    config: config.discovery,
    logger: settings.logger,
    refreshIntervalMs: config.collection_interval,
    seedClient,
    relabelConfigs: config.relabel_configs,
    cluster: config.cluster,
    scheduler: settings.scheduler,
    receiverAttributes: settings.receiverAttributes ?? ownAttributes,
  });
  if (config.agent_group === undefined) return targets;
  const shard = settings.extension?.(config.agent_group);
  if (!isTargetShard(shard)) {
    throw new Error(
      `agent_group: ${JSON.stringify(config.agent_group)} is not a running agent_group extension: define it under extensions: and list it in service.extensions`,
    );
  }
  return ownedTargets(targets, shard, settings.id, config.cluster);
}
