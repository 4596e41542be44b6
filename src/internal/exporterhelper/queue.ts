/** The sending queue's building blocks, kept free of I/O so they can be tested on their own. */

/**
 * A FIFO with a hard bound that drops its OLDEST entries: with cumulative data the newest snapshot carries every
 * counter in full, so losing an old one costs gauge resolution, never counts.
 */
export class BoundedQueue<T> {
  private readonly items: T[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`);
  }

  get length(): number {
    return this.items.length;
  }

  /** Appends `item`; returns the entries dropped to stay within the bound (oldest first). */
  push(item: T): T[] {
    this.items.push(item);
    return this.trim();
  }

  /** Puts `item` back at the head (a failed export to retry); returns what had to go, which may be `item` itself. */
  unshift(item: T): T[] {
    this.items.unshift(item);
    return this.trim();
  }

  shift(): T | undefined {
    return this.items.shift();
  }

  /** Removes and returns everything. */
  drain(): T[] {
    return this.items.splice(0);
  }

  private trim(): T[] {
    return this.items.length > this.capacity ? this.items.splice(0, this.items.length - this.capacity) : [];
  }
}

export interface BackoffSettings {
  readonly initialMs: number;
  readonly maxMs: number;
  /** 1.5 as in the Collector. */
  readonly multiplier?: number;
  /** 0.5 as in the Collector: the wait is drawn from [d·(1−r), d·(1+r)]. */
  readonly randomization?: number;
}

/** Exponential backoff as the Collector's retry_on_failure (cenkalti/backoff): 1.5× per failure, ±50%, capped. */
export class Backoff {
  private current: number;

  constructor(
    private readonly settings: BackoffSettings,
    private readonly random: () => number = Math.random,
  ) {
    this.current = settings.initialMs;
  }

  /** The wait before the next attempt; each call makes the following one longer, up to `maxMs`. */
  next(): number {
    const base = this.current;
    const multiplier = this.settings.multiplier ?? 1.5;
    this.current = Math.min(this.current * multiplier, this.settings.maxMs);
    const r = this.settings.randomization ?? 0.5;
    return Math.max(0, Math.round(base * (1 - r + 2 * r * this.random())));
  }

  reset(): void {
    this.current = this.settings.initialMs;
  }
}
