/**
 * The little that every benchmark shares: warm up, run until enough iterations AND enough time have passed,
 * and report CPU (process.cpuUsage: user + system, all threads) and wall time per operation.
 * Timing goals belong to these benchmarks, never to unit tests.
 */

export interface RunOptions {
  /** Operations run (and discarded) before measuring. */
  readonly warmup: number;
  /** Measure at least this many operations... */
  readonly minIterations?: number;
  /** ...and for at least this long. */
  readonly minMs?: number;
}

export interface Timing {
  readonly iterations: number;
  /** CPU (user + system) per operation, µs. */
  readonly cpuUs: number;
  /** Wall clock per operation, µs. */
  readonly wallUs: number;
  readonly opsPerSec: number;
  /** Wall clock of each operation, µs, sorted (only for runAsync). */
  readonly latenciesUs: readonly number[];
  /** The last operation's result, so nothing is optimized away and callers can describe it. */
  readonly last: unknown;
}

/** Runs a synchronous operation in chunks (no per-operation clock reads). */
export function runSync<T>(op: () => T, options: RunOptions): Timing & { last: T } {
  let last = op();
  for (let i = 1; i < options.warmup; i++) last = op();
  const { minIterations = 1, minMs = 1000 } = options;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let iterations = 0;
  let chunk = 16;
  for (;;) {
    for (let i = 0; i < chunk; i++) last = op();
    iterations += chunk;
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (iterations >= minIterations && elapsedMs >= minMs) break;
    if (elapsedMs < minMs / 10) chunk *= 2;
  }
  return { ...finish(iterations, cpu, started, []), last };
}

/** Runs an asynchronous operation sequentially, timing each one for percentiles. */
export async function runAsync<T>(op: () => Promise<T>, options: RunOptions): Promise<Timing & { last: T }> {
  let last = await op();
  for (let i = 1; i < options.warmup; i++) last = await op();
  const { minIterations = 1, minMs = 1000 } = options;
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let at = started; latencies.length < minIterations || Number(at - started) / 1e6 < minMs;) {
    last = await op();
    const now = process.hrtime.bigint();
    latencies.push(Number(now - at) / 1e3);
    at = now;
  }
  return {
    ...finish(
      latencies.length,
      cpu,
      started,
      latencies.sort((a, b) => a - b),
    ),
    last,
  };
}

function finish(iterations: number, cpuBefore: NodeJS.CpuUsage, started: bigint, latenciesUs: number[]): Omit<Timing, 'last'> {
  const wallUs = Number(process.hrtime.bigint() - started) / 1e3;
  const { user, system } = process.cpuUsage(cpuBefore);
  return { iterations, cpuUs: (user + system) / iterations, wallUs: wallUs / iterations, opsPerSec: (iterations * 1e6) / wallUs, latenciesUs };
}

/** The p-th percentile (0..100) of sorted values, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Heap bytes allocated per operation: the median heapUsed delta over small blocks, each started right after a
 * full gc() so no collection falls inside it. Undefined unless node runs with --expose-gc.
 */
export function heapPerOp(op: () => unknown, blockBytes = 512 * 1024, blocks = 31): number | undefined {
  if (!gc) return undefined;
  const used = () => process.memoryUsage().heapUsed;
  const block = (n: number): number => {
    gc();
    const before = used();
    for (let i = 0; i < n; i++) op();
    return used() - before;
  };
  const overhead = block(0);
  // Sized from 16 operations, not one: a single first operation (lazy compilation, a new page) can look ten times
  // bigger, and the blocks would then hold so few operations that such noise decides the median.
  const perOp = Math.max(1, (block(16) - overhead) / 16);
  const n = Math.max(1, Math.min(1000, Math.floor(blockBytes / perOp)));
  const deltas = Array.from({ length: blocks }, () => (block(n) - overhead) / n).sort((a, b) => a - b);
  return percentile(deltas, 50);
}

/** A number with `digits` significant-ish decimals, grouped for reading: 1234.5 -> "1,234.5". */
export function fmt(value: number, digits = 1): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtBytes(bytes: number): string {
  return bytes >= 1e6 ? `${fmt(bytes / 1e6, 2)} MB` : bytes >= 1e3 ? `${fmt(bytes / 1e3, 1)} KB` : `${fmt(bytes, 0)} B`;
}

/** The heap line, or why there is none. */
export function heapNote(bytes: number | undefined): string {
  return bytes === undefined ? 'heap/op: skipped (run node with --expose-gc)' : `~${fmtBytes(bytes)} heap allocated/op`;
}
