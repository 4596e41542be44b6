import type { Receiver } from './component.js';

/**
 * Readiness of the pipelines: the first round is done once every current receiver has delivered a batch for each
 * of its sources (`sourcesPerRound`, else one). Latched: a reload that rebuilds receivers does not make a serving
 * agent unready.
 */
export class RoundTracker {
  /** Per receiver id: the receiver and the sources it has delivered at least once. */
  private readonly receivers = new Map<string, { receiver: Receiver; seen: Set<string> }>();
  private everDone = false;

  /** A receiver of the running pipelines; returns what to call with the source of each batch it delivers. */
  track(id: string, receiver: Receiver): (source: string) => void {
    const seen = new Set<string>();
    this.receivers.set(id, { receiver, seen });
    return (source) => void seen.add(source);
  }

  /** The pipelines stopped: the next ones start a round of their own. */
  clear(): void {
    this.receivers.clear();
  }

  /** Every current receiver has delivered a batch for each of its sources. */
  roundDone(): boolean {
    return [...this.receivers.values()].every(({ receiver, seen }) => seen.size >= (receiver.sourcesPerRound ?? 1));
  }

  /** Whether a round was ever done while pipelines ran (`running`). */
  firstRoundDone(running: boolean): boolean {
    this.everDone ||= running && this.roundDone();
    return this.everDone;
  }
}
