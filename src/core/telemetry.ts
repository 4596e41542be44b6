import { describeMetric, type Attributes, type Batch, type MetricDescriptor, type Sample } from './batch.js';

/** A counter of the agent's own telemetry, with its attributes given at each increment. */
export type CounterHandle = (attributes: Attributes, delta: number) => void;

interface CounterSeries {
  readonly attributes: Attributes;
  value: number;
}

/**
 * The agent's own metrics (`zkotel.*`): components count what they do here, and Prometheus exporters serve
 * the snapshot beside the pipelines' data. Kept as plain numbers: counting must cost next to nothing.
 */
export class SelfTelemetry {
  static readonly SOURCE = 'zkotel';
  private readonly counters = new Map<MetricDescriptor, Map<string, CounterSeries>>();
  private readonly startTimeMs = Date.now();

  counter(name: string, options: { unit?: string; description: string; valueType?: 'int' | 'double' }): CounterHandle {
    const metric = describeMetric(name, 'counter', { valueType: options.valueType ?? 'int', ...options });
    const series = new Map<string, CounterSeries>();
    this.counters.set(metric, series);
    return (attributes, delta) => {
      const key = JSON.stringify(attributes);
      const existing = series.get(key);
      if (existing) existing.value += delta;
      else series.set(key, { attributes: Object.freeze({ ...attributes }), value: delta });
    };
  }

  snapshot(): Batch {
    const samples: Sample[] = [];
    for (const [metric, series] of this.counters) {
      for (const { attributes, value } of series.values()) samples.push({ metric, attributes, value });
    }
    return { source: SelfTelemetry.SOURCE, timeMs: Date.now(), startTimeMs: this.startTimeMs, samples };
  }
}
