import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { from, lastValueFrom, of, toArray } from 'rxjs';
import { describeMetric, type Attributes, type Batch } from '../../../src/core/batch.js';
import { attributesProcessorConfigSchema } from '../../../src/processors/attributes/config.js';
import { attributesProcessorFactory } from '../../../src/processors/attributes/factory.js';
import { batchOf } from '../../harness/batches.js';
import { testSettings } from '../../harness/settings.js';
import { DOCUMENTED_EXAMPLE } from './documented-example.js';

const UP = describeMetric('zookeeper.up', 'gauge');
const AVG = describeMetric('zookeeper.latency.avg', 'gauge');
const PROBE = describeMetric('zookeeper.probe.duration', 'gauge');

const zk1: Attributes = Object.freeze({ 'zk.cluster': 'main', 'zk.endpoint': 'zk1:2181' });
const zk2: Attributes = Object.freeze({ 'zk.cluster': 'test', 'zk.endpoint': 'zk2:2182' });

async function run(config: unknown, ...batches: Batch[]): Promise<Batch[]> {
  const processor = attributesProcessorFactory.createProcessor(testSettings('attributes'), attributesProcessorConfigSchema.parse(config));
  return lastValueFrom(from(batches).pipe(processor.operator, toArray()));
}

const env = { actions: [{ key: 'env', action: 'insert', value: 'prod' }] };

describe('attributes processor', () => {
  it('passes an unchanged batch on as the same object', async () => {
    const batch = batchOf('zk|a', [
      [UP, 1, zk1],
      [AVG, 2, zk1],
    ]);
    const configs = [
      {},
      {
        actions: [
          { key: 'zk.cluster', action: 'insert', value: 'x' },
          { key: 'secret', action: 'delete' },
          { key: 'zk.cluster', action: 'upsert', value: 'main' },
        ],
      },
      { include: { match_type: 'strict', metric_names: ['other'] }, ...env },
      { exclude: { match_type: 'regexp', metric_names: ['zookeeper\\..*'] }, ...env },
    ];
    for (const config of configs) {
      const processor = attributesProcessorFactory.createProcessor(testSettings('attributes'), attributesProcessorConfigSchema.parse(config));
      const [out] = await lastValueFrom(of(batch).pipe(processor.operator, toArray()));
      assert.equal(out, batch, JSON.stringify(config));
    }
  });

  it('changes only the samples whose attributes change; the others stay the same objects, values and order kept', async () => {
    const batch = batchOf('zk|a', [
      [UP, 1, zk1],
      [AVG, 2.5, { other: 'x' }],
      [UP, 0, zk2],
    ]);
    const [out] = await run({ actions: [{ key: 'zk.cluster', action: 'update', value: 'prod' }] }, batch);
    assert.notEqual(out, batch);
    assert.equal(out!.source, batch.source);
    assert.equal(out!.timeMs, batch.timeMs);
    assert.equal(out!.samples[1], batch.samples[1]);
    assert.deepEqual(
      out!.samples.map((s) => [s.metric.name, s.value, s.attributes]),
      [
        ['zookeeper.up', 1, { 'zk.cluster': 'prod', 'zk.endpoint': 'zk1:2181' }],
        ['zookeeper.latency.avg', 2.5, { other: 'x' }],
        ['zookeeper.up', 0, { 'zk.cluster': 'prod', 'zk.endpoint': 'zk2:2182' }],
      ],
    );
    assert.equal(out!.samples[0]!.metric, UP, 'descriptors are kept');
    for (const i of [0, 2]) assert.ok(Object.isFrozen(out!.samples[i]!.attributes), 'new attributes are frozen');
    assert.deepEqual(zk1, { 'zk.cluster': 'main', 'zk.endpoint': 'zk1:2181' }, 'the input attributes are not modified');
  });

  it('one input attribute object shared by several metrics gives one shared output object, batch after batch', async () => {
    const first = batchOf('zk|a', [
      [UP, 1, zk1],
      [AVG, 2, zk1],
      [PROBE, 3, zk1],
    ]);
    const second = batchOf('zk|a', [
      [UP, 1, zk1],
      [AVG, 4, zk1],
    ]);
    const [a, b] = await run(env, first, second);
    const shared = a!.samples[0]!.attributes;
    assert.deepEqual(shared, { ...zk1, env: 'prod' });
    for (const sample of [...a!.samples, ...b!.samples]) assert.equal(sample.attributes, shared);
  });

  it('include and exclude select the series the actions apply to (include first, then exclude)', async () => {
    const batch = batchOf('zk|a', [
      [UP, 1, zk1],
      [AVG, 1, zk1],
      [PROBE, 1, zk1],
      [UP, 1, zk2],
    ]);
    const touched = async (selection: Record<string, unknown>) => {
      const [out] = await run({ ...selection, ...env }, batch);
      return out!.samples.map((s) => `${s.metric.name}{${s.attributes['zk.cluster']}}:${s.attributes.env ?? '-'}`);
    };
    assert.deepEqual(await touched({ include: { match_type: 'strict', metric_names: ['zookeeper.up'] } }), [
      'zookeeper.up{main}:prod',
      'zookeeper.latency.avg{main}:-',
      'zookeeper.probe.duration{main}:-',
      'zookeeper.up{test}:prod',
    ]);
    assert.deepEqual(await touched({ exclude: { match_type: 'regexp', metric_names: ['zookeeper\\.probe\\..*'] } }), [
      'zookeeper.up{main}:prod',
      'zookeeper.latency.avg{main}:prod',
      'zookeeper.probe.duration{main}:-',
      'zookeeper.up{test}:prod',
    ]);
    assert.deepEqual(
      await touched({
        include: { match_type: 'regexp', metric_names: ['zookeeper\\.(up|probe\\..*)'] },
        exclude: { match_type: 'strict', attributes: [{ key: 'zk.cluster', value: 'test' }] },
      }),
      ['zookeeper.up{main}:prod', 'zookeeper.latency.avg{main}:-', 'zookeeper.probe.duration{main}:prod', 'zookeeper.up{test}:-'],
    );
    // Anchored regexes: `zookeeper` alone matches no metric name.
    assert.deepEqual(await touched({ include: { match_type: 'regexp', metric_names: ['zookeeper'] } }), [
      'zookeeper.up{main}:-',
      'zookeeper.latency.avg{main}:-',
      'zookeeper.probe.duration{main}:-',
      'zookeeper.up{test}:-',
    ]);
    // Selection is decided on the attributes before the actions ran, with (?i) from RE2.
    assert.deepEqual(await touched({ include: { match_type: 'regexp', attributes: [{ key: 'zk.endpoint', value: '(?i)ZK1:.*' }] } }), [
      'zookeeper.up{main}:prod',
      'zookeeper.latency.avg{main}:prod',
      'zookeeper.probe.duration{main}:prod',
      'zookeeper.up{test}:-',
    ]);
  });

  it('runs the documented example end to end', async () => {
    const config = DOCUMENTED_EXAMPLE;
    const input = { 'zk.cluster': 'test', 'zk.endpoint': 'zk1:2181', other: 'blue', secret: 's3cr3t', tmp_x: '1', port: '02181' };
    const [out] = await run(
      config,
      batchOf('zk|a', [
        [UP, 1, input],
        [AVG, 1, input],
      ]),
    );
    const hashed = createHash('sha256').update('zk1:2181').digest('hex');
    // The endpoint is hashed before extract runs, so the hash no longer matches host:port and nothing is extracted.
    assert.deepEqual(out!.samples[0]!.attributes, { 'zk.cluster': 'blue', 'zk.endpoint': hashed, other: 'blue', port: '2181', env: 'prod', dc: 'eu-1' });
    assert.equal(out!.samples[1]!.attributes, input, 'zookeeper.latency.avg is not included');
  });
});
