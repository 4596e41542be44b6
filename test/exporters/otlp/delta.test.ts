import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HrTime } from '@opentelemetry/api';
import { ValueType } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, type MetricData, type ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { EMPTY_DELTA_STATE, seriesKey, toDelta, type DeltaState } from '../../../src/exporters/otlp/delta.js';

const HOUR = 3_600_000;
const at = (seconds: number): HrTime => [seconds, 0];
const descriptor = (name: string) => ({ name, description: '', unit: '', valueType: ValueType.INT });

interface Point {
  value: number;
  attributes?: Record<string, string>;
  start?: number;
  end: number;
}

function counter(name: string, points: Point[]): MetricData {
  return {
    descriptor: descriptor(name),
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.SUM,
    isMonotonic: true,
    dataPoints: points.map((p) => ({ startTime: at(p.start ?? 0), endTime: at(p.end), attributes: p.attributes ?? {}, value: p.value })),
  };
}

function gauge(name: string, points: Point[]): MetricData {
  return {
    descriptor: descriptor(name),
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.GAUGE,
    dataPoints: points.map((p) => ({ startTime: at(p.start ?? 0), endTime: at(p.end), attributes: p.attributes ?? {}, value: p.value })),
  };
}

function histogram(
  name: string,
  points: { counts: number[]; sum: number; start?: number; end: number; min?: number; max?: number }[],
  boundaries = [1, 10],
): MetricData {
  return {
    descriptor: { ...descriptor(name), valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.HISTOGRAM,
    dataPoints: points.map((p) => ({
      startTime: at(p.start ?? 0),
      endTime: at(p.end),
      attributes: {},
      value: {
        buckets: { boundaries, counts: p.counts },
        sum: p.sum,
        count: p.counts.reduce((a, b) => a + b, 0),
        ...(p.min !== undefined ? { min: p.min } : {}),
        ...(p.max !== undefined ? { max: p.max } : {}),
      },
    })),
  };
}

const scope = (...metrics: MetricData[]): ScopeMetrics => ({ scope: { name: 'test' }, metrics });

/** [value, startSeconds, endSeconds] of every point of `name`. */
function points(result: ScopeMetrics, name: string): [number, number, number][] {
  const metric = result.metrics.find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []).map((p) => [p.value as number, p.startTime[0], p.endTime[0]]);
}

/** Runs toDelta over successive exports, keeping each returned state as a delivered export would. */
function run(exports: ScopeMetrics[], options = { forgetAfterMs: HOUR }): { results: ScopeMetrics[]; state: DeltaState } {
  let state = EMPTY_DELTA_STATE;
  const results: ScopeMetrics[] = [];
  for (const cumulative of exports) {
    const delta = toDelta(cumulative, state, options);
    results.push(delta.scopeMetrics);
    state = delta.state;
  }
  return { results, state };
}

describe('otlp delta temporality (toDelta)', () => {
  it('sends nothing for the first value of a series, then the increase since the previous export', () => {
    const { results } = run([
      scope(counter('c', [{ value: 100, end: 10 }])),
      scope(counter('c', [{ value: 130, end: 20 }])),
      scope(counter('c', [{ value: 131, end: 30 }])),
    ]);
    assert.deepEqual(results[0]!.metrics, [], 'the first value is only a baseline');
    assert.deepEqual(points(results[1]!, 'c'), [[30, 10, 20]], 'start time = previous export time');
    assert.deepEqual(points(results[2]!, 'c'), [[1, 20, 30]]);
    const sum = results[1]!.metrics[0]!;
    assert.equal(sum.aggregationTemporality, AggregationTemporality.DELTA);
    assert.equal(sum.dataPointType === DataPointType.SUM && sum.isMonotonic, true);
  });

  it('treats a counter that went down as reset and sends its new value', () => {
    const { results } = run([
      scope(counter('c', [{ value: 500, end: 10 }])),
      scope(counter('c', [{ value: 7, end: 20 }])),
      scope(counter('c', [{ value: 9, start: 25, end: 30 }])),
      scope(counter('c', [{ value: 2, start: 35, end: 40 }])),
    ]);
    assert.deepEqual(points(results[1]!, 'c'), [[7, 10, 20]], 'reset: the new value, from the previous export time');
    assert.deepEqual(points(results[2]!, 'c'), [[2, 20, 30]], 'a later start time alone is not a reset (an endpoint that came back)');
    assert.deepEqual(points(results[3]!, 'c'), [[2, 35, 40]], "reset with a start time after the previous export: from the point's own start");
  });

  it('turns cumulative histograms into per-interval ones: count, sum and every bucket; a bucket that went down is a reset', () => {
    const { results } = run([
      scope(histogram('h', [{ counts: [1, 0, 0], sum: 0.5, end: 10, min: 0.5, max: 0.5 }])),
      scope(histogram('h', [{ counts: [3, 2, 0], sum: 9.5, end: 20, min: 0.5, max: 7 }])),
      scope(histogram('h', [{ counts: [0, 1, 0], sum: 2, start: 25, end: 30, min: 2, max: 2 }])),
    ]);
    assert.deepEqual(results[0]!.metrics, [], 'the first value is only a baseline');
    const delta = results[1]!.metrics[0]!;
    assert.equal(delta.aggregationTemporality, AggregationTemporality.DELTA);
    assert.equal(delta.dataPointType, DataPointType.HISTOGRAM);
    const point = delta.dataPoints[0]!;
    assert.deepEqual([point.startTime, point.endTime], [at(10), at(20)]);
    assert.deepEqual(
      point.value,
      { buckets: { boundaries: [1, 10], counts: [2, 2, 0] }, count: 4, sum: 9 },
      'min and max cannot be split by interval: left out',
    );
    const reset = results[2]!.metrics[0]!.dataPoints[0]!;
    assert.deepEqual(
      [reset.startTime, reset.value],
      [at(25), { buckets: { boundaries: [1, 10], counts: [0, 1, 0] }, sum: 2, count: 1, min: 2, max: 2 }],
      'reset: the new value as it is',
    );
  });

  it('passes gauges unchanged and sends nothing for a counter with no new point', () => {
    const g = gauge('g', [{ value: 0.0989, end: 10 }]);
    const first = run([scope(g, counter('c', [{ value: 1, end: 10 }]))]);
    assert.equal(first.results[0]!.metrics[0], g, 'the gauge metric is passed as the same object');
    const again = toDelta(scope(g, counter('c', [{ value: 1, end: 10 }])), first.state, { forgetAfterMs: HOUR });
    assert.deepEqual(
      again.scopeMetrics.metrics.map((m) => m.descriptor.name),
      ['g'],
      'same probe again: no delta point',
    );
    assert.deepEqual(again.state, first.state);
  });

  it('keys series by metric name and attribute set, whatever the attribute order', () => {
    const { results } = run([
      scope(
        counter('c', [
          { value: 1, attributes: { a: '1', b: '2' }, end: 10 },
          { value: 50, attributes: { a: '9', b: '2' }, end: 10 },
        ]),
      ),
      scope(
        counter('c', [
          { value: 4, attributes: { b: '2', a: '1' }, end: 20 },
          { value: 55, attributes: { b: '2', a: '9' }, end: 20 },
        ]),
      ),
    ]);
    assert.deepEqual(
      points(results[1]!, 'c').map(([value]) => value),
      [3, 5],
    );
    assert.equal(seriesKey('c', { a: '1', b: '2' }), seriesKey('c', { b: '2', a: '1' }));
    assert.notEqual(seriesKey('c', { a: '1' }), seriesKey('d', { a: '1' }));
  });

  it('keeps the baseline of a series missing from one export, and forgets it after forgetAfterMs', () => {
    const options = { forgetAfterMs: 100_000 };
    const { results } = run(
      [
        scope(counter('c', [{ value: 10, end: 10 }]), counter('other', [{ value: 1, end: 10 }])),
        scope(counter('other', [{ value: 2, end: 20 }])),
        scope(counter('c', [{ value: 15, end: 30 }]), counter('other', [{ value: 3, end: 30 }])),
        scope(counter('other', [{ value: 4, end: 500 }])),
        scope(counter('c', [{ value: 20, end: 510 }]), counter('other', [{ value: 5, end: 510 }])),
      ],
      options,
    );
    assert.deepEqual(points(results[2]!, 'c'), [[5, 10, 30]], 'the increase over the gap');
    assert.deepEqual(points(results[4]!, 'c'), [], 'forgotten after 100 s: a new baseline');
  });

  it('is pure: the previous state is not modified, so an export that was not delivered can be recomputed', () => {
    const { state } = run([scope(counter('c', [{ value: 10, end: 10 }]))]);
    const before = [...state.entries()];
    const attempt1 = toDelta(scope(counter('c', [{ value: 15, end: 20 }])), state, { forgetAfterMs: HOUR });
    const attempt2 = toDelta(scope(counter('c', [{ value: 18, end: 30 }])), state, { forgetAfterMs: HOUR });
    assert.deepEqual([...state.entries()], before);
    assert.deepEqual(points(attempt1.scopeMetrics, 'c'), [[5, 10, 20]]);
    assert.deepEqual(points(attempt2.scopeMetrics, 'c'), [[8, 10, 30]], 'the undelivered increase is not lost');
  });
});
