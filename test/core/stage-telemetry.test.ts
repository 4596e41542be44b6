import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filter, from, lastValueFrom, map, toArray } from 'rxjs';
import type { Batch } from '../../src/core/batch.js';
import { stripMetaAttributes } from '../../src/core/meta-attributes.js';
import { seriesStage } from '../../src/core/series-stage.js';
import { instrumentStage, StageTelemetry } from '../../src/core/stage-telemetry.js';
import { SelfTelemetry } from '../../src/core/telemetry.js';
import { batchOf, COUNTER, GAUGE } from '../harness/batches.js';

const counters = (telemetry: SelfTelemetry) =>
  Object.fromEntries(telemetry.snapshot().samples.map((sample) => [`${sample.metric.name}{${sample.attributes.processor}}`, sample.value]));

describe('stage self-telemetry', () => {
  it('counts samples in, out and dropped per processor, including batches swallowed whole', async () => {
    const telemetry = new SelfTelemetry();
    const stageCounters = new StageTelemetry(telemetry).forStage('filter/x', 'metrics');
    const dropCounters = (batch: Batch): Batch => ({ ...batch, samples: batch.samples.filter((s) => s.metric !== COUNTER) });
    const stage = instrumentStage(
      (source) =>
        source.pipe(
          filter((batch) => batch.source !== 'skip'),
          map(dropCounters),
        ),
      stageCounters,
    );
    const batches = [
      batchOf('a', [
        [GAUGE, 1],
        [COUNTER, 2],
      ]),
      batchOf('skip', [
        [GAUGE, 1],
        [GAUGE, 2],
        [GAUGE, 3],
      ]),
      batchOf('b', [[GAUGE, 1]]),
    ];
    const out = await lastValueFrom(from(batches).pipe(stage, toArray()));
    assert.deepEqual(
      out.map((batch) => batch.samples.length),
      [1, 1],
    );
    const seen = counters(telemetry);
    assert.equal(seen['zkotel.processor.samples.in{filter/x}'], 6);
    assert.equal(seen['zkotel.processor.samples.out{filter/x}'], 2);
    assert.equal(seen['zkotel.processor.samples.dropped{filter/x}'], 4);
    assert.ok(seen['zkotel.processor.cpu_seconds{filter/x}']! >= 0);
  });
});

describe('seriesStage', () => {
  it('passes unchanged batches on as the same object and rewrites each series once', async () => {
    let calls = 0;
    const renamed = { ...GAUGE, name: 'renamed' };
    const stage = seriesStage((series) => {
      calls++;
      return series.metric === GAUGE ? { metric: renamed, attributes: series.attributes } : series;
    });
    const attributes = Object.freeze({ node: 'a' });
    const untouched = batchOf('a', [[COUNTER, 1, attributes]]);
    const touched = batchOf('a', [
      [GAUGE, 5, attributes],
      [COUNTER, 2, attributes],
    ]);
    const [first, second, third] = await lastValueFrom(from([untouched, touched, touched]).pipe(stage, toArray()));
    assert.equal(first, untouched, 'no change, no new batch');
    assert.deepEqual(
      second!.samples.map((s) => [s.metric.name, s.value]),
      [
        ['renamed', 5],
        [COUNTER.name, 2],
      ],
    );
    assert.equal(second!.samples[1], touched.samples[1], 'unchanged samples are passed on as they are');
    assert.equal(third!.samples[0]!.metric, second!.samples[0]!.metric, 'a rewritten series keeps one descriptor');
    assert.equal(calls, 2, 'each distinct series rewritten once');
  });
});

describe('stripMetaAttributes', () => {
  it('removes __* attributes and interns equal results', async () => {
    const withKey = (key: string) => Object.freeze({ 'zk.endpoint': 'a:1', __mntr_key: key });
    const batch = batchOf('a', [
      [GAUGE, 1, withKey('x')],
      [COUNTER, 2, withKey('y')],
      [GAUGE, 3, { plain: 'yes' }],
    ]);
    const [out] = await lastValueFrom(from([batch]).pipe(stripMetaAttributes(), toArray()));
    assert.deepEqual(
      out!.samples.map((s) => s.attributes),
      [{ 'zk.endpoint': 'a:1' }, { 'zk.endpoint': 'a:1' }, { plain: 'yes' }],
    );
    assert.equal(out!.samples[0]!.attributes, out!.samples[1]!.attributes);
    assert.equal(out!.samples[2], batch.samples[2]);
  });
});
