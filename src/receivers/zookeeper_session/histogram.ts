import { bucketIndex, type HistogramValue } from '../../core/batch.js';

/** A cumulative explicit-bucket histogram: observations only add up, for the life of the series. */
export class CumulativeHistogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  private min = Infinity;
  private max = -Infinity;

  constructor(private readonly boundaries: readonly number[]) {
    this.counts = new Array<number>(boundaries.length + 1).fill(0);
  }

  record(value: number): void {
    this.counts[bucketIndex(this.boundaries, value)]!++;
    this.count++;
    this.sum += value;
    this.min = Math.min(this.min, value);
    this.max = Math.max(this.max, value);
  }

  /** A copy: batches already handed on must not change under the exporters' feet. */
  value(): HistogramValue {
    const extremes = this.count > 0 ? { min: this.min, max: this.max } : {};
    return { boundaries: this.boundaries, counts: [...this.counts], sum: this.sum, count: this.count, ...extremes };
  }
}
