import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { SequenceInterner } from '../../../src/internal/interning/sequences.js';
import { collectGarbage } from '../../harness/heap.js';

describe('SequenceInterner', () => {
  it('gives every equal sequence the same frozen array, and different ones their own', () => {
    const interner = new SequenceInterner();
    const a = { name: 'a' };
    const b = { name: 'b' };
    const first = interner.intern([a, b, 'x']);
    assert.equal(interner.intern([a, b, 'x']), first);
    assert.equal(interner.intern(['x', a, b].slice(1).concat('x')), first);
    assert.ok(Object.isFrozen(first));
    assert.deepEqual(first, [a, b, 'x']);
    // Items compare by identity: an equal-looking object is another item; strings compare by value.
    assert.notEqual(interner.intern([a, { name: 'b' }, 'x']), first);
    assert.notEqual(interner.intern([b, a, 'x']), first);
    assert.notEqual(interner.intern([a, b]), first);
    assert.equal(interner.intern(['x', `${'x'}y`.slice(0, 1)]), interner.intern(['x', 'x']));
    assert.equal(interner.intern([]), interner.intern([]));
    assert.equal(interner.intern([a, undefined]), interner.intern([a, undefined]));
    assert.notEqual(interner.intern([a, undefined]), interner.intern([a, null]));
  });

  it('does not change or keep the array it was given', () => {
    const interner = new SequenceInterner();
    const given = ['p', 'q'];
    const shared = interner.intern(given);
    assert.notEqual(shared, given);
    given.push('r');
    assert.deepEqual(shared, ['p', 'q']);
    assert.ok(!Object.isFrozen(given));
  });

  it('lets a sequence nobody holds any more be collected', async () => {
    const interner = new SequenceInterner();
    let held: readonly string[] | undefined = interner.intern(['kept']);
    const dropped = () => interner.intern(['dropped', 'soon']);
    dropped();
    assert.equal(interner.size, 2);
    // A WeakRef keeps its target alive until the end of the job that made or read it: collect in a later one.
    let size = 2;
    for (let attempt = 0; attempt < 20 && size > 1; attempt++) {
      await nextTurn();
      collectGarbage();
      size = interner.size;
    }
    assert.equal(size, 1);
    assert.equal(interner.intern(['kept']), held);
    held = undefined;
  });
});
