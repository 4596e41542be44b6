import { z } from 'zod';
import { configObject } from '../../core/config/schema.js';
import { attributeValue, compileRegex, regexError, selectionShape } from '../../internal/filter/matcher.js';

export const ACTIONS = ['insert', 'update', 'upsert', 'delete', 'hash', 'extract', 'convert'] as const;
export const CONVERTED_TYPES = ['int', 'double', 'string'] as const;
export type ConvertedType = (typeof CONVERTED_TYPES)[number];

/** One validated action; which fields exist depends on the action, as in the Collector. */
export type ActionConfig =
  /** Exactly one of `value` and `from_attribute` is set. */
  | { readonly action: 'insert' | 'update' | 'upsert'; readonly key: string; readonly value?: string; readonly from_attribute?: string }
  /** At least one of `key` and `pattern` (RE2 on attribute keys) is set. */
  | { readonly action: 'delete' | 'hash'; readonly key?: string; readonly pattern?: string }
  /** `pattern` is valid RE2 with at least one group, and every group is named. */
  | { readonly action: 'extract'; readonly key: string; readonly pattern: string }
  | { readonly action: 'convert'; readonly key: string; readonly converted_type: ConvertedType };

const FIELDS = ['key', 'value', 'from_attribute', 'pattern', 'converted_type'] as const;
type Field = (typeof FIELDS)[number];

/** The fields each action may use; any other field set is a mistake worth reporting. */
const USES: Readonly<Record<(typeof ACTIONS)[number], readonly Field[]>> = {
  insert: ['key', 'value', 'from_attribute'],
  update: ['key', 'value', 'from_attribute'],
  upsert: ['key', 'value', 'from_attribute'],
  delete: ['key', 'pattern'],
  hash: ['key', 'pattern'],
  extract: ['key', 'pattern'],
  convert: ['key', 'converted_type'],
};

const rawActionSchema = configObject({
  /** Case-insensitive, as in the Collector. */
  action: z.preprocess(
    (value) => (typeof value === 'string' ? value.toLowerCase() : value),
    z.enum(ACTIONS, {
      error: (issue) =>
        issue.input === undefined
          ? `required: one of ${ACTIONS.join(', ')}`
          : `unknown action ${JSON.stringify(issue.input)}: expected one of ${ACTIONS.join(', ')}`,
    }),
  ),
  key: z.string().min(1, 'must not be empty').optional(),
  value: attributeValue().optional(),
  from_attribute: z.string().min(1, 'must not be empty').optional(),
  pattern: z.string().optional(),
  converted_type: z
    .enum(CONVERTED_TYPES, { error: (issue) => `unsupported converted_type ${JSON.stringify(issue.input)}: expected one of ${CONVERTED_TYPES.join(', ')}` })
    .optional(),
});

type RawAction = z.output<typeof rawActionSchema>;

/** Checks the action against the Collector's rules, reporting every problem with its path; undefined if invalid. */
function validateAction(raw: RawAction, ctx: z.RefinementCtx): ActionConfig | undefined {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const problem = (path: (string | number)[], message: string) => problems.push({ path, message });
  const { action } = raw;

  for (const field of FIELDS) {
    if (raw[field] !== undefined && !USES[action].includes(field)) problem([field], `not used by action ${action}`);
  }
  if (action === 'delete' || action === 'hash') {
    if (raw.key === undefined && raw.pattern === undefined) problem([], `set key, pattern or both: the attributes to ${action}`);
  } else if (raw.key === undefined) {
    problem(['key'], `required by action ${action}`);
  }
  if (action === 'insert' || action === 'update' || action === 'upsert') {
    if (raw.value === undefined && raw.from_attribute === undefined) problem([], `set value or from_attribute: the value to ${action}`);
    if (raw.value !== undefined && raw.from_attribute !== undefined) problem([], 'set value or from_attribute, not both');
  }
  if (action === 'extract' && raw.pattern === undefined)
    problem(['pattern'], 'required by action extract: a regex with named groups, e.g. ^(?P<host>[^:]+):(?P<port>\\d+)$');
  if (action === 'convert' && raw.converted_type === undefined) problem(['converted_type'], `required by action convert: one of ${CONVERTED_TYPES.join(', ')}`);
  if (raw.pattern !== undefined && USES[action].includes('pattern')) {
    const error = regexError(raw.pattern);
    if (error !== undefined) problem(['pattern'], error);
    else if (action === 'extract') {
      const regex = compileRegex(raw.pattern);
      const named = Object.keys(regex.namedGroups()).length;
      if (named === 0) problem(['pattern'], 'has no named groups: name the groups whose matches become attributes, e.g. (?P<host>[^:]+)');
      else if (regex.groupCount() > named) problem(['pattern'], 'has an unnamed group: name every group (?P<name>…) or make it non-capturing (?:…)');
    }
  }

  for (const { path, message } of problems) ctx.addIssue({ code: 'custom', path, message });
  if (problems.length > 0) return undefined;
  // The checks above establish exactly the fields each variant declares.
  return Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined)) as ActionConfig;
}

export const actionSchema = rawActionSchema.transform((raw, ctx) => validateAction(raw, ctx) ?? z.NEVER);

export const attributesProcessorConfigSchema = configObject({
  ...selectionShape,
  /** Applied in order, each to the result of the previous one. */
  actions: z.array(actionSchema).default([]),
}).prefault({});

export type AttributesProcessorConfig = z.output<typeof attributesProcessorConfigSchema>;
