/** PaletteSequence (src/internal/interning/palette.ts): the same objects place by place, few held, indices shared. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PaletteSequence } from '../../../src/internal/interning/palette.js';

const identity = (item: object): object => item;

describe('PaletteSequence', () => {
  it('gives back each place its object, holding each distinct object once, in order of first appearance', () => {
    const a = { endpoint: 'a' };
    const b = { endpoint: 'a', state: 'leading' };
    const items = [a, a, b, a, b, a];
    const sequence = PaletteSequence.of(items, identity);
    assert.equal(sequence.length, 6);
    for (let i = 0; i < items.length; i++) assert.equal(sequence.at(i), items[i]);
    assert.deepEqual(sequence.palette, [a, b]);
    assert.ok(Object.isFrozen(sequence.palette));
  });

  it('shares the indices of two sequences with the same pattern of different objects', () => {
    const first = { endpoint: 'a' };
    const second = { endpoint: 'b' };
    const extra = { endpoint: 'b', value: 'x' };
    const one = PaletteSequence.of([first, first, { ...first, value: 'x' }, first], identity);
    const other = PaletteSequence.of([second, second, extra, second], identity);
    assert.equal(one.indices, other.indices);
    assert.notEqual(PaletteSequence.of([second, extra, second, second], identity).indices, one.indices);
  });

  it('picks the objects out of the items', () => {
    const attributes = { endpoint: 'a' };
    const samples = [
      { attributes, value: 1 },
      { attributes, value: 2 },
    ];
    const sequence = PaletteSequence.of(samples, (sample) => sample.attributes);
    assert.equal(sequence.at(1), attributes);
    assert.equal(sequence.palette.length, 1);
  });

  it('is empty for no items', () => {
    const sequence = PaletteSequence.of([], identity);
    assert.equal(sequence.length, 0);
    assert.deepEqual(sequence.palette, []);
  });
});
