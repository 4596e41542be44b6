/**
 * The relabel processor's config: Prometheus `relabel_config` entries under `rules`, validated as Prometheus
 * validates them (relabel.ts), with each problem at its field so `zkotel validate` prints FILE:LINE:COL.
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
function addProblems(ctx: z.RefinementCtx, rule: unknown, scheme: NameValidationScheme, at: (string | number)[] = []): void {
  for (const { path, message } of relabelConfigProblems(rule, { nameValidationScheme: scheme })) {
    ctx.addIssue({ code: 'custom', path: [...at, ...path], message });
  }
}

/** One rule. Names are checked as UTF-8 here; the processor level re-checks under `legacy` when that is chosen. */
const rule = z
  .unknown()
  .transform((value, ctx) => {
    if (value === null) {
      ctx.addIssue({ code: 'custom', message: 'empty or null relabeling rule' });
      return z.NEVER;
    }
    return value;
  })
  .pipe(ruleFields.superRefine((value, ctx) => addProblems(ctx, value, 'utf8')));

/** One Prometheus relabel_config, checked as Prometheus checks it: also the receivers' `relabel_configs` entries. */
export const relabelRuleSchema = rule;

export const relabelProcessorConfigSchema = configObject({
  /** Prometheus relabel_config entries, applied in order. None: the processor passes batches through untouched. */
  rules: z.array(rule).default([]),
  /** How label names in rules and results are validated, as Prometheus's `metric_name_validation_scheme`. */
  metric_name_validation_scheme: z.enum(['utf8', 'legacy']).default('utf8'),
})
  .superRefine((config, ctx) => {
    if (config.metric_name_validation_scheme === 'utf8') return;
    config.rules.forEach((value, index) => addProblems(ctx, value, config.metric_name_validation_scheme, ['rules', index]));
  })
  .prefault({});

export type RelabelProcessorConfig = z.output<typeof relabelProcessorConfigSchema>;
