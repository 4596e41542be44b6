import { z } from 'zod';
import { configObject, duration } from '../../core/config/schema.js';

const limit = z.number().int().positive('must be at least 1');

/** Generous for ZooKeeper (about 550 series per server): a guard against runaway labels, not a quota. */
const DEFAULT_MAX_SERIES = 50_000;

export const limitProcessorConfigSchema = configObject({
  /** New series of one metric name beyond this many known ones are dropped. */
  max_series_per_metric: limit.optional(),
  /** New series beyond this many known ones, all metrics together, are dropped. */
  max_series: limit.default(DEFAULT_MAX_SERIES),
  /** A known series not seen for this long is forgotten (frees its place under the limits). */
  series_ttl: duration({ min: 1 }).prefault('10m'),
}).prefault({});

export type LimitProcessorConfig = z.output<typeof limitProcessorConfigSchema>;
