/**
 * The Collector's include/exclude matcher (`match_type`, `metric_names`, `attributes`), shared by the filter and
 * attributes processors: the schema that validates it and the predicate it compiles to.
 *
 * Every regular expression is RE2 (Go syntax, linear time: a config cannot make the agent hang) and matches the
 * WHOLE string, as Prometheus anchors its regexes. The Collector searches unanchored; write `.*foo.*` for that.
 */
import { RE2JS } from 're2js';
import { z } from 'zod';
import type { Attributes } from '../../core/batch.js';
import { configObject } from '../../core/config/schema.js';
import type { Series } from '../../core/series-stage.js';

export const MATCH_TYPES = ['strict', 'regexp'] as const;
export type MatchType = (typeof MATCH_TYPES)[number];

/** Why `pattern` is not an RE2 regular expression, or undefined if it is one. */
export function regexError(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : String(error);
    return `invalid RE2 regular expression ${JSON.stringify(pattern)}: ${reason}`;
  }
}

/** Attribute values are strings; YAML numbers and booleans are taken as their text (`2181` → `"2181"`). */
export function attributeValue() {
  return z.union([z.string(), z.number(), z.boolean()], { error: () => 'expected a string, number or boolean' }).transform(String);
}

export function matchTypeSchema() {
  return z.enum(MATCH_TYPES, {
    error: (issue) =>
      issue.input === undefined
        ? 'required: strict or regexp'
        : `unsupported match_type ${JSON.stringify(issue.input)}: expected strict or regexp${issue.input === 'expr' ? ' (expr is not supported by zkotel)' : ''}`,
  });
}

export const attributeMatchSchema = configObject({
  /** The attribute that must be present. */
  key: z.string().min(1, 'must not be empty'),
  /** Its value: equal (strict) or matching this regex (regexp). Left out: the key being present is enough. */
  value: attributeValue().optional(),
});

export const matcherSchema = configObject({
  match_type: matchTypeSchema(),
  /** The metric (OTel, dotted) name must be one of these / match one of these. */
  metric_names: z.array(z.string()).min(1, 'must not be empty: leave it out to match any name').optional(),
  /** Every one of these must match the sample's attributes. */
  attributes: z.array(attributeMatchSchema).min(1, 'must not be empty: leave it out to match any attributes').optional(),
}).superRefine((matcher, ctx) => {
  if (matcher.metric_names === undefined && matcher.attributes === undefined) {
    ctx.addIssue({ code: 'custom', path: [], message: 'set metric_names, attributes or both: a matcher without conditions would match everything' });
  }
  if (matcher.match_type !== 'regexp') return;
  matcher.metric_names?.forEach((name, i) => {
    const error = regexError(name);
    if (error !== undefined) ctx.addIssue({ code: 'custom', path: ['metric_names', i], message: error });
  });
  matcher.attributes?.forEach((attribute, i) => {
    const error = attribute.value === undefined ? undefined : regexError(attribute.value);
    if (error !== undefined) ctx.addIssue({ code: 'custom', path: ['attributes', i, 'value'], message: error });
  });
});

export type MatcherConfig = z.output<typeof matcherSchema>;

/** The `include` and `exclude` keys, as both processors spell them. */
export const selectionShape = {
  /** If given, only series that match are selected. */
  include: matcherSchema.optional(),
  /** Series that match are not selected; checked after include. */
  exclude: matcherSchema.optional(),
};

export type SeriesPredicate = (series: Series) => boolean;

/** Compiles an RE2 pattern known to be valid (validated by the schema). */
export function compileRegex(pattern: string): RE2JS {
  return RE2JS.compile(pattern);
}

/** A string test: equality (strict) or a whole-string RE2 match (regexp). */
function stringTest(matchType: MatchType, expected: string): (text: string) => boolean {
  if (matchType === 'strict') return (text) => text === expected;
  const regex = compileRegex(expected);
  return (text) => regex.testExact(text);
}

function attributeTest(matchType: MatchType, key: string, value: string | undefined): (attributes: Attributes) => boolean {
  if (value === undefined) return (attributes) => Object.hasOwn(attributes, key);
  const test = stringTest(matchType, value);
  return (attributes) => Object.hasOwn(attributes, key) && test(attributes[key]!);
}

/** True when the series' metric name matches one of `metric_names` (if given) and every `attributes` entry matches. */
export function compileMatcher(config: MatcherConfig): SeriesPredicate {
  const { match_type: matchType, metric_names: names, attributes } = config;
  let nameTest: ((name: string) => boolean) | undefined;
  if (names !== undefined && matchType === 'strict') {
    const set = new Set(names);
    nameTest = (name) => set.has(name);
  } else if (names !== undefined) {
    const tests = names.map((name) => stringTest(matchType, name));
    nameTest = (name) => tests.some((test) => test(name));
  }
  const attributeTests = (attributes ?? []).map(({ key, value }) => attributeTest(matchType, key, value));
  return (series) => (nameTest === undefined || nameTest(series.metric.name)) && attributeTests.every((test) => test(series.attributes));
}

/** Include first, then exclude: selected when include (if any) matches and exclude (if any) does not. */
export function compileSelection(include: MatcherConfig | undefined, exclude: MatcherConfig | undefined): SeriesPredicate {
  const included = include === undefined ? undefined : compileMatcher(include);
  const excluded = exclude === undefined ? undefined : compileMatcher(exclude);
  return (series) => (included === undefined || included(series)) && (excluded === undefined || !excluded(series));
}
