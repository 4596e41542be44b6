/**
 * A `/metrics` body made in chunks from a capture of the rendered snapshot: a range of families is copied into a
 * chunk of about CHUNK_BYTES, source by source, and every SLICE_MS the event loop gets a turn (probe replies are
 * read meanwhile). With gzip, each chunk is compressed on the thread pool as a gzip member of its own while the next
 * one is assembled (a multi-member gzip stream decompresses as one, RFC 1952; Go's and Node's readers read it
 * whole), so assembly and compression overlap and use both cores, and no turn blocks the loop for much more than
 * SLICE_MS.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { FamiliesCopy, familiesLength, type Capture } from './rendering.js';

/**
 * Level 2, measured on exposition text with Node 20's zlib: faster than level 1 (~300 vs ~200 MB/s per core) and
 * smaller (ratio ~18 vs ~16); higher levels cost more CPU for little. The output of a chunk fits one zlib buffer.
 */
export const GZIP_OPTIONS = { level: 2, chunkSize: 256 * 1024 };
const gzipAsync = promisify(gzip);

/**
 * Plain bytes per chunk: ~10 ms to copy on the loop, ~10-15 ms to gzip on a pool thread. Large enough that the
 * source-by-source copy (rendering.ts, copyFamilies) reads many families of a source in one sweep: at 5,000
 * targets 4 MB chunks assemble a body in 553 ms of CPU, 1 MB chunks in 805-915 ms (family by family: 1.5-1.8 s).
 */
export const CHUNK_BYTES = 4 << 20;
/**
 * Assembly runs for at most about this long before the loop gets a turn: short enough for probe replies to be
 * read within their deadline, long enough that a body needs few turns when the loop is busy with probes (a turn
 * then lasts as long as their work, and a body of N slices waits N turns).
 */
const SLICE_MS = 8;
/** Sources copied between two looks at the clock: ~1 ms at 1,000 targets (a chunk holds ~100 of a source's lines). */
const SOURCES_PER_STEP = 64;
/** Chunks waiting for or in gzip at once: enough to keep the pool busy, few enough that the plain bytes held stay small. */
const GZIPS_IN_FLIGHT = 4;

export interface BodyOptions {
  readonly gzip: boolean;
  /** Written before the first family (target_info). */
  readonly prefix?: string;
  readonly chunkBytes?: number;
  /** How long assembly runs before the loop gets a turn (SLICE_MS). */
  readonly sliceMs?: number;
  /** Called once every chunk is assembled: the capture is no longer read. */
  readonly assembled?: () => void;
}

/** One body, shared by every scrape that uses it: `complete` resolves to its chunks (gzip members, or plain bytes). */
export class ChunkedBody {
  readonly complete: Promise<Buffer[]>;
  /** Metric names of the body's families: a later part may only add other families. */
  readonly names: ReadonlySet<string>;
  readonly version: number;
  readonly startedAt = performance.now();
  /** Wall time from start to the last chunk ready; undefined until then. */
  costMs: number | undefined;
  /**
   * Time spent assembling on the loop (the slices, not the waits between them): what the body cost this thread,
   * and unlike the wall time, small for a small body however busy the machine.
   */
  assemblyMs = 0;

  constructor(capture: Capture, options: BodyOptions) {
    this.names = new Set(capture.layout.names);
    this.version = capture.version;
    const chunks: Promise<Buffer>[] = [];
    const made = (async () => {
      try {
        let settled = 0;
        await assembleInChunks(
          capture,
          options,
          (ms) => (this.assemblyMs += ms),
          (plain) => {
            const chunk = options.gzip ? gzipAsync(plain, GZIP_OPTIONS).finally(() => release(plain)) : Promise.resolve(plain);
            // Awaited in order later; counted (and marked handled, so a failure before then is not unhandled) now.
            chunk.then(
              () => settled++,
              () => settled++,
            );
            chunks.push(chunk);
            // Back pressure: the oldest chunk still in gzip, when too many are.
            return chunks.length - settled >= GZIPS_IN_FLIGHT ? chunks[settled] : undefined;
          },
        );
      } finally {
        options.assembled?.();
      }
      const all = await Promise.all(chunks);
      this.costMs = performance.now() - this.startedAt;
      return all;
    })();
    made.catch(() => {});
    this.complete = made;
  }
}

/**
 * Frees a chunk's memory at the next young-generation collection rather than the next full one. Its Buffer stayed
 * alive while gzip ran on the thread pool, long enough to be promoted; dead chunks then piled up (~60 MB at 1,000
 * targets) until a full collection. Moved to a new ArrayBuffer that nothing references, the memory goes with it.
 * `chunk` must own all of its ArrayBuffer (Buffer.allocUnsafeSlow), and is empty afterwards.
 */
export function release(chunk: Buffer): void {
  // Buffer.allocUnsafeSlow's memory is a plain ArrayBuffer, never a SharedArrayBuffer (which could not be moved).
  const memory = chunk.buffer as ArrayBuffer;
  structuredClone(memory, { transfer: [memory] });
}

/**
 * Calls `emit` with each chunk in order, giving the loop a turn every SLICE_MS, within a chunk too (its copy goes
 * SOURCES_PER_STEP sources at a time); `emit` may return a promise to wait for before the next chunk (back pressure:
 * the oldest gzip still running).
 */
async function assembleInChunks(
  capture: Capture,
  options: BodyOptions,
  busy: (ms: number) => void,
  emit: (plain: Buffer) => Promise<unknown> | undefined,
): Promise<void> {
  const families = capture.layout.names.length;
  const chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
  const sliceMs = options.sliceMs ?? SLICE_MS;
  let sliceStarted = performance.now();
  const pause = async (until?: Promise<unknown>): Promise<void> => {
    busy(performance.now() - sliceStarted);
    if (until) await until;
    // A turn of the loop (a macrotask), even when the awaited gzip had already finished.
    await nextTurn();
    sliceStarted = performance.now();
  };
  let prefix = options.prefix ?? '';
  let from = 0;
  do {
    // The range's length first (arithmetic only), then its copy, a few sources at a time.
    let size = Buffer.byteLength(prefix);
    let to = from;
    while (to < families && (to === from || size < chunkBytes)) {
      size += familiesLength(capture, to, to + 1);
      to++;
    }
    const chunk = Buffer.allocUnsafeSlow(size);
    const copy = new FamiliesCopy(capture, from, to, chunk, chunk.write(prefix));
    for (;;) {
      copy.copySources(SOURCES_PER_STEP);
      if (copy.done) break;
      if (performance.now() - sliceStarted >= sliceMs) await pause();
    }
    prefix = '';
    from = to;
    const wait = emit(chunk);
    if (from === families) break;
    if (wait || performance.now() - sliceStarted >= sliceMs) await pause(wait);
  } while (from < families);
  busy(performance.now() - sliceStarted);
}
