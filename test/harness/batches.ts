import { describeMetric, type Batch, type MetricDescriptor } from '../../src/core/batch.js';

export const GAUGE = describeMetric('test.temperature', 'gauge', { description: 'A gauge.' });
export const COUNTER = describeMetric('test.events', 'counter', { valueType: 'int', description: 'A counter.' });

/** A batch of `source` with one sample per [metric, value, attributes] triple. */
export function batchOf(source: string, samples: [MetricDescriptor, number, Record<string, string>?][], timeMs = Date.now()): Batch {
  return {
    source,
    timeMs,
    startTimeMs: timeMs - 1000,
    samples: samples.map(([metric, value, attributes]) => ({ metric, value, attributes: attributes ?? {} })),
  };
}
