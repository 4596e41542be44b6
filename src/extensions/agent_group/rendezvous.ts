/**
 * Rendezvous (highest random weight) hashing: a key belongs to the member with the highest hash of (member, key).
 * Every agent computes the same owner from the same member list, with no leader and no messages; when a member
 * leaves only its keys move, and a member that joins takes about 1/N of the keys from the others.
 */
import { createHash } from 'node:crypto';

function weight(member: string, key: string): bigint {
  return createHash('sha256').update(member).update('\u0000').update(key).digest().readBigUInt64BE(0);
}

/** The owner of `key` among `members` (undefined when there are none); ties go to the smaller member id. */
export function rendezvousOwner(key: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = -1n;
  for (const member of members) {
    const w = weight(member, key);
    if (w > bestWeight || (w === bestWeight && best !== undefined && member < best)) {
      best = member;
      bestWeight = w;
    }
  }
  return best;
}
