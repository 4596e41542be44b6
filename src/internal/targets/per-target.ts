import { asyncScheduler, Observable, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { sourceGone, type Batch, type PipelineItem } from '../../core/batch.js';
import type { Logger } from '../../core/logger.js';
import { sameTarget, type Target } from './target.js';

export interface PerTargetLoops {
  /** Batches of every current target's probe loop, and a `SourceGone` for each target that went. */
  readonly batches: Observable<PipelineItem>;
  /** How many targets are probed right now: the sources of one collection round. */
  readonly targetCount: () => number;
}

/**
 * Runs one probe loop per target of the latest target list. A target that appears gets a loop at once; one that
 * disappears has its loop stopped and its source declared gone (`SourceGone`), so its series vanish from exporters;
 * one whose attributes change gets a fresh loop under the same source.
 *
 * A loop that errors is a bug or bad input of that target alone: it is logged, that target's source is forgotten,
 * and the other targets go on. If still listed, the target gets a fresh loop with the next target list.
 */
export function perTarget(
  targetLists: Observable<readonly Target[]>,
  sourceOf: (target: Target) => string,
  loop: (target: Target) => Observable<Batch>,
  logger: Logger,
  /** Told the number of running loops whenever it changes (a failed loop counts as gone). */
  countChanged: (count: number) => void = () => {},
  /** The clock of the `SourceGone`s. */
  now: () => number = Date.now,
): PerTargetLoops {
  let count = 0;
  const setCount = (next: number) => {
    if (next === count) return;
    count = next;
    countChanged(count);
  };
  const batches = new Observable<PipelineItem>((subscriber) => {
    const running = new Map<string, { target: Target; subscription?: Subscription }>();
    const forget = (target: Target) => subscriber.next(sourceGone(sourceOf(target), now()));
    const failed = (entry: { target: Target }, error: unknown) => {
      if (running.get(entry.target.endpoint) !== entry) return;
      running.delete(entry.target.endpoint);
      setCount(running.size);
      logger.error('probe loop of a target failed; the target is no longer probed', { endpoint: entry.target.endpoint, error });
      forget(entry.target);
    };
    const start = (target: Target) => {
      const entry: { target: Target; subscription?: Subscription } = { target };
      running.set(target.endpoint, entry);
      // Catches what a loop throws while subscribing too: rxjs turns it into an error notification.
      entry.subscription = loop(target).subscribe({
        next: (batch) => subscriber.next(batch),
        error: (error: unknown) => failed(entry, error),
      });
    };
    const listSubscription = targetLists.subscribe({
      next: (targets) => {
        const wanted = new Map(targets.map((target) => [target.endpoint, target]));
        for (const [endpoint, entry] of running) {
          const next = wanted.get(endpoint);
          if (next && sameTarget(next, entry.target)) continue;
          running.delete(endpoint);
          entry.subscription?.unsubscribe();
          if (!next) forget(entry.target);
        }
        for (const target of wanted.values()) if (!running.has(target.endpoint)) start(target);
        setCount(running.size);
      },
      error: (error: unknown) => subscriber.error(error),
    });
    return () => {
      listSubscription.unsubscribe();
      for (const entry of running.values()) entry.subscription?.unsubscribe();
      running.clear();
      setCount(0);
    };
  });
  return { batches, targetCount: () => count };
}

/**
 * A target's collection ticks: the first `initialDelayMs` after subscription, then on the grid
 * `initialDelayMs + phaseMs + k × intervalMs` (k ≥ 1). Each tick is scheduled against that grid, not against when the
 * previous one ran, so nothing drifts. A phase per target (see `tickPhase`) spreads the probes of many targets over
 * the interval instead of firing them all at once. Each emission is the number of due ticks that were lost before
 * it because the event loop was blocked past them, so `1 + lost` summed over emissions is exactly the number of
 * ticks scheduled so far. One timer per loop.
 */
export function collectionTicks(initialDelayMs: number, intervalMs: number, phaseMs = 0, scheduler: SchedulerLike = asyncScheduler): Observable<number> {
  return new Observable<number>((subscriber) => {
    const start = scheduler.now() + initialDelayMs + phaseMs;
    let next = 0;
    return scheduler.schedule(function tick(this: SchedulerAction<unknown>) {
      const due = next === 0 ? 0 : Math.max(next, Math.floor((scheduler.now() - start) / intervalMs));
      const lost = due - next;
      next = due + 1;
      subscriber.next(lost);
      this.schedule(undefined, Math.max(0, start + next * intervalMs - scheduler.now()));
    }, initialDelayMs);
  });
}

/** A stable offset in [0, intervalMs) from a target's endpoint, as Prometheus offsets each target's scrapes. */
export function tickPhase(endpoint: string, intervalMs: number): number {
  let hash = 2166136261;
  for (let i = 0; i < endpoint.length; i++) hash = Math.imul(hash ^ endpoint.charCodeAt(i), 16777619);
  return (hash >>> 0) % Math.max(1, Math.floor(intervalMs));
}
