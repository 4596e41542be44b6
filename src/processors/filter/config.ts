import type { z } from 'zod';
import { configObject } from '../../core/config/schema.js';
import { selectionShape } from '../../internal/filter/matcher.js';

/**
 * The Collector's legacy `metrics: { include, exclude }` form. Without either, every sample passes (the default
 * config is a no-op, as in the Collector).
 */
export const filterProcessorConfigSchema = configObject({
  metrics: configObject(selectionShape).prefault({}),
}).prefault({});

export type FilterProcessorConfig = z.output<typeof filterProcessorConfigSchema>;
