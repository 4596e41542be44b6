import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff, BoundedQueue } from '../../../src/internal/exporterhelper/queue.js';

describe('exporterhelper sending queue', () => {
  it('drops the oldest entries past its capacity, never growing', () => {
    const queue = new BoundedQueue<number>(3);
    assert.deepEqual([queue.push(1), queue.push(2), queue.push(3)], [[], [], []]);
    assert.deepEqual(queue.push(4), [1]);
    assert.deepEqual(queue.push(5), [2]);
    assert.equal(queue.length, 3);
    assert.equal(queue.shift(), 3);
    assert.deepEqual(queue.drain(), [4, 5]);
    assert.equal(queue.length, 0);
    assert.throws(() => new BoundedQueue(0), RangeError);
  });

  it('puts a failed entry back at the head, and drops it when newer ones fill the queue', () => {
    const queue = new BoundedQueue<string>(2);
    queue.push('a');
    const inFlight = queue.shift()!;
    queue.push('b');
    assert.deepEqual(queue.unshift(inFlight), [], 'room left: it goes back first');
    assert.equal(queue.shift(), 'a');
    queue.push('c');
    assert.deepEqual(queue.unshift('a'), ['a'], 'full of newer snapshots: the failed one is the oldest and goes');
    assert.deepEqual(queue.drain(), ['b', 'c']);
  });
});

describe('exporterhelper retry backoff', () => {
  it('grows 1.5x per failure up to the maximum, with the jitter range of the Collector, and resets', () => {
    const low = new Backoff({ initialMs: 100, maxMs: 300 }, () => 0);
    assert.deepEqual([low.next(), low.next(), low.next(), low.next()], [50, 75, 113, 150], 'r=0: half of 100, 150, 225, 300');
    const high = new Backoff({ initialMs: 100, maxMs: 300 }, () => 1);
    assert.deepEqual([high.next(), high.next(), high.next(), high.next()], [150, 225, 338, 450], 'r=1: 1.5x of 100, 150, 225, 300');
    high.reset();
    assert.equal(high.next(), 150);
  });
});
