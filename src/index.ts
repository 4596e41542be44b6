/** zkotel's library entry point. */
export type { Attributes, Batch, MetricDescriptor, MetricKind, Sample, ValueType } from './core/batch.js';
export { seriesStage, type Series, type SeriesRewrite } from './core/series-stage.js';
export { compileRelabelConfigs, type NameValidationScheme, type Relabel, type RelabelConfig, type RelabelOptions } from './internal/relabel/relabel.js';
