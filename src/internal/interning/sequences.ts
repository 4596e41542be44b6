/**
 * One shared, frozen copy of each distinct sequence, compared item by item by identity (strings by value).
 *
 * Every target of an ensemble has the same ~490 series in the same order: the same descriptor objects, the same
 * mntr line heads, the same exposed names. Per-target arrays of them cost ~4 KB each (8-byte references), about
 * 30 KB per target over the receiver's and the exporter's bookkeeping: 150 MB at 5,000 targets. Interned, each
 * distinct sequence exists once however many targets hold it.
 *
 * A sequence lives as long as anyone holds it (the table keeps weak references), so sequences that stop being used
 * (a server upgraded, a target removed) do not accumulate. Interning costs a pass over the items; callers intern
 * when a layout changes, not per probe.
 */
export class SequenceInterner {
  private readonly byHash = new Map<number, WeakRef<readonly unknown[]>[]>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;
  private readonly emptied = new FinalizationRegistry<number>((hash) => this.prune(hash));

  /** The shared copy of a sequence with the same items as `items` (made from `items` if there is none yet). */
  intern<T>(items: readonly T[]): readonly T[] {
    const hash = this.hash(items);
    const bucket = this.byHash.get(hash);
    if (bucket) {
      for (const ref of bucket) {
        const kept = ref.deref();
        if (kept && sameItems(kept, items)) return kept as readonly T[];
      }
    }
    const own = Object.freeze(items.slice());
    if (bucket) bucket.push(new WeakRef(own));
    else this.byHash.set(hash, [new WeakRef(own)]);
    this.emptied.register(own, hash);
    return own;
  }

  /** How many distinct sequences are held (tests). */
  get size(): number {
    let live = 0;
    for (const bucket of this.byHash.values()) for (const ref of bucket) if (ref.deref()) live++;
    return live;
  }

  private hash(items: readonly unknown[]): number {
    let hash = items.length | 0;
    for (const item of items) hash = (Math.imul(hash, 31) + this.itemHash(item)) | 0;
    return hash;
  }

  private itemHash(item: unknown): number {
    if (typeof item === 'string') return stringHash(item);
    if ((typeof item === 'object' && item !== null) || typeof item === 'function') {
      let id = this.ids.get(item);
      if (id === undefined) this.ids.set(item, (id = this.nextId++));
      return id;
    }
    return stringHash(String(item));
  }

  private prune(hash: number): void {
    const bucket = this.byHash.get(hash);
    if (!bucket) return;
    const live = bucket.filter((ref) => ref.deref() !== undefined);
    if (live.length === 0) this.byHash.delete(hash);
    else this.byHash.set(hash, live);
  }
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function stringHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash;
}

/** The interner every component shares, so a receiver's sequence and an exporter's equal one are the same array. */
export const sharedSequences = new SequenceInterner();
