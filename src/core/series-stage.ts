import { map, type OperatorFunction } from 'rxjs';
import { mapSamples, type Attributes, type Batch, type MetricDescriptor, type Sample } from './batch.js';

/** What a stage makes of one series: the same objects (unchanged), new ones, or null (dropped). */
export interface Series {
  readonly metric: MetricDescriptor;
  readonly attributes: Attributes;
}

/** Must be pure: the same series always gives the same result, so results are remembered. */
export type SeriesRewrite = (series: Series) => Series | null;

/**
 * A stage from a pure per-series rewrite. Receivers reuse descriptor and attribute objects across probes, so
 * each series is rewritten once and then looked up: a sample that does not change is passed on as the same
 * object, and a batch in which nothing changes is passed on as the same batch, without allocating.
 */
export function seriesStage(rewrite: SeriesRewrite): OperatorFunction<Batch, Batch> {
  return (source) => {
    // Per subscription; weak, so series that stop appearing are forgotten with their attribute objects.
    const remembered = new WeakMap<Attributes, Map<MetricDescriptor, Series | null>>();
    // Samples of one target mostly share one attribute object: a run of them costs one WeakMap lookup.
    let lastAttributes: Attributes | undefined;
    let lastByMetric: Map<MetricDescriptor, Series | null> | undefined;
    const rewriteSample = (sample: Sample): Series | null => {
      let byMetric = sample.attributes === lastAttributes ? lastByMetric : remembered.get(sample.attributes);
      if (!byMetric) remembered.set(sample.attributes, (byMetric = new Map()));
      lastAttributes = sample.attributes;
      lastByMetric = byMetric;
      let result = byMetric.get(sample.metric);
      if (result === undefined) {
        result = rewrite(sample);
        byMetric.set(sample.metric, result);
      }
      return result;
    };
    return source.pipe(
      map((batch) =>
        mapSamples(batch, (sample) => {
          const result = rewriteSample(sample);
          if (result === null) return null;
          return result.metric === sample.metric && result.attributes === sample.attributes
            ? sample
            : { ...sample, metric: result.metric, attributes: result.attributes };
        }),
      ),
    );
  };
}
