/**
 * When the next scrape will come. Prometheus scrapes a target at a fixed interval (scrape_interval, with a fixed
 * offset per target), so once a few scrapes came at the same interval the next one is due one interval after the
 * last. A body that takes long to make (hundreds of ms at 1,000+ targets) can then be made before the scraper
 * arrives, and the scrape costs only the transfer.
 */

/** Scrapes remembered: this many intervals must agree before one is trusted. */
const INTERVALS_KEPT = 3;
/** Intervals agree when each is within this fraction of their mean (Prometheus's own jitter is well under 1%). */
const TOLERANCE = 0.1;

export interface ExpectedScrape {
  /** When it should arrive, on the clock `arrived` was given. */
  readonly at: number;
  /** Whether the last scrapes asked for gzip. */
  readonly gzip: boolean;
  /** How late it may come and still be the scrape expected (the intervals' tolerance). */
  readonly lateness: number;
}

export class ScrapeForecast {
  private readonly arrivals: number[] = [];
  private gzip = false;

  arrived(at: number, gzip: boolean): void {
    if (gzip !== this.gzip) this.arrivals.length = 0;
    this.gzip = gzip;
    this.arrivals.push(at);
    if (this.arrivals.length > INTERVALS_KEPT + 1) this.arrivals.shift();
  }

  /** The next scrape, when the last ones came at one steady interval; else undefined (irregular, or too few yet). */
  next(): ExpectedScrape | undefined {
    const { arrivals } = this;
    if (arrivals.length < INTERVALS_KEPT + 1) return undefined;
    const intervals = arrivals.slice(1).map((at, i) => at - arrivals[i]!);
    const mean = intervals.reduce((sum, interval) => sum + interval, 0) / intervals.length;
    if (mean <= 0 || intervals.some((interval) => Math.abs(interval - mean) > TOLERANCE * mean)) return undefined;
    return { at: arrivals[arrivals.length - 1]! + mean, gzip: this.gzip, lateness: TOLERANCE * mean };
  }
}
