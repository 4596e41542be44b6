import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSourceGone, sourceGone, type PipelineItem } from '../../src/core/batch.js';
import type { Exporter } from '../../src/core/component.js';
import { createLogger } from '../../src/core/logger.js';
import { PipelineTail } from '../../src/core/pipeline-tail.js';
import { SourceLedger } from '../../src/core/source-ledger.js';
import { batchOf, GAUGE } from '../harness/batches.js';

/** An exporter noting `<name> <source> <samples|gone>`; `failing` throws on everything. */
function exporter(name: string, notes: string[], failing = false): Exporter {
  const note = (item: PipelineItem) => {
    if (failing) throw new Error(`${name} broke`);
    notes.push(`${name} ${item.source} ${isSourceGone(item) ? 'gone' : item.samples.length}`);
  };
  return { start: async () => {}, consume: note, forget: note, shutdown: async () => {} };
}

describe('PipelineTail', () => {
  it('hands batches and SourceGones to each exporter under <pipeline>|<source>, and observers see the same', () => {
    const notes: string[] = [];
    const tail = new PipelineTail(
      new SourceLedger(),
      createLogger('info', () => {}),
    );
    const observed: string[] = [];
    tail.observe((item, pipeline) => observed.push(`${pipeline} ${item.source} ${isSourceGone(item) ? 'gone' : 'batch'}`));
    const exporters = [exporter('one', notes), exporter('two', notes)];
    tail.deliver('metrics', exporters, batchOf('zookeeper|a:1', []));
    tail.deliver('metrics', exporters, sourceGone('zookeeper|a:1', 5));
    assert.deepEqual(notes, ['one metrics|zookeeper|a:1 0', 'two metrics|zookeeper|a:1 0', 'one metrics|zookeeper|a:1 gone', 'two metrics|zookeeper|a:1 gone']);
    assert.deepEqual(observed, ['metrics metrics|zookeeper|a:1 batch', 'metrics metrics|zookeeper|a:1 gone']);
  });

  it('a failing exporter or observer is logged; the others still get the item', () => {
    const notes: string[] = [];
    const logs: string[] = [];
    const tail = new PipelineTail(
      new SourceLedger(),
      createLogger('info', (line) => logs.push(line)),
    );
    tail.observe(() => assert.fail('observer broke'));
    tail.observe((item) => notes.push(`observer ${item.source}`));
    tail.deliver('metrics', [exporter('bad', notes, true), exporter('good', notes)], sourceGone('s', 5));
    assert.deepEqual(notes, ['good metrics|s gone', 'observer metrics|s']);
    assert.equal(logs.filter((line) => line.includes('exporter failed to forget a source') && line.includes('bad broke')).length, 1);
    assert.equal(logs.filter((line) => line.includes('a pipeline observer failed')).length, 1);
  });

  it('forgetStale: after a reload, each source not delivered again is gone from every exporter holding it, once; observers hear of a source no exporter holds any more', () => {
    const notes: string[] = [];
    const ledger = new SourceLedger();
    const tail = new PipelineTail(
      ledger,
      createLogger('info', () => {}),
    );
    const observed: string[] = [];
    tail.observe((item, pipeline) => observed.push(`${pipeline} ${item.source} ${isSourceGone(item) ? 'gone' : 'batch'}`));
    const [kept, other, retired] = [exporter('kept', notes), exporter('other', notes), exporter('retired', notes)];
    tail.deliver('metrics', [kept, other, retired], batchOf('a', [[GAUGE, 1]]));
    tail.deliver('metrics', [kept, other], batchOf('b', [[GAUGE, 1]]));
    tail.deliver('old', [kept], batchOf('a', [[GAUGE, 1]]));
    // A receiver's own SourceGone: nothing left to forget for that source.
    tail.deliver('metrics', [kept, other], sourceGone('b', 2));
    ledger.nextGeneration([kept, other]);
    tail.deliver('metrics', [kept], batchOf('a', [[GAUGE, 2]]));
    notes.length = 0;
    observed.length = 0;
    tail.forgetStale(10);
    assert.deepEqual(notes.sort(), ['kept old|a gone', 'other metrics|a gone'], 'the retired exporter is not told; a source delivered again stays');
    assert.deepEqual(observed, ['old old|a gone'], 'metrics|a is still exported by kept: the page keeps it');
    notes.length = 0;
    tail.forgetStale(11);
    assert.deepEqual(notes, [], 'told once');
  });
});
