import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { from, lastValueFrom, of, toArray } from 'rxjs';
import { describeMetric, withMeta, type Batch } from '../../../src/core/batch.js';
import { relabelProcessorFactory } from '../../../src/processors/relabel/factory.js';
import { batchOf, COUNTER, GAUGE } from '../../harness/batches.js';
import { testSettings } from '../../harness/settings.js';

const LATENCY = describeMetric('zookeeper.latency.avg', 'gauge', { unit: 'ms', description: 'Average latency.' });
const PACKETS = describeMetric('zookeeper.packets.received', 'counter', { valueType: 'int', description: 'Packets received.' });
const ENDPOINT = Object.freeze({ 'zk.endpoint': '10.0.0.1:2181', 'zk.cluster': 'main' });

/** Every batch through one relabel processor built from `rules`, in one subscription. */
async function run(rules: unknown[], ...batches: Batch[]): Promise<Batch[]> {
  const config = relabelProcessorFactory.configSchema.parse({ rules });
  const { operator } = relabelProcessorFactory.createProcessor(testSettings('relabel/test'), config);
  return lastValueFrom(from(batches).pipe(operator, toArray()));
}

async function runOne(rules: unknown[], batch: Batch): Promise<Batch> {
  const config = relabelProcessorFactory.configSchema.parse({ rules });
  return lastValueFrom(of(batch).pipe(relabelProcessorFactory.createProcessor(testSettings('relabel/test'), config).operator));
}

/** name{attributes} value, for readable assertions. */
const show = (batch: Batch) => batch.samples.map((s) => `${s.metric.name}${JSON.stringify(s.attributes)} ${s.value}`);

describe('relabel processor', () => {
  it('renames via __name__: a new descriptor with the same kind, unit, value type and description', async () => {
    const out = await runOne(
      [{ source_labels: ['__name__'], regex: 'zookeeper_(.*)', target_label: '__name__', replacement: 'zk_${1}' }],
      batchOf('s', [[LATENCY, 4, ENDPOINT]]),
    );
    const [sample] = out.samples;
    assert.deepEqual({ ...sample!.metric }, { name: 'zk_latency_avg', kind: 'gauge', valueType: 'double', unit: 'ms', description: 'Average latency.' });
    assert.ok(Object.isFrozen(sample!.metric));
    assert.equal(sample!.attributes, ENDPOINT, 'attributes that did not change stay the same object');
    assert.equal(sample!.value, 4);
  });

  it('keeps one descriptor per (descriptor, new name), across batches and attribute sets', async () => {
    const rules = [{ source_labels: ['__name__'], regex: 'zookeeper_(.*)', target_label: '__name__', replacement: 'zk_$1' }];
    const other = Object.freeze({ 'zk.endpoint': '10.0.0.2:2181', 'zk.cluster': 'main' });
    const [first, second] = await run(
      rules,
      batchOf('a', [
        [LATENCY, 1, ENDPOINT],
        [LATENCY, 2, other],
      ]),
      batchOf('a', [[LATENCY, 3, { ...ENDPOINT }]]),
    );
    const metrics = [...first!.samples, ...second!.samples].map((sample) => sample.metric);
    assert.equal(metrics[0]!.name, 'zk_latency_avg');
    assert.ok(metrics.every((metric) => metric === metrics[0]));
  });

  it('counters show `_total` in __name__ and stay counters when renamed', async () => {
    const out = await runOne(
      [
        { source_labels: ['__name__'], regex: '.*_total', action: 'keep' },
        { source_labels: ['__name__'], regex: 'zookeeper_(.*)', target_label: '__name__', replacement: 'zk_$1' },
      ],
      batchOf('s', [
        [PACKETS, 10, ENDPOINT],
        [LATENCY, 4, ENDPOINT],
      ]),
    );
    assert.equal(out.samples.length, 1, 'the gauge has no _total and is dropped');
    assert.equal(out.samples[0]!.metric.name, 'zk_packets_received_total');
    assert.equal(out.samples[0]!.metric.kind, 'counter');
    assert.equal(out.samples[0]!.metric.valueType, 'int');
  });

  it('drops samples by rule, and samples left without __name__', async () => {
    const batch = batchOf('s', [
      [LATENCY, 1, ENDPOINT],
      [PACKETS, 2, ENDPOINT],
      [GAUGE, 3, ENDPOINT],
    ]);
    assert.deepEqual(show(await runOne([{ source_labels: ['__name__'], regex: 'zookeeper_latency_.*', action: 'drop' }], batch)), [
      `zookeeper.packets.received${JSON.stringify(ENDPOINT)} 2`,
      `test.temperature${JSON.stringify(ENDPOINT)} 3`,
    ]);
    const unnamed = await runOne([{ source_labels: ['__name__'], regex: 'test_.*', target_label: '__name__', replacement: '' }], batch);
    assert.deepEqual(
      unnamed.samples.map((sample) => sample.metric.name),
      ['zookeeper.latency.avg', 'zookeeper.packets.received'],
    );
    assert.equal((await runOne([{ action: 'labeldrop', regex: '__name__' }], batch)).samples.length, 0);
  });

  it('labelmap copies labels; labels that were attributes keep their attribute keys', async () => {
    const out = await runOne(
      [
        { action: 'labelmap', regex: 'zk_(endpoint)', replacement: 'instance' },
        { action: 'labeldrop', regex: 'zk_cluster' },
      ],
      batchOf('s', [[LATENCY, 1, ENDPOINT]]),
    );
    assert.deepEqual(out.samples[0]!.attributes, { instance: '10.0.0.1:2181', 'zk.endpoint': '10.0.0.1:2181' });
    assert.ok(Object.isFrozen(out.samples[0]!.attributes));
    assert.equal(out.samples[0]!.metric, LATENCY);
  });

  it('__-labels the rules set are scratch space, dropped after the rules; meta attributes that came in pass on unchanged', async () => {
    const out = await runOne(
      [
        { source_labels: ['zk_endpoint'], regex: '([^:]+):.*', target_label: '__tmp_host', replacement: '$1' },
        { source_labels: ['__tmp_host', '__mntr_key'], separator: '/', target_label: 'origin' },
      ],
      batchOf('s', [[LATENCY, 1, { ...ENDPOINT, __mntr_key: 'avg_latency' }]]),
    );
    assert.deepEqual(out.samples[0]!.attributes, {
      origin: '10.0.0.1/avg_latency',
      'zk.cluster': 'main',
      'zk.endpoint': '10.0.0.1:2181',
      __mntr_key: 'avg_latency',
    });
  });

  it('a meta attribute the rules change is dropped, like any __ label they set', async () => {
    const out = await runOne(
      [{ target_label: '__mntr_key', replacement: 'changed' }],
      batchOf('s', [[LATENCY, 1, { ...ENDPOINT, __mntr_key: 'avg_latency' }]]),
    );
    assert.deepEqual(out.samples[0]!.attributes, ENDPOINT);
  });

  it('__mntr_key names samples after the raw mntr key (the compat pipeline)', async () => {
    const out = await runOne(
      [{ source_labels: ['__mntr_key'], regex: '(.+)', target_label: '__name__', replacement: 'zk_$1' }],
      batchOf('s', [
        [LATENCY, 1, { ...ENDPOINT, __mntr_key: 'avg_latency' }],
        [GAUGE, 2, ENDPOINT],
      ]),
    );
    assert.deepEqual(
      out.samples.map((sample) => sample.metric.name),
      ['zk_avg_latency', 'test.temperature'],
    );
    assert.deepEqual(out.samples[0]!.attributes, { ...ENDPOINT, __mntr_key: 'avg_latency' }, '__mntr_key passes on; the service strips it before export');
    assert.equal(out.samples[1]!.attributes, ENDPOINT);
  });

  it('metric_name_validation_scheme decides which expanded target names a rule may write', async () => {
    const rules = [{ source_labels: ['zk_endpoint'], regex: '([^:]+):(.*)', target_label: '${1}', replacement: '$2' }];
    const batch = batchOf('s', [[LATENCY, 1, ENDPOINT]]);
    const withScheme = async (scheme: 'utf8' | 'legacy') => {
      const config = relabelProcessorFactory.configSchema.parse({ rules, metric_name_validation_scheme: scheme });
      return lastValueFrom(of(batch).pipe(relabelProcessorFactory.createProcessor(testSettings('relabel/test'), config).operator));
    };
    assert.equal(await withScheme('legacy'), batch, '"10.0.0.1" is no legacy name: nothing is written');
    assert.deepEqual((await withScheme('utf8')).samples[0]!.attributes, { ...ENDPOINT, '10.0.0.1': '2181' });
  });

  it("sees the descriptor's meta labels (__mntr_key on the descriptor) and keeps them on the descriptor, also when renaming", async () => {
    const keyed = withMeta(LATENCY, { __mntr_key: 'avg_latency' });
    const out = await runOne(
      [{ source_labels: ['__mntr_key'], regex: '(.+)', target_label: '__name__', replacement: 'zk_$1' }],
      batchOf('s', [[keyed, 1, ENDPOINT]]),
    );
    assert.equal(out.samples[0]!.metric.name, 'zk_avg_latency');
    assert.deepEqual(out.samples[0]!.metric.meta, { __mntr_key: 'avg_latency' });
    assert.equal(out.samples[0]!.attributes, ENDPOINT, 'no meta label becomes an attribute');
  });

  it('equal new attribute sets are one object', async () => {
    const out = await runOne(
      [{ target_label: 'env', replacement: 'prod' }],
      batchOf('s', [
        [LATENCY, 1, { ...ENDPOINT }],
        [PACKETS, 2, { ...ENDPOINT }],
      ]),
    );
    assert.deepEqual(out.samples[0]!.attributes, { ...ENDPOINT, env: 'prod' });
    assert.equal(out.samples[0]!.attributes, out.samples[1]!.attributes);
  });

  it('passes a batch in which nothing changes on as the same object', async () => {
    const batch = batchOf('s', [
      [LATENCY, 1, ENDPOINT],
      [COUNTER, 2, ENDPOINT],
    ]);
    const rules = [
      { source_labels: ['__name__'], regex: 'nothing_.*', action: 'drop' },
      { source_labels: ['zk_endpoint'], target_label: 'zk_endpoint' },
      { source_labels: ['__name__'], regex: '(.*)', target_label: '__name__', replacement: '$1' },
    ];
    const [first, second] = await run(rules, batch, batch);
    assert.equal(first, batch);
    assert.equal(second, batch);
  });

  it('with no rules (the default config) passes every batch through untouched', async () => {
    const batch = batchOf('s', [[LATENCY, 1, { ...ENDPOINT, __mntr_key: 'avg_latency' }]]);
    const config = relabelProcessorFactory.createDefaultConfig();
    assert.equal(await lastValueFrom(of(batch).pipe(relabelProcessorFactory.createProcessor(testSettings('relabel'), config).operator)), batch);
  });
});
