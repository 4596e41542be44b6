/** The relabel processor's config: Prometheus `relabel_config` entries under `rules` (src/internal/relabel/schema.ts). */
import { z } from 'zod';
import { configObject } from '../../core/config/schema.js';
import { addRelabelProblems, relabelRuleSchema } from '../../internal/relabel/schema.js';

export const relabelProcessorConfigSchema = configObject({
  /** Prometheus relabel_config entries, applied in order. None: the processor passes batches through untouched. */
  rules: z.array(relabelRuleSchema).default([]),
  /** How label names in rules and results are validated, as Prometheus's `metric_name_validation_scheme`. */
  metric_name_validation_scheme: z.enum(['utf8', 'legacy']).default('utf8'),
})
  .superRefine((config, ctx) => {
    if (config.metric_name_validation_scheme === 'utf8') return;
    config.rules.forEach((value, index) => addRelabelProblems(ctx, value, config.metric_name_validation_scheme, ['rules', index]));
  })
  .prefault({});

export type RelabelProcessorConfig = z.output<typeof relabelProcessorConfigSchema>;
