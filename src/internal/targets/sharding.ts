/**
 * Sharding targets across agents: an extension (agent_group) tells which targets this agent owns, and a receiver
 * that opts in (`agent_group: <extension id>`) probes only those. The key of a target is its cluster, so a whole
 * ensemble stays on one agent; a target without a cluster is its own key (its endpoint).
 */
import { combineLatest, distinctUntilChanged, finalize, map, type Observable } from 'rxjs';
import { sameTargetList, type Target } from './target.js';

/** Which keys this agent owns now. */
export interface Assignment {
  owns(key: string): boolean;
}

/** What a receiver needs of a sharding extension. */
export interface TargetShard {
  /** The current assignment, replayed to every new subscriber, then each new one. Never errors. */
  readonly assignment: Observable<Assignment>;
  /** How many targets a receiver owns now (the extension reports the sum of its receivers). */
  reportOwned(receiver: string, count: number): void;
}

export function isTargetShard(value: unknown): value is TargetShard {
  return typeof value === 'object' && value !== null && 'assignment' in value && typeof (value as TargetShard).reportOwned === 'function';
}

/** The sharding key of a target: its cluster (`zk.cluster`, else the receiver's), else its endpoint. */
export function shardKey(target: Target, cluster: string | undefined): string {
  return target.attributes['zk.cluster'] ?? cluster ?? target.endpoint;
}

/** The targets of `targets` this agent owns, whenever either the targets or the assignment change. */
export function ownedTargets(
  targets: Observable<readonly Target[]>,
  shard: TargetShard,
  receiver: string,
  cluster: string | undefined,
): Observable<readonly Target[]> {
  return combineLatest([targets, shard.assignment]).pipe(
    map(([list, assignment]) => list.filter((target) => assignment.owns(shardKey(target, cluster)))),
    distinctUntilChanged(sameTargetList),
    map((owned) => {
      shard.reportOwned(receiver, owned.length);
      return owned;
    }),
    finalize(() => shard.reportOwned(receiver, 0)),
  );
}
