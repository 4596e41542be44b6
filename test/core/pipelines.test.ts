import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { map, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { isSourceGone, sourceGone, type Batch, type PipelineItem } from '../../src/core/batch.js';
import { batchesThrough } from '../../src/core/pipelines.js';
import { batchOf, GAUGE } from '../harness/batches.js';

const testScheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

describe('batchesThrough', () => {
  it('runs batches through the stages in turn and passes SourceGones around them, in their place', () => {
    const seen: string[] = [];
    const stage = (name: string): OperatorFunction<Batch, Batch> =>
      map((batch) => {
        seen.push(`${name} ${batch.source}`);
        return { ...batch, source: `${batch.source}+${name}` };
      });
    const a = batchOf('a', [[GAUGE, 1]], 0);
    const gone = sourceGone('a', 1);
    const b = batchOf('b', [], 2);
    testScheduler().run(({ cold, expectObservable }) => {
      const items = cold<PipelineItem>('a-g-(bg)|', { a, g: gone, b });
      expectObservable(items.pipe(batchesThrough([stage('one'), stage('two')]))).toBe('a-g-(bg)|', {
        a: { ...a, source: 'a+one+two' },
        g: gone,
        b: { ...b, source: 'b+one+two' },
      });
    });
    assert.deepEqual(seen, ['one a', 'two a+one', 'one b', 'two b+one'], 'stages see batches only, an empty one included');
  });

  it('an error in a stage ends the stream with it (the pipeline then resubscribes)', () => {
    const failing: OperatorFunction<Batch, Batch> = map(() => {
      throw new Error('stage failed');
    });
    testScheduler().run(({ cold, expectObservable }) => {
      const items = cold<PipelineItem>('g-a|', { g: sourceGone('a', 1), a: batchOf('a', [], 0) });
      expectObservable(items.pipe(batchesThrough([failing]))).toBe('g-#', { g: sourceGone('a', 1) }, new Error('stage failed'));
    });
  });

  it('no stage: everything passes as it came', () => {
    const items: PipelineItem[] = [batchOf('a', [], 0), sourceGone('a', 1)];
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<PipelineItem>('ag|', { a: items[0]!, g: items[1]! }).pipe(batchesThrough([]))).toBe('ag|', { a: items[0]!, g: items[1]! });
    });
    assert.ok(isSourceGone(items[1]!));
  });
});
