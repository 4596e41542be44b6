import { map } from 'rxjs';
import { describeMetric, mapSamples, type Batch, type MetricDescriptor, type MetricKind, type Sample } from '../../core/batch.js';
import type { CreateSettings, Processor } from '../../core/component.js';
import { GoRegexp, type Template } from '../../internal/goregexp/regexp.js';
import { invalidNameMessage, isLiteral, isValidMetricName, literalText, type TransformProcessorConfig, type TransformRuleConfig } from './config.js';

/** What the rules make of one input descriptor. `null` (in the cache): the rules change nothing. */
interface Outcome {
  readonly metric: MetricDescriptor;
  /** 1 when values are kept as they are. */
  readonly scale: number;
}

interface Rule {
  readonly index: number;
  /** Exact name, or a regex matched against the whole name. */
  readonly match: string | GoRegexp;
  /** A literal new name, or a template over the regex's groups (checked when expanded). */
  readonly name: string | Template | undefined;
  readonly scale: number;
  readonly unit: string | undefined;
  readonly description: string | undefined;
  readonly kind: MetricKind | undefined;
}

function compileRule(config: TransformRuleConfig, index: number): Rule {
  const regexp = config.match_regexp === undefined ? undefined : GoRegexp.compile(config.match_regexp);
  const template = regexp && config.name !== undefined ? regexp.template(config.name) : undefined;
  return {
    index,
    match: regexp ?? config.match!,
    name: template && isLiteral(template) ? literalText(template) : (template ?? config.name),
    scale: config.scale ?? 1,
    unit: config.unit,
    description: config.description,
    kind: config.type,
  };
}

/**
 * Renames metrics and changes their unit, description, type and scale. Everything the rules decide depends on the
 * descriptor alone, so it is decided once per input descriptor and cached (weakly: descriptors that stop coming are
 * forgotten); the per-sample work is one cache lookup. Samples of unchanged metrics are passed on as they are, and
 * a batch in which nothing changes is passed on as the same batch.
 */
export class MetricTransformer {
  private readonly rules: readonly Rule[];
  private readonly outcomes = new WeakMap<MetricDescriptor, Outcome | null>();
  private readonly warned = new Set<string>();

  constructor(
    config: TransformProcessorConfig,
    private readonly settings: CreateSettings,
  ) {
    this.rules = config.metrics.map(compileRule);
  }

  transform(batch: Batch): Batch {
    if (this.rules.length === 0) return batch;
    return mapSamples(batch, (sample) => {
      let outcome = this.outcomes.get(sample.metric);
      if (outcome === undefined) {
        outcome = this.decide(sample.metric);
        this.outcomes.set(sample.metric, outcome);
      }
      if (outcome === null) return sample;
      return outcome.scale === 1 ? { ...sample, metric: outcome.metric } : scaled(sample, outcome.metric, outcome.scale);
    });
  }

  /** Runs the rules over one descriptor: the new descriptor and scale, or null when nothing changes. */
  private decide(metric: MetricDescriptor): Outcome | null {
    let { name, kind, unit, description } = metric;
    let scale = 1;
    for (const rule of this.rules) {
      let renamed: string | undefined;
      if (typeof rule.match === 'string') {
        if (name !== rule.match) continue;
        renamed = rule.name as string | undefined;
      } else if (rule.name === undefined || typeof rule.name === 'string') {
        if (!rule.match.matchString(name)) continue;
        renamed = rule.name;
      } else {
        const groups = rule.match.findSubmatch(name);
        if (!groups) continue;
        renamed = rule.match.expand(rule.name, groups);
        if (!isValidMetricName(renamed)) {
          this.warnInvalidName(rule, name, renamed);
          continue;
        }
      }
      name = renamed ?? name;
      // Buckets have no sound gauge or counter form: a histogram keeps its kind.
      if (kind !== 'histogram') kind = rule.kind ?? kind;
      unit = rule.unit ?? unit;
      description = rule.description ?? description;
      scale *= rule.scale;
    }
    // Integer values scaled by a fraction are no longer integers.
    const valueType = metric.valueType === 'int' && !Number.isInteger(scale) ? 'double' : metric.valueType;
    const same = name === metric.name && kind === metric.kind && unit === metric.unit && description === metric.description && valueType === metric.valueType;
    if (same) return scale === 1 ? null : { metric, scale };
    return { metric: describeMetric(name, kind, { unit, description, valueType, ...(metric.meta ? { meta: metric.meta } : {}) }), scale };
  }

  private warnInvalidName(rule: Rule, metric: string, expanded: string): void {
    const key = `${rule.index}\u0000${metric}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.settings.logger.warn(`rule metrics[${rule.index}] left metric "${metric}" unchanged: its name template gives an ${invalidNameMessage(expanded)}`, {
      metric,
      rule: rule.index,
      name: expanded,
    });
  }
}

export function createTransformProcessor(settings: CreateSettings, config: TransformProcessorConfig): Processor {
  const transformer = new MetricTransformer(config, settings);
  return { operator: map((batch: Batch) => transformer.transform(batch)) };
}

/** A sample with every value multiplied: a histogram's boundaries, sum, min and max too (its counts stay). */
function scaled(sample: Sample, metric: MetricDescriptor, scale: number): Sample {
  const { histogram } = sample;
  if (!histogram) return { metric, attributes: sample.attributes, value: sample.value * scale };
  return {
    metric,
    attributes: sample.attributes,
    value: sample.value,
    histogram: {
      ...histogram,
      boundaries: histogram.boundaries.map((boundary) => boundary * scale),
      sum: histogram.sum * scale,
      ...(histogram.min !== undefined ? { min: histogram.min * scale } : {}),
      ...(histogram.max !== undefined ? { max: histogram.max * scale } : {}),
    },
  };
}
