import { combineLatest, distinctUntilChanged, map, type Observable, of, type SchedulerLike } from 'rxjs';
import type { Logger } from '../../core/logger.js';
import type { DiscoveryConfig } from './config.js';
import { dnsTargets } from './dns.js';
import { ensembleTargets, type SeedClientFactory } from './ensemble.js';
import { fileSdTargets } from './file-sd.js';
import { sameTargetList, staticTargets, uniqueTargets, type Target } from './target.js';

export interface DiscoveryContext {
  readonly staticEndpoints: readonly string[];
  readonly config: DiscoveryConfig | undefined;
  readonly logger: Logger;
  /** The receiver's collection interval: how often dns re-resolves unless its refresh_interval says otherwise. */
  readonly refreshIntervalMs?: number | undefined;
  /** Opens the client that reads `/zookeeper/config` from the seeds (ensemble discovery); e.g. to add TLS or auth. */
  readonly seedClient?: SeedClientFactory | undefined;
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
  if (!config?.ensemble) return union;
  return ensembleTargets(union, { logger: logger.child({ discovery: 'ensemble' }), createClient: context.seedClient, memberPort: config.member_port, scheduler: context.scheduler });
}
