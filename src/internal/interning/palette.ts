import { sharedSequences } from './sequences.js';

/**
 * A sequence of objects with few distinct ones, such as a target's series attributes (~490 series, a handful of
 * attribute objects): the distinct objects in order of first appearance (the palette, the holder's own) and, place
 * by place, the index of its object in the palette. The indices are interned: every target whose series carry their
 * attribute objects in the same pattern (every target of a version and role) shares one copy. A plain array of the
 * objects costs ~4 KB of references per target and holder.
 */
export class PaletteSequence<T extends object> {
  private constructor(
    /** The distinct objects, in order of first appearance. */
    readonly palette: readonly T[],
    /** Per place, the index of its object in `palette`; shared (see SequenceInterner). */
    readonly indices: readonly number[],
  ) {}

  static of<S, T extends object>(items: readonly S[], pick: (item: S) => T): PaletteSequence<T> {
    const palette: T[] = [];
    const slots = new Map<T, number>();
    const indices = new Array<number>(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = pick(items[i]!);
      let slot = slots.get(item);
      if (slot === undefined) {
        slot = palette.length;
        slots.set(item, slot);
        palette.push(item);
      }
      indices[i] = slot;
    }
    return new PaletteSequence(Object.freeze(palette), sharedSequences.intern(indices));
  }

  get length(): number {
    return this.indices.length;
  }

  /** The object at place `i` (0 <= i < length). */
  at(i: number): T {
    return this.palette[this.indices[i]!]!;
  }
}
