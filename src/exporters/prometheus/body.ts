/**
 * A `/metrics` body made in chunks from a capture of the rendered snapshot: a range of families is copied into a
 * chunk of about CHUNK_BYTES, then the event loop gets a turn (probe replies are read meanwhile), then the next
 * range. With gzip, each chunk is compressed on the thread pool as a gzip member of its own while the next one is
 * assembled (a multi-member gzip stream decompresses as one, RFC 1952; Go's and Node's readers read it whole), so
 * assembly and compression overlap and use both cores, and no turn blocks the loop for more than a chunk's copy.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { copyFamilies, familiesLength, type Capture } from './rendering.js';

/**
 * Level 2, measured on exposition text with Node 20's zlib: faster than level 1 (~300 vs ~200 MB/s per core) and
 * smaller (ratio ~18 vs ~16); higher levels cost more CPU for little. The output of a chunk fits one zlib buffer.
 */
export const GZIP_OPTIONS = { level: 2, chunkSize: 256 * 1024 };
const gzipAsync = promisify(gzip);

/** Plain bytes per chunk: a few ms to copy on the loop, a few ms to gzip on a pool thread. */
export const CHUNK_BYTES = 1 << 20;
/** Chunks waiting for or in gzip at once: enough to keep the pool busy, few enough that the plain bytes held stay small. */
const GZIPS_IN_FLIGHT = 4;

export interface BodyOptions {
  readonly gzip: boolean;
  /** Written before the first family (target_info). */
  readonly prefix?: string;
  readonly chunkBytes?: number;
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

  constructor(capture: Capture, options: BodyOptions) {
    this.names = new Set(capture.layout.names);
    this.version = capture.version;
    const chunks: Promise<Buffer>[] = [];
    const made = (async () => {
      try {
        await assembleInChunks(capture, options, (plain) => {
          const chunk = options.gzip ? gzipAsync(plain, GZIP_OPTIONS) : Promise.resolve(plain);
          // Awaited in order later; marked handled now so a failure before then is not an unhandled rejection.
          chunk.catch(() => {});
          chunks.push(chunk);
          return chunks.length > GZIPS_IN_FLIGHT ? chunks[chunks.length - 1 - GZIPS_IN_FLIGHT] : undefined;
        });
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
 * Calls `emit` with each chunk in order; `emit` may return a promise to wait for before the next chunk (back
 * pressure: the oldest gzip still running).
 */
async function assembleInChunks(capture: Capture, options: BodyOptions, emit: (plain: Buffer) => Promise<unknown> | undefined): Promise<void> {
  const families = capture.layout.names.length;
  const chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
  const lengths = new Int32Array(families);
  for (let f = 0; f < families; f++) lengths[f] = familiesLength(capture, f, f + 1);
  let prefix = options.prefix ?? '';
  let from = 0;
  do {
    let size = Buffer.byteLength(prefix);
    let to = from;
    while (to < families && (to === from || size + lengths[to]! <= chunkBytes)) size += lengths[to++]!;
    const chunk = Buffer.allocUnsafeSlow(size);
    copyFamilies(capture, from, to, chunk, chunk.write(prefix));
    prefix = '';
    from = to;
    const wait = emit(chunk);
    if (from === families) break;
    await wait;
    // Always a turn of the loop between chunks, even when no gzip had to be waited for.
    await nextTurn();
  } while (from < families);
}
