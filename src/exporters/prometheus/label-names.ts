/**
 * Label names that would start with a digit (a relabel rule or an attribute edit can make `10.0.0.1` a key) are
 * not valid in the text exposition: one such line makes Prometheus reject the whole scrape. Both ways of writing
 * /metrics give them a leading `_`: the renderer through prometheusLabelName, and the OTel serializer — which
 * fixes only metric names — by being handed keys that already have it.
 */
import { replaceAttributes, type Attributes, type Batch } from '../../core/batch.js';
import { startsWithDigit } from '../../internal/prometheus/names.js';

const exposable = new WeakMap<Attributes, Attributes>();

export function exposableAttributes(attributes: Attributes): Attributes {
  let fixed = exposable.get(attributes);
  if (fixed === undefined) {
    fixed = Object.keys(attributes).some(startsWithDigit)
      ? Object.freeze(Object.fromEntries(Object.entries(attributes).map(([key, value]) => [startsWithDigit(key) ? `_${key}` : key, value])))
      : attributes;
    exposable.set(attributes, fixed);
  }
  return fixed;
}

/** The batches with every attribute set made exposable; a batch that needs nothing is passed on as is. */
export function* withExposableLabelNames(batches: Iterable<Batch>): Iterable<Batch> {
  for (const batch of batches) yield replaceAttributes(batch, exposableAttributes);
}
