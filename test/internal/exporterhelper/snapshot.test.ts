import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeMetric, type Batch } from '../../../src/core/batch.js';
import { CompactSnapshotStore, SnapshotStore } from '../../../src/internal/exporterhelper/snapshot.js';
import { parseMntr } from '../../../src/receivers/zookeeper/parse.js';
import { SampleMapper } from '../../../src/receivers/zookeeper/samples.js';
import { batchOf, COUNTER, GAUGE } from '../../harness/batches.js';
import { readMntrFixture } from '../../harness/fixtures.js';

const HISTOGRAM = describeMetric('test.wait.seconds', 'histogram', { unit: 's' });
const A = Object.freeze({ node: 'a' });
const B = Object.freeze({ node: 'b' });

const mntr = parseMntr(readMntrFixture('mntr-3.8.0-follower.txt'));

describe('CompactSnapshotStore', () => {
  it('gives back the latest batch of every source, in the order sources first came; an empty batch keeps its source, forget drops it', () => {
    const store = new CompactSnapshotStore();
    const histogram = { boundaries: [1], counts: [2, 1], sum: 3.5, count: 3 };
    const first: Batch = {
      source: 'a',
      timeMs: 10,
      startTimeMs: 5,
      samples: [
        { metric: GAUGE, attributes: A, value: 1.5 },
        { metric: HISTOGRAM, attributes: A, value: 3, histogram },
      ],
    };
    store.put(first);
    store.put(batchOf('b', [[COUNTER, 7, B]], 20));
    store.put(batchOf('c', [[GAUGE, 1, {}]], 30));
    store.put(batchOf('c', [], 40));
    const [a, b, c, ...rest] = [...store.batches()];
    assert.deepEqual(a, first);
    assert.deepEqual(b, { source: 'b', timeMs: 20, startTimeMs: -980, samples: [{ metric: COUNTER, attributes: B, value: 7 }] });
    assert.deepEqual([c?.source, c?.samples], ['c', []]);
    assert.deepEqual(rest, []);
    store.forget('c');
    store.forget('never-seen');
    assert.deepEqual(
      [...store.batches()].map((batch) => batch.source),
      ['a', 'b'],
    );
  });

  it('a batch with the same series in the same order writes its values in place; other series replace the layout', () => {
    const store = new CompactSnapshotStore();
    const kept = store.put(
      batchOf(
        'a',
        [
          [GAUGE, 1, A],
          [COUNTER, 2, A],
        ],
        100,
      ),
    )!;
    const again = store.put(
      batchOf(
        'a',
        [
          [GAUGE, 3, A],
          [COUNTER, 4, A],
        ],
        200,
      ),
    )!;
    assert.equal(again.values, kept.values);
    assert.equal(again.layout, kept.layout);
    assert.deepEqual(
      [...store.batches()][0]!.samples.map((sample) => sample.value),
      [3, 4],
    );
    assert.equal([...store.batches()][0]!.timeMs, 200);
    const other = store.put(batchOf('a', [[GAUGE, 5, B]], 300))!;
    assert.notEqual(other.layout, kept.layout);
    assert.deepEqual([...store.batches()][0]!.samples, [{ metric: GAUGE, attributes: B, value: 5 }]);
  });

  it('two targets of one version share their series layout but their attribute objects, a few per target', () => {
    const batchOfEndpoint = (endpoint: string): Batch => ({
      source: `zookeeper|${endpoint}`,
      timeMs: 1000,
      startTimeMs: 0,
      samples: new SampleMapper(Object.freeze({ 'zk.endpoint': endpoint })).toSamples({ replies: { mntr, ruok: true }, failures: [], durationMs: 1 }, 0),
    });
    const store = new CompactSnapshotStore();
    const one = store.put(batchOfEndpoint('10.0.0.1:2181'))!.layout;
    const other = store.put(batchOfEndpoint('10.0.0.2:2181'))!.layout;
    assert.ok(one.length > 400, `a 3.8 follower's series (${one.length})`);
    assert.equal(other.metrics, one.metrics);
    assert.equal(other.attributes.indices, one.attributes.indices);
    assert.ok(one.attributes.palette.length < 20, `a few attribute objects per target (${one.attributes.palette.length})`);
    assert.notEqual(other.attributes.palette[0], one.attributes.palette[0]);
    const [first, second] = [...store.batches()];
    assert.deepEqual(
      second!.samples.map((sample) => sample.attributes['zk.endpoint']),
      first!.samples.map(() => '10.0.0.2:2181'),
    );
  });
});

const held = (store: SnapshotStore) => [...store.batches()].map((batch) => `${batch.source}:${batch.samples.length}`);

describe('SnapshotStore', () => {
  it('keeps the latest batch per source, an empty one too, in order of first arrival; a forgotten source goes whole', () => {
    const store = new SnapshotStore();
    store.put(batchOf('a', [[GAUGE, 1]]));
    store.put(batchOf('b', [[GAUGE, 1]]));
    store.put(batchOf('a', []));
    assert.deepEqual(held(store), ['a:0', 'b:1'], 'an empty batch is a source with nothing to export, not a forgotten one');
    store.forget('a');
    store.forget('never-seen');
    assert.deepEqual(held(store), ['b:1']);
    store.put(batchOf('a', [[GAUGE, 2]]));
    assert.deepEqual(held(store), ['b:1', 'a:1']);
  });
});
