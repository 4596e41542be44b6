import type { OperatorFunction } from 'rxjs';
import type { Attributes, Batch } from './batch.js';
import { isMetaAttribute } from './prometheus-names.js';
import { seriesStage } from './series-stage.js';

const MAX_INTERNED = 100_000;

/**
 * Removes pipeline-internal `__*` attributes before batches reach exporters (like Prometheus drops `__` labels
 * after relabeling). Attribute sets that become equal become the same object, so exporters' caches stay small.
 */
export function stripMetaAttributes(): OperatorFunction<Batch, Batch> {
  const interned = new Map<string, Attributes>();
  return seriesStage((series) => {
    let hasMeta = false;
    for (const key in series.attributes) if (isMetaAttribute(key)) hasMeta = true;
    if (!hasMeta) return series;
    const kept = Object.fromEntries(Object.entries(series.attributes).filter(([key]) => !isMetaAttribute(key)));
    const key = JSON.stringify(kept);
    let attributes = interned.get(key);
    if (!attributes) {
      attributes = Object.freeze(kept);
      if (interned.size < MAX_INTERNED) interned.set(key, attributes);
    }
    return { metric: series.metric, attributes };
  });
}
