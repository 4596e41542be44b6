import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { from, lastValueFrom, of, toArray } from 'rxjs';
import { describeMetric, type Attributes, type Batch, type MetricDescriptor } from '../../../src/core/batch.js';
import { filterProcessorConfigSchema } from '../../../src/processors/filter/config.js';
import { filterProcessorFactory } from '../../../src/processors/filter/factory.js';
import { compileMatcher, compileSelection, matcherSchema } from '../../../src/internal/filter/matcher.js';
import { batchOf } from '../../harness/batches.js';
import { testSettings } from '../../harness/settings.js';

const UP = describeMetric('zookeeper.up', 'gauge');
const AVG = describeMetric('zookeeper.latency.avg', 'gauge');
const P999 = describeMetric('zookeeper.latency.p999', 'gauge');
const ZNODES = describeMetric('zookeeper.znode.count', 'gauge');
const METRICS = [UP, AVG, P999, ZNODES];

const main = Object.freeze({ 'zk.cluster': 'main', 'zk.endpoint': 'zk1:2181' });
const test = Object.freeze({ 'zk.cluster': 'test', 'zk.endpoint': 'zk9:2181' });
const bare: Attributes = Object.freeze({});

/** One sample of every metric for every attribute set. */
function probe(...attributeSets: Attributes[]): Batch {
  return batchOf(
    'zk|a',
    attributeSets.flatMap((attributes) => METRICS.map((metric): [MetricDescriptor, number, Record<string, string>] => [metric, 1, attributes])),
  );
}

async function run(config: unknown, ...batches: Batch[]): Promise<Batch[]> {
  const processor = filterProcessorFactory.createProcessor(testSettings('filter'), filterProcessorConfigSchema.parse(config));
  return lastValueFrom(from(batches).pipe(processor.operator, toArray()));
}

/** `name{cluster}` per sample. */
const series = (batch: Batch) => batch.samples.map((s) => `${s.metric.name}{${s.attributes['zk.cluster'] ?? ''}}`);

describe('filter processor', () => {
  it('passes an unchanged batch on as the same object', async () => {
    const batch = probe(main);
    for (const config of [
      {},
      { metrics: { include: { match_type: 'regexp', metric_names: ['zookeeper\\..*'] } } },
      { metrics: { exclude: { match_type: 'strict', metric_names: ['other'] } } },
    ]) {
      const processor = filterProcessorFactory.createProcessor(testSettings('filter'), filterProcessorConfigSchema.parse(config));
      const [out] = await lastValueFrom(of(batch).pipe(processor.operator, toArray()));
      assert.equal(out, batch, JSON.stringify(config));
    }
  });

  it('include strict: only the listed names pass, kept samples are the same objects', async () => {
    const batch = probe(main, test);
    const [out] = await run(
      { metrics: { include: { match_type: 'strict', metric_names: ['zookeeper.up', 'zookeeper.latency.avg', 'zookeeper.latency'] } } },
      batch,
    );
    assert.deepEqual(series(out!), ['zookeeper.up{main}', 'zookeeper.latency.avg{main}', 'zookeeper.up{test}', 'zookeeper.latency.avg{test}']);
    for (const sample of out!.samples) assert.ok(batch.samples.includes(sample));
    assert.deepEqual({ ...out!, samples: [] }, { ...batch, samples: [] }, 'source and times are kept');
  });

  it('exclude alone drops what matches', async () => {
    const [out] = await run({ metrics: { exclude: { match_type: 'regexp', metric_names: ['zookeeper\\..*\\.p999'] } } }, probe(main));
    assert.deepEqual(series(out!), ['zookeeper.up{main}', 'zookeeper.latency.avg{main}', 'zookeeper.znode.count{main}']);
  });

  it('include first, then exclude', async () => {
    const config = {
      metrics: {
        include: { match_type: 'regexp', metric_names: ['zookeeper\\.latency\\..*', 'zookeeper\\.up'] },
        exclude: { match_type: 'regexp', metric_names: ['.*\\.p999'] },
      },
    };
    const [out] = await run(config, probe(main));
    assert.deepEqual(series(out!), ['zookeeper.up{main}', 'zookeeper.latency.avg{main}']);
    // Excluding what include keeps wins; excluding what include already dropped changes nothing.
    const [all] = await run(
      { metrics: { include: { match_type: 'strict', metric_names: ['zookeeper.up'] }, exclude: { match_type: 'strict', metric_names: ['zookeeper.up'] } } },
      probe(main),
    );
    assert.deepEqual(series(all!), []);
  });

  it('regexes match the whole name (anchored), unlike the Collector', async () => {
    const cases: [string, string[]][] = [
      ['latency', []],
      ['zookeeper\\.latency', []],
      ['.*latency.*', ['zookeeper.latency.avg', 'zookeeper.latency.p999']],
      ['zookeeper\\.latency\\.(avg|p999)', ['zookeeper.latency.avg', 'zookeeper.latency.p999']],
      ['^zookeeper\\.up$', ['zookeeper.up']],
      ['zookeeper.up|zookeeper.znode.count', ['zookeeper.up', 'zookeeper.znode.count']],
      ['(?i)ZooKeeper\\.UP', ['zookeeper.up']],
      ['(?P<ns>zookeeper)\\.(?:up|znode\\.count)', ['zookeeper.up', 'zookeeper.znode.count']],
      ['zookeeper\\.\\pL+', ['zookeeper.up']],
    ];
    for (const [pattern, kept] of cases) {
      const [out] = await run({ metrics: { include: { match_type: 'regexp', metric_names: [pattern] } } }, probe(main));
      assert.deepEqual(
        out!.samples.map((s) => s.metric.name),
        kept,
        pattern,
      );
    }
  });

  it('strict compares names exactly: no regex, no case folding, OTel (dotted) names', async () => {
    for (const name of ['zookeeper.up.*', 'ZOOKEEPER.UP', 'zookeeper_up', 'zookeeper.u']) {
      const [out] = await run({ metrics: { include: { match_type: 'strict', metric_names: [name] } } }, probe(main));
      assert.deepEqual(series(out!), [], name);
    }
  });

  it('attribute matchers: strict value, regexp value, presence; all entries and the name must match', async () => {
    const batch = probe(main, test, bare);
    const cases: [unknown, string[]][] = [
      [{ match_type: 'strict', attributes: [{ key: 'zk.cluster', value: 'test' }] }, ['test']],
      [{ match_type: 'strict', attributes: [{ key: 'zk.cluster', value: 'tes' }] }, []],
      [{ match_type: 'regexp', attributes: [{ key: 'zk.cluster', value: 'te' }] }, []],
      [{ match_type: 'regexp', attributes: [{ key: 'zk.cluster', value: 'te.*' }] }, ['test']],
      [{ match_type: 'regexp', attributes: [{ key: 'zk.cluster', value: '(?i)MAIN|TEST' }] }, ['main', 'test']],
      [{ match_type: 'strict', attributes: [{ key: 'zk.cluster' }] }, ['main', 'test']],
      [{ match_type: 'regexp', attributes: [{ key: 'zk.cluster', value: '.*' }] }, ['main', 'test']],
      [
        {
          match_type: 'strict',
          attributes: [
            { key: 'zk.cluster', value: 'test' },
            { key: 'zk.endpoint', value: 'zk1:2181' },
          ],
        },
        [],
      ],
      [
        {
          match_type: 'strict',
          attributes: [
            { key: 'zk.cluster', value: 'main' },
            { key: 'zk.endpoint', value: 'zk1:2181' },
          ],
        },
        ['main'],
      ],
    ];
    for (const [exclude, dropped] of cases) {
      const [out] = await run({ metrics: { exclude } }, batch);
      const droppedClusters = new Set(batch.samples.filter((s) => !out!.samples.includes(s)).map((s) => s.attributes['zk.cluster'] ?? ''));
      assert.deepEqual([...droppedClusters], dropped, JSON.stringify(exclude));
      assert.equal(out!.samples.length, batch.samples.length - dropped.length * METRICS.length);
    }
    // Name and attributes together: only the p999 of the test cluster.
    const [out] = await run(
      { metrics: { exclude: { match_type: 'strict', metric_names: ['zookeeper.latency.p999'], attributes: [{ key: 'zk.cluster', value: 'test' }] } } },
      batch,
    );
    assert.deepEqual(
      series(out!).filter((s) => s.includes('p999')),
      ['zookeeper.latency.p999{main}', 'zookeeper.latency.p999{}'],
    );
  });

  it('a metric whose points are all dropped disappears; a batch with nothing left goes on empty, so exporters export nothing of its source', async () => {
    const config = { metrics: { exclude: { match_type: 'strict', attributes: [{ key: 'zk.cluster', value: 'test' }] } } };
    const onlyTest = batchOf('zk|a', [
      [P999, 1, test],
      [UP, 1, main],
      [P999, 2, test],
    ]);
    const [out] = await run({ metrics: { exclude: { match_type: 'strict', metric_names: ['zookeeper.latency.p999'] } } }, onlyTest);
    assert.deepEqual(series(out!), ['zookeeper.up{main}']);
    assert.ok(!out!.samples.some((s) => s.metric === P999));
    const [empty] = await run(
      config,
      batchOf('zk|b', [
        [UP, 1, test],
        [AVG, 1, test],
      ]),
    );
    assert.equal(empty!.source, 'zk|b');
    assert.deepEqual(empty!.samples, []);
  });

  it('decides per series across batches: a series that changes attributes is decided again', async () => {
    const config = { metrics: { include: { match_type: 'strict', attributes: [{ key: 'zk.cluster', value: 'main' }] } } };
    const first = batchOf('zk|a', [[UP, 1, main]]);
    const second = batchOf('zk|a', [
      [UP, 0, test],
      [UP, 1, main],
    ]);
    const third = batchOf('zk|a', [[UP, 0, main]]);
    const [a, b, c] = await run(config, first, second, third);
    assert.equal(a, first);
    assert.deepEqual(b!.samples, [second.samples[1]]);
    assert.equal(c, third);
  });

  it('the shared matcher and selection compile to the documented predicates', () => {
    const matcher = compileMatcher(matcherSchema.parse({ match_type: 'regexp', metric_names: ['a\\..*', 'b'], attributes: [{ key: 'k', value: 'v[0-9]' }] }));
    const s = (name: string, attributes: Attributes) => ({ metric: describeMetric(name, 'gauge'), attributes });
    assert.equal(matcher(s('a.x', { k: 'v1' })), true);
    assert.equal(matcher(s('b', { k: 'v9', other: 'x' })), true);
    assert.equal(matcher(s('bb', { k: 'v1' })), false);
    assert.equal(matcher(s('a.x', { k: 'v10' })), false);
    assert.equal(matcher(s('a.x', {})), false);
    const include = matcherSchema.parse({ match_type: 'strict', metric_names: ['a', 'b'] });
    const exclude = matcherSchema.parse({ match_type: 'strict', metric_names: ['b', 'c'] });
    const selected = (i: typeof include | undefined, e: typeof exclude | undefined) =>
      ['a', 'b', 'c', 'd'].filter((name) => compileSelection(i, e)(s(name, {})));
    assert.deepEqual(selected(undefined, undefined), ['a', 'b', 'c', 'd']);
    assert.deepEqual(selected(include, undefined), ['a', 'b']);
    assert.deepEqual(selected(undefined, exclude), ['a', 'd']);
    assert.deepEqual(selected(include, exclude), ['a']);
  });
});
