import { Observable, type Subscription } from 'rxjs';
import type { Batch } from '../../core/batch.js';
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
 */
export function perTarget(
  targetLists: Observable<readonly Target[]>,
  sourceOf: (target: Target) => string,
  loop: (target: Target) => Observable<Batch>,
): PerTargetLoops {
  let count = 0;
  const batches = new Observable<Batch>((subscriber) => {
    const running = new Map<string, { target: Target; subscription: Subscription }>();
    const start = (target: Target) => {
      const subscription = loop(target).subscribe({
        next: (batch) => subscriber.next(batch),
        error: (error: unknown) => subscriber.error(error),
      });
      running.set(target.endpoint, { target, subscription });
    };
    const forget = (target: Target) => {
      const now = Date.now();
      subscriber.next({ source: sourceOf(target), timeMs: now, startTimeMs: now, samples: [] });
    };
    const listSubscription = targetLists.subscribe({
      next: (targets) => {
        const wanted = new Map(targets.map((target) => [target.endpoint, target]));
        for (const [endpoint, entry] of running) {
          const next = wanted.get(endpoint);
          if (next && sameTarget(next, entry.target)) continue;
          entry.subscription.unsubscribe();
          running.delete(endpoint);
          if (!next) forget(entry.target);
        }
        for (const target of wanted.values()) if (!running.has(target.endpoint)) start(target);
        count = running.size;
      },
      error: (error: unknown) => subscriber.error(error),
    });
    return () => {
      listSubscription.unsubscribe();
      for (const entry of running.values()) entry.subscription.unsubscribe();
      running.clear();
      count = 0;
    };
  });
  return { batches, targetCount: () => count };
}
