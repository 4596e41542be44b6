import { describeMetric, type Attributes, type Batch, type MetricDescriptor, type Sample } from './batch.js';

/** A counter of the agent's own telemetry, with its attributes given at each increment. */
export type CounterHandle = (attributes: Attributes, delta: number) => void;
/** A gauge of the agent's own telemetry: sets the current value of one attribute set. */
export type GaugeHandle = (attributes: Attributes, value: number) => void;

interface MetricOptions {
  unit?: string;
  description: string;
  valueType?: 'int' | 'double';
}

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

  counter(name: string, options: MetricOptions): CounterHandle {
    const series = this.register(describeMetric(name, 'counter', { valueType: options.valueType ?? 'int', ...options }));
    return (attributes, delta) => (this.seriesOf(series, attributes).value += delta);
  }

  gauge(name: string, options: MetricOptions): GaugeHandle {
    const series = this.register(describeMetric(name, 'gauge', { valueType: options.valueType ?? 'double', ...options }));
    return (attributes, value) => (this.seriesOf(series, attributes).value = value);
  }

  private register(metric: MetricDescriptor): Map<string, CounterSeries> {
    const series = new Map<string, CounterSeries>();
    this.counters.set(metric, series);
    return series;
  }

  private seriesOf(series: Map<string, CounterSeries>, attributes: Attributes): CounterSeries {
    const key = JSON.stringify(attributes);
    let found = series.get(key);
    if (!found) series.set(key, (found = { attributes: Object.freeze({ ...attributes }), value: 0 }));
    return found;
  }

  snapshot(): Batch {
    const samples: Sample[] = [];
    for (const [metric, series] of this.counters) {
      for (const { attributes, value } of series.values()) samples.push({ metric, attributes, value });
    }
    return { source: SelfTelemetry.SOURCE, timeMs: Date.now(), startTimeMs: this.startTimeMs, samples };
  }
}
