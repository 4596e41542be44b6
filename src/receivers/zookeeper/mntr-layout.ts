/**
 * The lines of an mntr reply as one server prints them probe after probe: each line's key, in order, and the text
 * of the few string values. MntrParser (mntr-parser.ts) reads the next reply against it without a Map or a key
 * string; `LaidOutNumbers` gives that reply's values the ReadonlyMap view every consumer of MntrReply reads.
 */
import { sharedSequences } from '../../internal/interning/sequences.js';
import { MAX_CACHED } from './descriptors.js';
import { detached, type MntrReply } from './parse.js';

/** Enough for every key a probe looks up (srvr fill-in, unsynced followers, wchs, cnt_<rest> of summary families). */
const MAX_LOOKUPS_KEPT = 64;

export class MntrLayout {
  /** Places among the number values of the keys looked up so far (-1: no such number), so a lookup scans once. */
  private readonly lookups = new Map<string, number>();

  constructor(
    /**
     * Every line's head (a line feed, `zk_<key>`, a tab), in reply order: what the parser finds with one
     * indexOf per line. Shared by every endpoint (a slice of a reply would keep the reply alive).
     */
    readonly heads: readonly string[],
    /** The lines (indexes into `heads`) whose value is a string, ascending, and their values. */
    readonly stringLines: readonly number[],
    readonly stringValues: readonly string[],
    /** The string values by key, as MntrReply.strings. */
    readonly strings: ReadonlyMap<string, string>,
  ) {}

  get numberCount(): number {
    return this.heads.length - this.stringLines.length;
  }

  /** The place of `key` among the number values (the reply's `numbers` order), or -1. */
  numberIndex(key: string): number {
    const known = this.lookups.get(key);
    if (known !== undefined) return known;
    let found = -1;
    this.forEachNumberHead((head, index) => {
      if (found === -1 && head.length === key.length + HEAD_OVERHEAD && head.startsWith(key, KEY_OFFSET)) found = index;
    });
    if (this.lookups.size < MAX_LOOKUPS_KEPT) this.lookups.set(key, found);
    return found;
  }

  /** Calls `visit` with each number line's key and its place among the number values, in reply order. */
  forEachNumberKey(visit: (key: string, index: number) => void): void {
    this.forEachNumberHead((head, index) => visit(keyOf(head), index));
  }

  private forEachNumberHead(visit: (head: string, index: number) => void): void {
    const { heads, stringLines } = this;
    let nextString = 0;
    let index = 0;
    for (let line = 0; line < heads.length; line++) {
      if (stringLines[nextString] === line) nextString++;
      else visit(heads[line]!, index++);
    }
  }
}

const KEY_OFFSET = '\nzk_'.length;
const HEAD_OVERHEAD = KEY_OFFSET + 1;
const keyOf = (head: string): string => head.slice(KEY_OFFSET, -1);

/**
 * The layout of a fully parsed reply, given the keys of its lines in order; undefined when the reply is not one a
 * steady server repeats line for line: an odd line, or a key printed twice. Endpoints whose replies have the same
 * lines share one layout (servers of one version and role print the same keys): a layout is ~8 KB.
 */
export function layoutOf(reply: MntrReply, lineKeys: readonly string[]): MntrLayout | undefined {
  if (reply.oddLines.length > 0 || lineKeys.length === 0 || lineKeys.length !== reply.numbers.size + reply.strings.size) return undefined;
  if (new Set(lineKeys).size !== lineKeys.length) return undefined;
  const stringLines: number[] = [];
  const stringValues: string[] = [];
  const strings = new Map<string, string>();
  const heads = lineKeys.map((key, line) => {
    const head = internHead(key);
    const value = reply.strings.get(key);
    if (value !== undefined) {
      stringLines.push(line);
      stringValues.push(value);
      strings.set(keyOf(head), value);
    }
    return head;
  });
  return sharedLayout(sharedSequences.intern(heads), sharedSequences.intern(stringLines), sharedSequences.intern(stringValues), strings);
}

/** The layouts in use, by their (interned) heads; a layout nobody uses any more goes with its heads. */
const LAYOUTS = new WeakMap<readonly string[], MntrLayout[]>();
function sharedLayout(
  heads: readonly string[],
  stringLines: readonly number[],
  stringValues: readonly string[],
  strings: ReadonlyMap<string, string>,
): MntrLayout {
  let layouts = LAYOUTS.get(heads);
  if (!layouts) LAYOUTS.set(heads, (layouts = []));
  let layout = layouts.find((known) => known.stringLines === stringLines && known.stringValues === stringValues);
  if (!layout) {
    layout = new MntrLayout(heads, stringLines, stringValues, strings);
    // Bounded: string values that change probe after probe (a broken server) must not pile up layouts.
    if (layouts.length >= MAX_LAYOUTS_PER_HEADS) layouts.shift();
    layouts.push(layout);
  }
  return layout;
}
const MAX_LAYOUTS_PER_HEADS = 64;

/** One copy of each line head for every endpoint's layout (bounded: a broken server may print endless new keys). */
const HEADS = new Map<string, string>();
function internHead(key: string): string {
  const head = `\nzk_${key}\t`;
  let own = HEADS.get(head);
  if (own === undefined) {
    own = detached(head);
    if (HEADS.size < MAX_CACHED) HEADS.set(own, own);
  }
  return own;
}

/** The number values of a laid-out reply, in its layout's order, seen as the ReadonlyMap that MntrReply.numbers is. */
export class LaidOutNumbers implements ReadonlyMap<string, number> {
  constructor(
    readonly layout: MntrLayout,
    /** values[i] is the value of the layout's i-th number key. */
    readonly inOrder: readonly number[],
  ) {}

  get size(): number {
    return this.inOrder.length;
  }

  get(key: string): number | undefined {
    const index = this.layout.numberIndex(key);
    return index === -1 ? undefined : this.inOrder[index];
  }

  has(key: string): boolean {
    return this.layout.numberIndex(key) !== -1;
  }

  forEach(callback: (value: number, key: string, map: ReadonlyMap<string, number>) => void, thisArg?: unknown): void {
    this.layout.forEachNumberKey((key, index) => callback.call(thisArg, this.inOrder[index]!, key, this));
  }

  entries(): MapIterator<[string, number]> {
    return this.pairs().entries();
  }

  keys(): MapIterator<string> {
    return this.pairs().keys();
  }

  values(): MapIterator<number> {
    return this.pairs().values();
  }

  [Symbol.iterator](): MapIterator<[string, number]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'LaidOutNumbers';
  }

  /** Iteration (tests, diagnostics) goes through a Map made on demand: the probe path only uses get, has, forEach. */
  private pairs(): Map<string, number> {
    const map = new Map<string, number>();
    this.forEach((value, key) => map.set(key, value));
    return map;
  }
}
