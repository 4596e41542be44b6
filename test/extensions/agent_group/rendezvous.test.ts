import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assignmentOf } from '../../../src/extensions/agent_group/extension.js';
import { rendezvousOwner } from '../../../src/extensions/agent_group/rendezvous.js';

const keys = Array.from({ length: 3000 }, (_, i) => `cluster-${i}`);
const ownersUnder = (members: string[]) => new Map(keys.map((key) => [key, rendezvousOwner(key, members)]));

describe('rendezvous hashing', () => {
  it('gives every key one owner, the same whatever the order of the member list', () => {
    const a = ownersUnder(['a', 'b', 'c']);
    const b = ownersUnder(['c', 'a', 'b']);
    assert.deepEqual(a, b);
    for (const owner of a.values()) assert.ok(owner === 'a' || owner === 'b' || owner === 'c');
    assert.equal(rendezvousOwner('x', []), undefined);
  });

  it('moves only the keys of a member that leaves, and about a fair share to one that joins', () => {
    const three = ownersUnder(['a', 'b', 'c']);
    const two = ownersUnder(['a', 'c']);
    for (const key of keys) if (three.get(key) !== 'b') assert.equal(two.get(key), three.get(key), `${key} stayed`);
    const four = ownersUnder(['a', 'b', 'c', 'd']);
    const moved = keys.filter((key) => four.get(key) !== three.get(key));
    assert.ok(
      moved.every((key) => four.get(key) === 'd'),
      'keys move only to the member that joined',
    );
    assert.ok(moved.length > 3000 / 4 / 2 && moved.length < (3000 / 4) * 2, `${moved.length} keys moved to the new member`);
  });

  it('an assignment owns exactly the keys rendezvous gives this member', () => {
    const assignment = assignmentOf('b', ['a', 'b', 'c']);
    for (const key of keys.slice(0, 300)) assert.equal(assignment.owns(key), rendezvousOwner(key, ['a', 'b', 'c']) === 'b');
  });
});
