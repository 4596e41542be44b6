import { map, type OperatorFunction } from 'rxjs';
import { replaceAttributes, type Attributes, type Batch } from './batch.js';

/** Attributes whose name starts with `__` are pipeline-internal (e.g. `__mntr_key`): never exported. */
export function isMetaAttribute(key: string): boolean {
  return key.charCodeAt(0) === 95 && key.charCodeAt(1) === 95;
}

const MAX_INTERNED = 100_000;

/**
 * Removes pipeline-internal `__*` attributes before batches reach exporters (like Prometheus drops `__` labels
 * after relabeling). Attribute sets that become equal become the same object, so exporters' caches stay small.
 *
 * Receivers put their meta labels on descriptors (`MetricDescriptor.meta`), so attributes rarely hold any: this
 * stage decides once per attribute object, and a run of samples sharing one object (a target's identity) costs
 * one comparison per sample. A batch without meta attributes passes on as the same object.
 */
export function stripMetaAttributes(): OperatorFunction<Batch, Batch> {
  const interned = new Map<string, Attributes>();
  const strippedOf = new WeakMap<Attributes, Attributes>();
  const strip = (attributes: Attributes): Attributes => {
    let stripped = strippedOf.get(attributes);
    if (stripped === undefined) {
      stripped = attributes;
      for (const key in attributes) {
        if (!isMetaAttribute(key)) continue;
        const kept = Object.fromEntries(Object.entries(attributes).filter(([name]) => !isMetaAttribute(name)));
        const cacheKey = JSON.stringify(kept);
        stripped = interned.get(cacheKey);
        if (!stripped) {
          stripped = Object.freeze(kept);
          if (interned.size < MAX_INTERNED) interned.set(cacheKey, stripped);
        }
        break;
      }
      strippedOf.set(attributes, stripped);
    }
    return stripped;
  };
  return map((batch) => replaceAttributes(batch, strip));
}
