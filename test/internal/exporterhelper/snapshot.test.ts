import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SnapshotStore } from '../../../src/internal/exporterhelper/snapshot.js';
import { batchOf, GAUGE } from '../../harness/batches.js';

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
