import type { OperatorFunction } from 'rxjs';
import type { Batch } from '../../core/batch.js';
import type { Processor } from '../../core/component.js';
import { seriesStage } from '../../core/series-stage.js';
import type { FilterProcessorConfig } from './config.js';
import { compileSelection } from '../../internal/filter/matcher.js';

/**
 * Keeps the samples whose series `include` matches (if given) and `exclude` does not (if given). A metric whose
 * samples are all dropped disappears; a batch in which nothing is dropped is passed on as the same object.
 * seriesStage decides each series once, so the regexes run once per new series, not once per sample.
 */
export function createFilterProcessor(config: FilterProcessorConfig): Processor {
  const { include, exclude } = config.metrics;
  if (include === undefined && exclude === undefined) return { operator: (source) => source };
  const keep = compileSelection(include, exclude);
  const operator: OperatorFunction<Batch, Batch> = seriesStage((series) => (keep(series) ? series : null));
  return { operator };
}
