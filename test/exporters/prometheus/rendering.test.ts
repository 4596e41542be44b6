/**
 * Differential test: the pre-rendered exposition (rendering.ts) against the OTel PrometheusSerializer fed by
 * snapshotToScopeMetrics, on the same snapshot. Byte-identical, or the fast path declines (irregular snapshots).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { describeMetric, isSourceGone, sourceGone, withMeta, type Batch, type PipelineItem } from '../../../src/core/batch.js';
import { snapshotToScopeMetrics, SnapshotStore } from '../../../src/internal/exporterhelper/snapshot.js';
import { FragmentRenderer, RenderedSnapshot } from '../../../src/exporters/prometheus/rendering.js';
import { exposableAttributes, withExposableLabelNames } from '../../../src/exporters/prometheus/label-names.js';
import { parseMntr, parseSrvr } from '../../../src/receivers/zookeeper/parse.js';
import { SampleMapper } from '../../../src/receivers/zookeeper/samples.js';
import { mntrFixtureNames, readMntrFixture } from '../../harness/fixtures.js';
import { batchOf, COUNTER, GAUGE } from '../../harness/batches.js';

const RESOURCE = resourceFromAttributes({ 'service.name': 'zkotel', 'service.version': '0.0.0-test' });
const RESERVED_SUFFIX_GAUGE = /^# TYPE (\S+_(?:count|sum|bucket)) gauge$/gm;

interface Options {
  namespace?: string;
  constantLabels?: Record<string, string>;
  targetInfo?: boolean;
}

function otelBody(batches: Batch[], options: Options): string {
  const store = new SnapshotStore();
  for (const batch of batches) store.put(batch);
  const serializer = new PrometheusSerializer(options.namespace ?? '', false, undefined, !options.targetInfo, true);
  // As the exporter hands them to the serializer (label-names.ts).
  const scopeMetrics = snapshotToScopeMetrics(withExposableLabelNames(store.batches()), 'zkotel', undefined, exposableAttributes(options.constantLabels ?? {}));
  return serializer.serialize({ resource: RESOURCE, scopeMetrics: [scopeMetrics] }).replace(RESERVED_SUFFIX_GAUGE, '# TYPE $1 untyped');
}

function renderedBody(batches: Batch[], options: Options): string | undefined {
  const serializer = new PrometheusSerializer(options.namespace ?? '', false, undefined, !options.targetInfo, true);
  const targetInfo = serializer.serialize({ resource: RESOURCE, scopeMetrics: [] }).replace(/# no registered metrics$/, '');
  const snapshot = new RenderedSnapshot(new FragmentRenderer({ namespace: options.namespace ?? '', constantLabels: options.constantLabels ?? {} }));
  for (const batch of batches) snapshot.put(batch);
  const text = snapshot.assemble([])?.toString('utf8');
  return text === undefined ? undefined : targetInfo + (text === '' ? '# no registered metrics' : text);
}

const identity = (i: number) => Object.freeze({ 'zk.endpoint': `10.0.0.${i}:2181`, 'zk.cluster': 'main' });
function zookeeperBatches(count: number, fixture: string): Batch[] {
  const mntr = parseMntr(readMntrFixture(fixture));
  const srvr = parseSrvr(
    'Zookeeper version: 3.8.0-abc, built on x\nLatency min/avg/max: 0/0.5/7\nReceived: 10\nSent: 11\nConnections: 2\nOutstanding: 0\nZxid: 0x100000002\nMode: follower\nNode count: 5\n',
  );
  return Array.from({ length: count }, (_, i) => ({
    source: `zookeeper|10.0.0.${i}:2181`,
    timeMs: 1000,
    startTimeMs: 0,
    samples: new SampleMapper(identity(i)).toSamples(
      {
        replies: { mntr, srvr, ruok: true },
        failures: i === 1 ? [{ command: 'ruok', error: Object.assign(new Error('x'), { reason: 'timeout' as const }) as never }] : [],
        durationMs: 1.25,
      },
      2,
    ),
  }));
}

const HISTOGRAM = describeMetric('test.wait.seconds', 'histogram', { unit: 's', description: 'A histogram.' });
const histogramBatch = (source: string, attributes: Record<string, string>): Batch => ({
  source,
  timeMs: 1,
  startTimeMs: 0,
  samples: [
    { metric: HISTOGRAM, attributes, value: 4, histogram: { boundaries: [0.1, 1, Infinity], counts: [1, 2, 1, 0], sum: 2.5, count: 4 } },
    { metric: HISTOGRAM, attributes: { ...attributes, kind: 'b' }, value: 3, histogram: { boundaries: [0.5], counts: [1, 2], sum: 1.5, count: 3 } },
  ],
});

describe('pre-rendered exposition = OTel PrometheusSerializer, byte for byte', () => {
  const cases: [string, () => Batch[], Options][] = [
    ...mntrFixtureNames().map((name): [string, () => Batch[], Options] => [
      `3 servers answering ${name}, mntr + srvr + ruok`,
      () => zookeeperBatches(3, name),
      {},
    ]),
    [
      'namespace, const_labels (one overridden by an attribute), target_info',
      () => zookeeperBatches(2, 'mntr-3.8.0-leader.txt'),
      { namespace: 'ns', constantLabels: { env: 'prod', 'zk.cluster': 'const' }, targetInfo: true },
    ],
    [
      'odd names and values: escaping, NaN, ±Inf, -0, a name starting with a digit, an empty metric name',
      () => [
        batchOf('a', [
          [describeMetric('9lives.x-y', 'gauge', { description: 'back\\slash\nnewline' }), NaN, { 'la.bel': 'quote"back\\slash\nnl' }],
          [GAUGE, Infinity, { ünï: 'ç' }],
          [GAUGE, -Infinity, {}],
          [COUNTER, -0, { a: '' }],
          [describeMetric('', 'gauge'), 1, {}],
          [describeMetric('queue.count', 'gauge', { unit: 'By' }), 1e21, {}],
          [describeMetric('x_total', 'counter'), 1.5e-7, {}],
        ]),
        batchOf('b', [
          [COUNTER, 2, { a: 'other' }],
          [GAUGE, 0.1 + 0.2, { b: '1' }],
        ]),
      ],
      {},
    ],
    ['histograms (with and without an infinite bound)', () => [histogramBatch('h1', { at: '1' }), histogramBatch('h2', { at: '2' })], {}],
    [
      "one family's series apart in the batch, each with its own attributes (lines reordered family by family)",
      () => [
        batchOf('a', [
          [GAUGE, 1, { node: 'x' }],
          [COUNTER, 2, { node: 'y' }],
          [GAUGE, 3, { node: 'z' }],
          [COUNTER, 4, { node: 'x' }],
        ]),
        batchOf('b', [
          [COUNTER, 5, { node: 'v' }],
          [GAUGE, 6, { node: 'w' }],
        ]),
      ],
      {},
    ],
    [
      'meta-labelled descriptors of one name share a family',
      () => [
        batchOf('m', [
          [withMeta(GAUGE, { __k: 'a' }), 1, { x: '1' }],
          [GAUGE, 2, { x: '2' }],
          [withMeta(GAUGE, { __k: 'b' }), 3, { x: '3' }],
        ]),
      ],
      {},
    ],
    [
      'histograms between gauges and counters (lines rendered whole among lines rendered as values), namespace, const_labels',
      () => {
        const [first, second] = histogramBatch('h', { at: '1' }).samples;
        const plain = batchOf('h', [
          [GAUGE, 1.25, { at: '1' }],
          [COUNTER, 7, { at: '1' }],
          [GAUGE, -3, { at: '2' }],
        ]).samples;
        return [
          { source: 'h', timeMs: 1, startTimeMs: 0, samples: [plain[0]!, first!, plain[1]!, second!, plain[2]!] },
          histogramBatch('h2', { at: '3' }),
          batchOf('g', [[GAUGE, 2, { at: '4' }]]),
        ];
      },
      { namespace: 'ns', constantLabels: { env: 'prod' } },
    ],
    ['an empty snapshot', () => [], { targetInfo: true }],
    [
      'empty batches before, between and after others',
      () => [batchOf('e1', []), batchOf('a', [[GAUGE, 1, { x: '1' }]]), batchOf('e2', []), batchOf('b', [[GAUGE, 2, { x: '2' }]]), batchOf('e3', [])],
      {},
    ],
    [
      'label names that would start with a digit',
      () => [
        batchOf('d', [
          [GAUGE, 1, { '10.0.0.1': 'up', x: '1' }],
          [GAUGE, 2, { '10.0.0.1': 'down', x: '2' }],
        ]),
      ],
      { constantLabels: { '2nd': 'c' } },
    ],
  ];
  for (const [what, batches, options] of cases) {
    it(what, () => {
      const input = batches();
      const rendered = renderedBody(input, options);
      assert.notEqual(rendered, undefined, 'a regular snapshot takes the fast path');
      assert.equal(rendered, otelBody(input, options));
    });
  }

  it('gives a label name that would start with a digit a leading _, so the exposition stays valid', () => {
    const body = renderedBody([batchOf('d', [[GAUGE, 1, { '10.0.0.1': 'up' }]])], { constantLabels: { '2nd': 'c' } })!;
    assert.match(body, /^test_temperature\{_2nd="c",_10_0_0_1="up"\} 1$/m);
  });

  it('a source replaced, emptied or forgotten changes the body as it changes the OTel one (order of sources kept)', () => {
    const [a, b, c] = zookeeperBatches(3, 'mntr-3.8.0-follower.txt');
    const sequence: PipelineItem[] = [
      a!,
      b!,
      c!,
      { ...a!, samples: a!.samples.slice(0, 40) },
      { ...b!, samples: [] },
      sourceGone(b!.source, 0),
      b!,
      sourceGone('never-seen', 0),
    ];
    const store = new SnapshotStore();
    const snapshot = new RenderedSnapshot(new FragmentRenderer({ namespace: '', constantLabels: {} }));
    for (const item of sequence) {
      if (isSourceGone(item)) {
        store.forget(item.source);
        snapshot.forget(item.source);
      } else {
        store.put(item);
        snapshot.put(item);
      }
      assert.equal(snapshot.assemble([])?.toString('utf8'), otelBody([...store.batches()], {}).replace(/^# no registered metrics$/, ''));
    }
  });

  it('a source whose values print longer or shorter from batch to batch, with the same series, gives the OTel body', () => {
    // The same descriptor and attribute objects every time: the plan stays, only values are rendered again.
    const attributesOf = (source: string) => [Object.freeze({ e: '1', source }), Object.freeze({ e: '2', f: 'x"y', source })];
    const attributesBySource = new Map(['v1', 'v2'].map((source) => [source, attributesOf(source)]));
    const unexposed = describeMetric('', 'gauge');
    const batchWith = (source: string, values: number[], sum: number): Batch => {
      const attributes = attributesBySource.get(source)!;
      return {
        source,
        timeMs: 1,
        startTimeMs: 0,
        samples: [
          { metric: GAUGE, attributes: attributes[0]!, value: values[0]! },
          { metric: unexposed, attributes: attributes[0]!, value: values[1]! },
          { metric: COUNTER, attributes: attributes[1]!, value: values[1]! },
          { metric: HISTOGRAM, attributes: attributes[1]!, value: 2, histogram: { boundaries: [1], counts: [1, 1], sum, count: 2 } },
          { metric: GAUGE, attributes: attributes[1]!, value: values[2]! },
        ],
      };
    };
    const store = new SnapshotStore();
    const snapshot = new RenderedSnapshot(new FragmentRenderer({ namespace: '', constantLabels: { c: '1' } }));
    const rounds: [number[], number][] = [
      [[1, 2, 3], 1],
      [[1e300, -1.2345678901234567e-300, NaN], 1.0000000000000002],
      [[0, -0, 5], 0],
      [[123456789012345, Infinity, 0.1 + 0.2], 1e-7],
      [[-Infinity, 1, 2], 3],
    ];
    for (const [values, sum] of rounds) {
      for (const source of ['v1', 'v2']) {
        const batch = batchWith(source, source === 'v1' ? values : values.map((value) => value * 2), sum);
        store.put(batch);
        snapshot.put(batch);
      }
      assert.equal(snapshot.assemble([])?.toString('utf8'), otelBody([...store.batches()], { constantLabels: { c: '1' } }));
    }
  });

  it("a rendering holds its values, not its lines, and a steady source's next rendering writes into the same memory", () => {
    const renderer = new FragmentRenderer({ namespace: '', constantLabels: {} });
    const [batch] = zookeeperBatches(1, 'mntr-3.8.0-leader.txt');
    const first = renderer.render(batch!);
    const snapshot = new RenderedSnapshot(renderer);
    const lines = snapshot.assemble([first])!.length;
    assert.ok(first.bytes.length * 5 < lines, `${first.bytes.length} bytes of rendering for ${lines} bytes of lines`);
    const next = renderer.render(batch!, first);
    assert.equal(next.bytes, first.bytes);
    assert.equal(next.plan, first.plan);
  });

  it('declines what the OTel path would drop and report: one name with two kinds, one series from two sources', () => {
    const twoKinds = [batchOf('a', [[describeMetric('x', 'gauge'), 1, { a: '1' }]]), batchOf('b', [[describeMetric('x', 'counter'), 1, { a: '2' }]])];
    assert.equal(renderedBody(twoKinds, {}), undefined);
    const twoKindsInOneBatch = [
      batchOf('a', [
        [describeMetric('x', 'gauge'), 1, { a: '1' }],
        [describeMetric('x', 'counter'), 1, { a: '2' }],
      ]),
    ];
    assert.equal(renderedBody(twoKindsInOneBatch, {}), undefined);
    const twiceInOneBatch = [
      batchOf('a', [[GAUGE, 1, { e: '1' }]]),
      batchOf('b', [
        [GAUGE, 1, { e: '2' }],
        [GAUGE, 2, { e: '2' }],
      ]),
    ];
    assert.equal(renderedBody(twiceInOneBatch, {}), undefined);
    const sameSeries = [batchOf('a', [[GAUGE, 1, { e: '1', f: '2' }]]), batchOf('b', [[GAUGE, 2, { f: '2', e: '1' }]])];
    assert.equal(renderedBody(sameSeries, {}), undefined);
    // Once the colliding source is gone, the fast path is back.
    const snapshot = new RenderedSnapshot(new FragmentRenderer({ namespace: '', constantLabels: {} }));
    for (const batch of sameSeries) snapshot.put(batch);
    snapshot.forget(sameSeries[1]!.source);
    assert.equal(snapshot.assemble([])?.toString('utf8'), otelBody([sameSeries[0]!], {}));
  });
});
