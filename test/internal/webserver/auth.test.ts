import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { BasicAuth, parseBasic } from '../../../src/internal/webserver/auth.js';
import { bcryptCost } from '../../../src/internal/webserver/web-config.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** bcryptjs's compare, counting the calls and remembering the hashes it was asked about. */
function countingCompare() {
  const hashes: string[] = [];
  const compare = async (password: string, hash: string) => {
    hashes.push(hash);
    return bcrypt.compare(password, hash);
  };
  return { compare, hashes };
}

describe('basic auth', () => {
  const alice = bcrypt.hashSync('alice-pw', 5);
  const bob = bcrypt.hashSync('bob-pw', 5);
  const users = new Map([['alice', alice], ['bob', bob]]);

  it('accepts the right password of a configured user only', async () => {
    const auth = new BasicAuth(users);
    assert.equal(await auth.check(basic('alice', 'alice-pw')), true);
    assert.equal(await auth.check(basic('bob', 'bob-pw')), true);
    for (const header of [basic('alice', 'bob-pw'), basic('alice', ''), basic('carol', 'alice-pw'), basic('', ''), undefined, '', 'Bearer x', 'Basic', 'Basic YWxpY2U=' /* no colon */]) {
      assert.equal(await auth.check(header), false, String(header));
    }
  });

  it('caches successes by a hash of (user, password): a scrape costs one bcrypt, the next ones none', async () => {
    const { compare, hashes } = countingCompare();
    const auth = new BasicAuth(users, compare);
    for (let i = 0; i < 5; i++) assert.equal(await auth.check(basic('alice', 'alice-pw')), true);
    assert.equal(hashes.length, 1);
    for (let i = 0; i < 3; i++) assert.equal(await auth.check(basic('alice', 'wrong')), false);
    assert.equal(hashes.length, 4, 'failures are never cached: each costs a bcrypt');
    assert.equal(await auth.check(basic('bob', 'bob-pw')), true);
    assert.equal(await auth.check(basic('bob', 'bob-pw')), true);
    assert.equal(hashes.length, 5);
  });

  it('an unknown user costs one bcrypt comparison against a dummy hash of the users\' cost', async () => {
    const { compare, hashes } = countingCompare();
    const auth = new BasicAuth(users, compare);
    assert.equal(await auth.check(basic('mallory', 'alice-pw')), false);
    assert.equal(await auth.check(basic('mallory', 'alice-pw')), false);
    assert.equal(hashes.length, 2, 'never cached either');
    assert.notEqual(hashes[0], alice);
    assert.notEqual(hashes[0], bob);
    assert.equal(bcryptCost(hashes[0]!), 5);
  });

  it('runs bcrypt comparisons one at a time', async () => {
    let running = 0;
    let most = 0;
    const auth = new BasicAuth(users, async (password, hash) => {
      most = Math.max(most, ++running);
      try {
        return await bcrypt.compare(password, hash);
      } finally {
        running--;
      }
    });
    const results = await Promise.all([basic('alice', 'x'), basic('bob', 'bob-pw'), basic('eve', 'y'), basic('alice', 'alice-pw')].map((header) => auth.check(header)));
    assert.deepEqual(results, [false, true, false, true]);
    assert.equal(most, 1);
  });

  it('parses the Authorization header as RFC 7617: case-insensitive scheme, password up to the end', () => {
    assert.deepEqual(parseBasic(basic('alice', 'a:b:c')), { user: 'alice', password: 'a:b:c' });
    assert.deepEqual(parseBasic(`bAsIc ${Buffer.from('u:p').toString('base64')}`), { user: 'u', password: 'p' });
    assert.deepEqual(parseBasic(basic('ünï', 'cödé')), { user: 'ünï', password: 'cödé' });
    assert.equal(parseBasic('Digest abc'), undefined);
  });
});
