import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeMetric, type Batch } from '../../../src/core/batch.js';
import { CompactSnapshotStore } from '../../../src/internal/exporterhelper/snapshot.js';
import { batchOf, COUNTER, GAUGE } from '../../harness/batches.js';

const HISTOGRAM = describeMetric('test.wait.seconds', 'histogram', { unit: 's' });
const A = Object.freeze({ node: 'a' });
const B = Object.freeze({ node: 'b' });

describe('CompactSnapshotStore', () => {
  it('gives back the latest batch of every source, in the order sources first came; an empty batch forgets one', () => {
    const store = new CompactSnapshotStore();
    const histogram = { boundaries: [1], counts: [2, 1], sum: 3.5, count: 3 };
    const first: Batch = { source: 'a', timeMs: 10, startTimeMs: 5, samples: [{ metric: GAUGE, attributes: A, value: 1.5 }, { metric: HISTOGRAM, attributes: A, value: 3, histogram }] };
    store.put(first);
    store.put(batchOf('b', [[COUNTER, 7, B]], 20));
    store.put(batchOf('c', [[GAUGE, 1, {}]], 30));
    store.put(batchOf('c', []));
    const [a, b, ...rest] = [...store.batches()];
    assert.deepEqual(a, first);
    assert.deepEqual(b, { source: 'b', timeMs: 20, startTimeMs: -980, samples: [{ metric: COUNTER, attributes: B, value: 7 }] });
    assert.deepEqual(rest, []);
  });

  it('a batch with the same series in the same order writes its values in place; other series replace the layout', () => {
    const store = new CompactSnapshotStore();
    const kept = store.put(batchOf('a', [[GAUGE, 1, A], [COUNTER, 2, A]], 100))!;
    const again = store.put(batchOf('a', [[GAUGE, 3, A], [COUNTER, 4, A]], 200))!;
    assert.equal(again.values, kept.values);
    assert.equal(again.layout, kept.layout);
    assert.deepEqual([...store.batches()][0]!.samples.map((sample) => sample.value), [3, 4]);
    assert.equal([...store.batches()][0]!.timeMs, 200);
    const other = store.put(batchOf('a', [[GAUGE, 5, B]], 300))!;
    assert.notEqual(other.layout, kept.layout);
    assert.deepEqual([...store.batches()][0]!.samples, [{ metric: GAUGE, attributes: B, value: 5 }]);
  });
});
