/**
 * The config sections every queued exporter shares, as the Collector's exporterhelper spells them, so that each
 * exporter's schema says `sending_queue: sendingQueueSchema` instead of restating them.
 */
import { z } from 'zod';
import { configObject, duration } from '../../core/config/schema.js';

export const retryOnFailureSchema = configObject({
  /** Retry a failed export that may succeed later (the exporter decides which failures those are). */
  enabled: z.boolean().default(true),
  /** Wait after the first failure; each further failure waits 1.5 times longer, ±50% jitter. */
  initial_interval: duration({ min: 1 }).prefault('5s'),
  /** Longest wait between two attempts. */
  max_interval: duration({ min: 1 }).prefault('30s'),
  /** Give up on an export this long after its first attempt; 0 never gives up (the queue bound still applies). */
  max_elapsed_time: duration().prefault('5m'),
})
  .superRefine((retry, ctx) => {
    if (retry.max_interval < retry.initial_interval) ctx.addIssue({ code: 'custom', path: ['max_interval'], message: 'must be at least initial_interval' });
  })
  .prefault({});

export const sendingQueueSchema = configObject({
  /** Most exports waiting to be sent, the one being retried included. Past it the oldest is dropped. */
  queue_size: z.number().int().min(1).max(10_000).default(10),
}).prefault({});

export type RetryOnFailureConfig = z.output<typeof retryOnFailureSchema>;
export type SendingQueueConfig = z.output<typeof sendingQueueSchema>;
