/**
 * One Prometheus `relabel_config` as a config schema, validated as Prometheus validates it (relabel.ts), with each
 * problem at its field so `zkotel validate` prints FILE:LINE:COL. Used by the relabel processor's `rules` and by the
 * receivers' target `relabel_configs`.
 */
import { z } from 'zod';
import { configObject } from '../../core/config/schema.js';
import { relabelConfigProblems, type NameValidationScheme } from './relabel.js';

const ruleFields = configObject({
  source_labels: z.array(z.string()).nullable().optional(),
  separator: z.string().nullable().optional(),
  regex: z.string().nullable().optional(),
  modulus: z.number().nullable().optional(),
  target_label: z.string().nullable().optional(),
  replacement: z.string().nullable().optional(),
  action: z.string().nullable().optional(),
});

/** Adds each problem relabel.ts finds in a rule (compiling its regex) as a zod issue at the rule's field. */
export function addRelabelProblems(ctx: z.RefinementCtx, rule: unknown, scheme: NameValidationScheme, at: (string | number)[] = []): void {
  for (const { path, message } of relabelConfigProblems(rule, { nameValidationScheme: scheme })) {
    ctx.addIssue({ code: 'custom', path: [...at, ...path], message });
  }
}

/** One rule. Names are checked as UTF-8 here; a user that chose `legacy` re-checks with addRelabelProblems. */
export const relabelRuleSchema = z
  .unknown()
  .transform((value, ctx) => {
    if (value === null) {
      ctx.addIssue({ code: 'custom', message: 'empty or null relabeling rule' });
      return z.NEVER;
    }
    return value;
  })
  .pipe(ruleFields.superRefine((value, ctx) => addRelabelProblems(ctx, value, 'utf8')));
