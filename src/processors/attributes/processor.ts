import type { OperatorFunction } from 'rxjs';
import type { Attributes, Batch } from '../../core/batch.js';
import type { CreateSettings, Processor } from '../../core/component.js';
import { seriesStage } from '../../core/series-stage.js';
import { compileSelection } from '../../internal/filter/matcher.js';
import { compileActions } from './actions.js';
import type { AttributesProcessorConfig } from './config.js';

/**
 * Applies the actions, in order, to the attributes of the series that `include` (if given) selects and `exclude`
 * (if given) does not. A series the actions do not change is passed on as the same objects, and a batch in which
 * no series changes as the same batch.
 */
export function createAttributesProcessor(settings: CreateSettings, config: AttributesProcessorConfig): Processor {
  if (config.actions.length === 0) return { operator: (source) => source };
  const edit = compileActions(config.actions, settings.logger);
  const selected = compileSelection(config.include, config.exclude);
  const operator: OperatorFunction<Batch, Batch> = (source) => {
    // The actions depend on the attributes only, so one attribute object shared by many metrics (as receivers
    // share them) gives one shared output object: downstream stages and exporters keep comparing by reference.
    const edited = new WeakMap<Attributes, Attributes>();
    const editShared = (attributes: Attributes): Attributes => {
      let output = edited.get(attributes);
      if (output === undefined) edited.set(attributes, (output = edit(attributes)));
      return output;
    };
    return seriesStage((series) => {
      if (!selected(series)) return series;
      const attributes = editShared(series.attributes);
      return attributes === series.attributes ? series : { metric: series.metric, attributes };
    })(source);
  };
  return { operator };
}
