import { Observable, type Subscription } from 'rxjs';
import type { Batch } from '../../core/batch.js';
import type { Logger } from '../../core/logger.js';
import { sameTarget, type Target } from './target.js';

export interface PerTargetLoops {
  /** Batches of every current target's probe loop. */
  readonly batches: Observable<Batch>;
  /** How many targets are probed right now: the sources of one collection round. */
  readonly targetCount: () => number;
}

/**
 * Runs one probe loop per target of the latest target list. A target that appears gets a loop at once; one that
 * disappears has its loop stopped and its source forgotten (an empty batch), so its series vanish from exporters;
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
  /** The clock of the batches that forget a source. */
  now: () => number = Date.now,
): PerTargetLoops {
  let count = 0;
  const setCount = (next: number) => {
    if (next === count) return;
    count = next;
    countChanged(count);
  };
  const batches = new Observable<Batch>((subscriber) => {
    const running = new Map<string, { target: Target; subscription?: Subscription }>();
    const forget = (target: Target) => {
      const timeMs = now();
      subscriber.next({ source: sourceOf(target), timeMs, startTimeMs: timeMs, samples: [] });
    };
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
