import { z } from 'zod';
import { configObject } from '../../core/config/schema.js';
import { GoRegexp, type Template } from '../../internal/goregexp/regexp.js';

/** OpenTelemetry's instrument name syntax. */
const METRIC_NAME = /^[a-zA-Z][a-zA-Z0-9_.\-/]*$/;
export const MAX_METRIC_NAME_LENGTH = 255;

export function isValidMetricName(name: string): boolean {
  return name.length <= MAX_METRIC_NAME_LENGTH && METRIC_NAME.test(name);
}

const ACTIONS = ['name', 'scale', 'unit', 'description', 'type'] as const;

const ruleSchema = configObject({
  /** The metric name, exactly. */
  match: z.string().min(1, 'must not be empty').optional(),
  /** An RE2 regex (Go syntax) that must match the whole metric name. */
  match_regexp: z.string().optional(),
  /** The new name; with `match_regexp`, a Go template: `$1`, `${1}`, `$name`, `${name}`, `$$`. */
  name: z.string().optional(),
  /** Every value is multiplied by this. */
  scale: z.number().positive('must be a positive number: a negative scale would turn counters into decreasing values').optional(),
  unit: z.string().optional(),
  description: z.string().optional(),
  /** Only `gauge`: a counter becomes a gauge. The other way round is not sound (a gauge may go down). */
  type: z
    .literal('gauge', {
      error: (issue) =>
        issue.input === 'counter'
          ? 'type: counter is not supported: a gauge may go down, so it cannot become a counter; only counter → gauge (type: gauge) is sound'
          : `invalid type ${JSON.stringify(issue.input)}: the only supported type is gauge (turns counters into gauges)`,
    })
    .optional(),
}).superRefine((rule, ctx) => {
  if ((rule.match === undefined) === (rule.match_regexp === undefined)) {
    ctx.addIssue({ code: 'custom', path: [], message: 'set exactly one of match (a metric name) and match_regexp (a regex)' });
  }
  if (!ACTIONS.some((action) => rule[action] !== undefined)) {
    ctx.addIssue({ code: 'custom', path: [], message: `the rule changes nothing: set at least one of ${ACTIONS.join(', ')}` });
  }
  let regexp: GoRegexp | undefined;
  if (rule.match_regexp !== undefined) {
    try {
      regexp = GoRegexp.compile(rule.match_regexp);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        path: ['match_regexp'],
        message: `invalid regular expression ${JSON.stringify(rule.match_regexp)}: ${(error as Error).message}`,
      });
    }
  }
  if (rule.name === undefined) return;
  if (regexp === undefined) {
    // A literal name (with `match`, or when the regex is already reported).
    if (rule.match_regexp === undefined && !isValidMetricName(rule.name))
      ctx.addIssue({ code: 'custom', path: ['name'], message: invalidNameMessage(rule.name) });
    return;
  }
  const template = regexp.template(rule.name);
  if (template.some((part) => typeof part !== 'string' && part.length === 0)) {
    ctx.addIssue({
      code: 'custom',
      path: ['name'],
      message: `${JSON.stringify(rule.name)} refers to a group that match_regexp does not have (a reference takes the longest run of letters, digits and _: $1x is group "1x"; write \${1}x)`,
    });
  } else if (isLiteral(template) && !isValidMetricName(literalText(template))) {
    ctx.addIssue({ code: 'custom', path: ['name'], message: invalidNameMessage(literalText(template)) });
  }
});

export function isLiteral(template: Template): template is readonly string[] {
  return template.every((part) => typeof part === 'string');
}

export function literalText(template: Template): string {
  return template.filter((part): part is string => typeof part === 'string').join('');
}

export function invalidNameMessage(name: string): string {
  return `invalid metric name ${JSON.stringify(name)}: must start with a letter, have only letters, digits, _ . - / and at most ${MAX_METRIC_NAME_LENGTH} characters`;
}

export const transformProcessorConfigSchema = configObject({
  /** Applied in order, each to the metric as the previous rules left it. */
  metrics: z.array(ruleSchema).default([]),
}).prefault({});

export type TransformProcessorConfig = z.output<typeof transformProcessorConfigSchema>;
export type TransformRuleConfig = TransformProcessorConfig['metrics'][number];
