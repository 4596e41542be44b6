/**
 * The sparklines' memory: one fixed ring of buckets per series, so a server costs the same whatever its probe
 * rate and however long the agent runs. A bucket keeps the last value recorded in it; buckets nothing was
 * recorded in are gaps (null).
 */
export const HISTORY_WINDOW_MS = 15 * 60_000;
export const HISTORY_STEP_MS = 10_000;
export const HISTORY_POINTS = HISTORY_WINDOW_MS / HISTORY_STEP_MS;

export class Sparkline {
  private readonly values = new Float64Array(HISTORY_POINTS).fill(Number.NaN);
  private lastBucket = -Infinity;

  record(timeMs: number, value: number): void {
    const bucket = Math.floor(timeMs / HISTORY_STEP_MS);
    if (bucket < this.lastBucket - HISTORY_POINTS + 1) return;
    this.advanceTo(bucket);
    this.values[bucket % HISTORY_POINTS] = value;
  }

  /** The window ending in the bucket of `nowMs`, oldest first; null where nothing was recorded. */
  points(nowMs: number): (number | null)[] {
    this.advanceTo(Math.floor(nowMs / HISTORY_STEP_MS));
    const points: (number | null)[] = [];
    for (let i = 1; i <= HISTORY_POINTS; i++) {
      const value = this.values[(this.lastBucket + i) % HISTORY_POINTS]!;
      points.push(Number.isNaN(value) ? null : roundTo3(value));
    }
    return points;
  }

  /** Moving forward clears the buckets skipped over: their old values are older than the window. */
  private advanceTo(bucket: number): void {
    if (bucket <= this.lastBucket) return;
    const from = Number.isFinite(this.lastBucket) ? Math.max(this.lastBucket + 1, bucket - HISTORY_POINTS + 1) : bucket - HISTORY_POINTS + 1;
    for (let b = from; b <= bucket; b++) this.values[((b % HISTORY_POINTS) + HISTORY_POINTS) % HISTORY_POINTS] = Number.NaN;
    this.lastBucket = bucket;
  }
}

/** Three significant digits are all a sparkline or a figure needs, and keep the JSON small. */
export function roundTo3(value: number): number {
  return value === 0 || !Number.isFinite(value) ? value : Number(value.toPrecision(3));
}
