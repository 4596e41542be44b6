/**
 * The pace of a scraping receiver, as the Collector's scraperhelper sets it: a first round after `initialDelayMs`,
 * then one every `intervalMs`. Rounds of one target never overlap: a tick that finds the previous round still
 * running is skipped (reported to `onSkip`), never queued, so a slow or hung server costs at most one round in
 * flight. Time comes from `scheduler`, so the pace is tested in virtual time.
 */
import { asyncScheduler, exhaustMap, filter, finalize, from, timer, type Observable, type ObservableInput, type SchedulerLike } from 'rxjs';

export interface RoundTiming {
  readonly initialDelayMs: number;
  readonly intervalMs: number;
}

export function roundsEvery<T>(
  round: () => ObservableInput<T>,
  timing: RoundTiming,
  scheduler: SchedulerLike = asyncScheduler,
  onSkip: () => void = () => {},
): Observable<T> {
  let running = false;
  return timer(timing.initialDelayMs, timing.intervalMs, scheduler).pipe(
    filter(() => {
      if (running) onSkip();
      return !running;
    }),
    exhaustMap(() => {
      running = true;
      return from(round()).pipe(finalize(() => (running = false)));
    }),
  );
}
