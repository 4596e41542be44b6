import { defer, map, type OperatorFunction } from 'rxjs';
import { mapSamples, type Attributes, type Batch, type Sample } from '../../core/batch.js';
import type { CreateSettings, Processor } from '../../core/component.js';
import type { LimitProcessorConfig } from './config.js';

/** A monotonic clock in milliseconds; tests inject their own. */
export type Clock = () => number;

/**
 * Expiry works in epochs of `series_ttl / EPOCHS_PER_TTL`. A known series carries the epoch it was last seen in (a
 * small integer: updating it allocates nothing). When a batch starts a new epoch, one sweep over the known series
 * forgets those last seen `EPOCHS_PER_TTL + 1` or more epochs ago, i.e. absent for more than `series_ttl` and at
 * most `series_ttl / EPOCHS_PER_TTL` longer. Sweeps cost O(known series) once per epoch, never per batch.
 */
export const EPOCHS_PER_TTL = 8;

interface MetricSeries {
  /** Attribute key → epoch the series was last seen in. */
  readonly seen: Map<string, number>;
  /** Samples of new series dropped in the current batch; flushed to the counter once per batch. */
  dropped: number;
}

type LimitHit = 'max_series_per_metric' | 'max_series';

export function createLimitProcessor(settings: CreateSettings, config: LimitProcessorConfig, clock: Clock = () => performance.now()): Processor {
  const limited = settings.telemetry.counter('zkotel.processor.series.limited', {
    description: 'Samples of new series dropped because a series limit of the limit processor was reached.',
  });
  const perMetricLimit = config.max_series_per_metric ?? Infinity;
  const totalLimit = config.max_series ?? Infinity;
  const epochMs = config.series_ttl / EPOCHS_PER_TTL;

  const operator: OperatorFunction<Batch, Batch> = (source) =>
    defer(() => {
      // Per subscription: a resubscribed pipeline starts with no known series.
      const metrics = new Map<string, MetricSeries>();
      const attributeKeys = new WeakMap<Attributes, string>();
      const warned = new Set<string>();
      const droppedIn: MetricSeries[] = [];
      const droppedNames: string[] = [];
      let total = 0;
      const origin = clock();
      let epoch = 0;

      const keyOf = (attributes: Attributes): string => {
        let key = attributeKeys.get(attributes);
        if (key === undefined) {
          key = attributesKey(attributes);
          attributeKeys.set(attributes, key);
        }
        return key;
      };

      const sweep = (): void => {
        for (const [name, metric] of metrics) {
          for (const [key, lastSeen] of metric.seen) {
            if (epoch - lastSeen > EPOCHS_PER_TTL) {
              metric.seen.delete(key);
              total--;
            }
          }
          if (metric.seen.size === 0) metrics.delete(name);
        }
      };

      /** Whether the sample may pass: known series always, new ones while both limits have room. */
      const admit = (sample: Sample): boolean => {
        const name = sample.metric.name;
        let metric = metrics.get(name);
        const key = keyOf(sample.attributes);
        if (metric !== undefined) {
          const lastSeen = metric.seen.get(key);
          if (lastSeen !== undefined) {
            if (lastSeen !== epoch) metric.seen.set(key, epoch);
            return true;
          }
        }
        const hit: LimitHit | undefined = (metric?.seen.size ?? 0) >= perMetricLimit ? 'max_series_per_metric' : total >= totalLimit ? 'max_series' : undefined;
        if (metric === undefined) metrics.set(name, (metric = { seen: new Map(), dropped: 0 }));
        if (hit === undefined) {
          metric.seen.set(key, epoch);
          total++;
          return true;
        }
        if (metric.dropped++ === 0) {
          droppedIn.push(metric);
          droppedNames.push(name);
        }
        if (!warned.has(name)) {
          warned.add(name);
          const limit = hit === 'max_series_per_metric' ? perMetricLimit : totalLimit;
          settings.logger.warn(`dropping new series of metric "${name}": ${hit} (${limit}) reached; known series keep flowing`, {
            metric: name,
            limit: hit,
            max: limit,
          });
        }
        return false;
      };

      return source.pipe(
        map((batch) => {
          const now = Math.floor((clock() - origin) / epochMs);
          if (now > epoch) {
            epoch = now;
            sweep();
          }
          const admitted = mapSamples(batch, (sample) => (admit(sample) ? sample : null));
          for (let i = 0; i < droppedIn.length; i++) {
            limited({ processor: settings.id, metric: droppedNames[i]! }, droppedIn[i]!.dropped);
            droppedIn[i]!.dropped = 0;
          }
          droppedIn.length = 0;
          droppedNames.length = 0;
          return admitted;
        }),
      );
    });

  return { operator };
}

/** The same attribute set gives the same key whatever the order of its keys. */
function attributesKey(attributes: Attributes): string {
  return JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
