import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { from, lastValueFrom, of, Subject, toArray } from 'rxjs';
import { describeMetric, type Batch, type Sample } from '../../../src/core/batch.js';
import { schemaProblems } from '../../../src/core/config/schema.js';
import { createLogger } from '../../../src/core/logger.js';
import { SelfTelemetry } from '../../../src/core/telemetry.js';
import { limitProcessorConfigSchema } from '../../../src/processors/limit/config.js';
import { limitProcessorFactory } from '../../../src/processors/limit/factory.js';
import { createLimitProcessor } from '../../../src/processors/limit/processor.js';
import { batchOf, COUNTER, GAUGE } from '../../harness/batches.js';
import { testSettings } from '../../harness/settings.js';

const OTHER = describeMetric('test.other', 'gauge');
const node = (id: string) => Object.freeze({ node: id });
const series = (batch: Batch) => batch.samples.map((s: Sample) => `${s.metric.name}{${s.attributes.node ?? ''}}`);

/** Feeds batches one by one through one subscription, with a clock the test sets before each batch. */
function harness(config: Record<string, unknown>) {
  const warnings: Record<string, unknown>[] = [];
  const logger = createLogger('warn', (line) => warnings.push(JSON.parse(line) as Record<string, unknown>));
  const telemetry = new SelfTelemetry();
  let nowMs = 0;
  const processor = createLimitProcessor(testSettings('limit/test', logger, telemetry), limitProcessorConfigSchema.parse(config), () => nowMs);
  const input = new Subject<Batch>();
  const outputs: Batch[] = [];
  input.pipe(processor.operator).subscribe((batch) => outputs.push(batch));
  return {
    warnings,
    /** Sends one batch at `atMs` and returns what came out. */
    send(batch: Batch, atMs = nowMs): Batch {
      nowMs = atMs;
      input.next(batch);
      return outputs.at(-1)!;
    },
    /** `zkotel.processor.series.limited` per metric name. */
    limited(): Record<string, number> {
      const samples = telemetry.snapshot().samples.filter((s) => s.metric.name === 'zkotel.processor.series.limited');
      for (const s of samples) assert.equal(s.attributes.processor, 'limit/test');
      return Object.fromEntries(samples.map((s) => [s.attributes.metric!, s.value]));
    },
  };
}

describe('limit processor config', () => {
  it('defaults to a generous total limit, and limits are positive whole numbers', () => {
    const problems = (config: unknown) => {
      const parsed = limitProcessorConfigSchema.safeParse(config, { reportInput: true });
      return parsed.success ? [] : schemaProblems(parsed.error).map((p) => `${p.path.join('.')}: ${p.message}`);
    };
    assert.deepEqual(limitProcessorConfigSchema.parse({}), { max_series: 50_000, series_ttl: 600_000 });
    assert.match(problems({ max_series: 0 }).join(), /^max_series: must be at least 1$/);
    assert.match(problems({ max_series_per_metric: 2.5 }).join(), /^max_series_per_metric: expected int, got number 2\.5$/);
    assert.match(problems({ max_series: 10, series_ttl: 'soon' }).join(), /^series_ttl: invalid duration/);
    assert.match(problems({ max_series: 10, max_series_total: 1 }).join(), /^max_series_total: unknown key/);
    assert.deepEqual(limitProcessorConfigSchema.parse({ max_series: 10 }), { max_series: 10, series_ttl: 600_000 });
    assert.deepEqual(limitProcessorConfigSchema.parse({ max_series_per_metric: 5, max_series: 10, series_ttl: '30s' }), {
      max_series_per_metric: 5,
      max_series: 10,
      series_ttl: 30_000,
    });
  });
});

describe('limit processor', () => {
  it('passes a batch within the limits on as the same object', async () => {
    const batch = batchOf('a', [
      [GAUGE, 1, node('1')],
      [COUNTER, 2, node('1')],
    ]);
    const config = limitProcessorConfigSchema.parse({ max_series_per_metric: 1 });
    const [first, second] = await lastValueFrom(
      from([batch, batch]).pipe(limitProcessorFactory.createProcessor(testSettings('limit'), config).operator, toArray()),
    );
    assert.equal(first, batch);
    assert.equal(second, batch);
  });

  it('limits series per metric name; other metrics are not affected', () => {
    const limit = harness({ max_series_per_metric: 2 });
    const out = limit.send(
      batchOf('a', [
        [GAUGE, 1, node('1')],
        [GAUGE, 1, node('2')],
        [GAUGE, 1, node('3')],
        [OTHER, 1, node('1')],
        [OTHER, 1, node('2')],
        [OTHER, 1, node('3')],
        [COUNTER, 1, node('1')],
      ]),
    );
    assert.deepEqual(series(out), ['test.temperature{1}', 'test.temperature{2}', 'test.other{1}', 'test.other{2}', 'test.events{1}']);
    assert.deepEqual(limit.limited(), { 'test.temperature': 1, 'test.other': 1 });
  });

  it('limits series of all metrics together', () => {
    const limit = harness({ max_series: 3 });
    const out = limit.send(
      batchOf('a', [
        [GAUGE, 1, node('1')],
        [GAUGE, 1, node('2')],
        [OTHER, 1, node('1')],
        [OTHER, 1, node('2')],
        [COUNTER, 1],
      ]),
    );
    assert.deepEqual(series(out), ['test.temperature{1}', 'test.temperature{2}', 'test.other{1}']);
    assert.deepEqual(limit.limited(), { 'test.other': 1, 'test.events': 1 });
  });

  it('applies whichever limit is reached first', () => {
    const limit = harness({ max_series_per_metric: 2, max_series: 3 });
    const out = limit.send(
      batchOf('a', [
        [GAUGE, 1, node('1')],
        [GAUGE, 1, node('2')],
        [GAUGE, 1, node('3')],
        [OTHER, 1, node('1')],
        [OTHER, 1, node('2')],
      ]),
    );
    assert.deepEqual(series(out), ['test.temperature{1}', 'test.temperature{2}', 'test.other{1}']);
  });

  it('never drops a known series, whatever the order and however many new series come first', () => {
    const limit = harness({ max_series_per_metric: 2 });
    limit.send(
      batchOf('a', [
        [GAUGE, 1, node('1')],
        [GAUGE, 1, node('2')],
      ]),
    );
    for (let round = 0; round < 3; round++) {
      const out = limit.send(
        batchOf('a', [
          [GAUGE, 2, node('new-a')],
          [GAUGE, 2, node('new-b')],
          [GAUGE, 2, { node: '2' }],
          [GAUGE, 2, { node: '1' }],
        ]),
      );
      assert.deepEqual(series(out), ['test.temperature{2}', 'test.temperature{1}'], 'known by attribute values, not by object');
    }
    assert.deepEqual(limit.limited(), { 'test.temperature': 6 }, 'every dropped sample is counted');
  });

  it('identifies a series by name and attribute set, whatever the key order or descriptor object', () => {
    const limit = harness({ max_series: 1 });
    limit.send(batchOf('a', [[GAUGE, 1, { node: '1', zone: 'x' }]]));
    const sameName = describeMetric(GAUGE.name, 'gauge', { unit: 's' });
    const out = limit.send(
      batchOf('b', [
        [sameName, 1, { zone: 'x', node: '1' }],
        [GAUGE, 1, { node: '1' }],
      ]),
    );
    assert.deepEqual(
      out.samples.map((s) => s.attributes),
      [{ zone: 'x', node: '1' }],
    );
  });

  it('logs once per metric name, naming the metric and the limit', () => {
    const limit = harness({ max_series_per_metric: 1, max_series: 2 });
    limit.send(
      batchOf('a', [
        [GAUGE, 1, node('1')],
        [GAUGE, 1, node('2')],
        [OTHER, 1, node('1')],
        [COUNTER, 1],
      ]),
    );
    limit.send(
      batchOf('a', [
        [GAUGE, 1, node('3')],
        [OTHER, 1, node('2')],
        [COUNTER, 1, node('2')],
      ]),
    );
    const seen = limit.warnings.map(({ level, metric, limit: which, max }) => ({ level, metric, limit: which, max }));
    assert.deepEqual(seen, [
      { level: 'warn', metric: 'test.temperature', limit: 'max_series_per_metric', max: 1 },
      { level: 'warn', metric: 'test.events', limit: 'max_series', max: 2 },
      { level: 'warn', metric: 'test.other', limit: 'max_series_per_metric', max: 1 },
    ]);
    assert.match(String(limit.warnings[0]!.msg), /test\.temperature.*max_series_per_metric/);
    assert.deepEqual(limit.limited(), { 'test.temperature': 2, 'test.events': 2, 'test.other': 1 });
  });

  it('forgets a series not seen for series_ttl, and not before', () => {
    // ttl 80ms: forgotten once absent for more than 80ms and at most 90ms (the sweep runs every 10ms of clock).
    const limit = harness({ max_series_per_metric: 2, series_ttl: '80ms' });
    limit.send(
      batchOf('a', [
        [GAUGE, 1, node('1')],
        [GAUGE, 1, node('2')],
      ]),
      0,
    );
    limit.send(batchOf('a', [[GAUGE, 1, node('1')]]), 50);
    assert.deepEqual(
      series(
        limit.send(
          batchOf('a', [
            [GAUGE, 1, node('1')],
            [GAUGE, 1, node('3')],
          ]),
          80,
        ),
      ),
      ['test.temperature{1}'],
      'node 2 is still known at exactly the ttl',
    );
    assert.deepEqual(
      series(
        limit.send(
          batchOf('a', [
            [GAUGE, 1, node('1')],
            [GAUGE, 1, node('3')],
          ]),
          90,
        ),
      ),
      ['test.temperature{1}', 'test.temperature{3}'],
      'node 2 forgotten, its place taken',
    );
    assert.deepEqual(
      series(
        limit.send(
          batchOf('a', [
            [GAUGE, 1, node('2')],
            [GAUGE, 1, node('1')],
            [GAUGE, 1, node('3')],
          ]),
          95,
        ),
      ),
      ['test.temperature{1}', 'test.temperature{3}'],
      'node 2 is new again',
    );
    // Seen continuously, a series is never forgotten, even across many ttls.
    for (let t = 100; t <= 1000; t += 50)
      assert.equal(
        limit.send(
          batchOf('a', [
            [GAUGE, 1, node('1')],
            [GAUGE, 1, node('3')],
          ]),
          t,
        ).samples.length,
        2,
      );
  });

  it('frees the total limit too when series expire, including whole metrics', () => {
    const limit = harness({ max_series: 2, series_ttl: '80ms' });
    limit.send(
      batchOf('a', [
        [GAUGE, 1, node('1')],
        [OTHER, 1, node('1')],
      ]),
      0,
    );
    assert.deepEqual(
      series(
        limit.send(
          batchOf('a', [
            [COUNTER, 1, node('1')],
            [GAUGE, 1, node('1')],
          ]),
          40,
        ),
      ),
      ['test.temperature{1}'],
    );
    assert.deepEqual(
      series(
        limit.send(
          batchOf('a', [
            [COUNTER, 1, node('1')],
            [GAUGE, 1, node('1')],
          ]),
          100,
        ),
      ),
      ['test.events{1}', 'test.temperature{1}'],
      'test.other expired',
    );
    assert.deepEqual(series(limit.send(batchOf('a', [[OTHER, 1, node('1')]]), 110)), [], 'and it is new again, over the limit');
  });

  it('keeps state per subscription', async () => {
    const processor = limitProcessorFactory.createProcessor(testSettings('limit'), limitProcessorConfigSchema.parse({ max_series: 1 }));
    const first = batchOf('a', [[GAUGE, 1, node('1')]]);
    const second = batchOf('a', [[GAUGE, 1, node('2')]]);
    const run = (batches: Batch[]) => lastValueFrom(from(batches).pipe(processor.operator, toArray()));
    assert.deepEqual((await run([first, second])).map(series), [['test.temperature{1}'], []]);
    assert.deepEqual((await run([second])).map(series), [['test.temperature{2}']], 'a new subscription knows no series');
    const out = await lastValueFrom(of(second).pipe(processor.operator));
    assert.equal(out, second);
  });
});
