import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import {
  BasicAuth,
  FAILURE_BURST,
  FAILURE_REFILL_MS,
  FailureLimiter,
  MAX_CONCURRENT,
  MAX_IN_FLIGHT_PER_CLIENT,
  MAX_WAITING,
  parseBasic,
} from '../../../src/internal/webserver/auth.js';
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
  // Verified credentials are remembered per users set for the whole process: each test gets hashes of its own.
  let alice = '';
  let bob = '';
  let users = new Map<string, string>();
  beforeEach(() => {
    alice = bcrypt.hashSync('alice-pw', 5);
    bob = bcrypt.hashSync('bob-pw', 5);
    users = new Map([
      ['alice', alice],
      ['bob', bob],
    ]);
  });

  it('accepts the right password of a configured user only', async () => {
    const auth = new BasicAuth(users);
    assert.equal(await auth.check(basic('alice', 'alice-pw')), true);
    assert.equal(await auth.check(basic('bob', 'bob-pw')), true);
    for (const header of [
      basic('alice', 'bob-pw'),
      basic('alice', ''),
      basic('carol', 'alice-pw'),
      basic('', ''),
      undefined,
      '',
      'Bearer x',
      'Basic',
      'Basic YWxpY2U=' /* no colon */,
    ]) {
      assert.equal(await auth.check(header), false, String(header));
    }
  });

  it('caches successes by a hash of (user, password): a scrape costs one bcrypt, the next ones none', async () => {
    const { compare, hashes } = countingCompare();
    const auth = new BasicAuth(users, { compare, limiter: new FailureLimiter() });
    for (let i = 0; i < 5; i++) assert.equal(await auth.check(basic('alice', 'alice-pw')), true);
    assert.equal(hashes.length, 1);
    for (let i = 0; i < 3; i++) assert.equal(await auth.check(basic('alice', 'wrong')), false);
    assert.equal(hashes.length, 4, 'failures are never cached: each costs a bcrypt');
    assert.equal(await auth.check(basic('bob', 'bob-pw')), true);
    assert.equal(await auth.check(basic('bob', 'bob-pw')), true);
    assert.equal(hashes.length, 5);
  });

  it("an unknown user costs one bcrypt comparison against a dummy hash of the users' cost", async () => {
    const { compare, hashes } = countingCompare();
    const auth = new BasicAuth(users, { compare, limiter: new FailureLimiter() });
    assert.equal(await auth.check(basic('mallory', 'alice-pw')), false);
    assert.equal(await auth.check(basic('mallory', 'alice-pw')), false);
    assert.equal(hashes.length, 2, 'never cached either');
    assert.notEqual(hashes[0], alice);
    assert.notEqual(hashes[0], bob);
    assert.equal(bcryptCost(hashes[0]!), 5);
  });

  it(`runs at most ${MAX_CONCURRENT} bcrypt comparisons at a time`, async () => {
    let running = 0;
    let most = 0;
    const auth = new BasicAuth(users, {
      limiter: new FailureLimiter(),
      compare: async (password, hash) => {
        most = Math.max(most, ++running);
        try {
          return await bcrypt.compare(password, hash);
        } finally {
          running--;
        }
      },
    });
    const results = await Promise.all(
      [basic('alice', 'x'), basic('bob', 'bob-pw'), basic('eve', 'y'), basic('alice', 'alice-pw')].map((header, i) => auth.check(header, `client-${i}`)),
    );
    assert.deepEqual(results, [false, true, false, true]);
    assert.equal(most, MAX_CONCURRENT);
  });

  it('parses the Authorization header as RFC 7617: case-insensitive scheme, password up to the end', () => {
    assert.deepEqual(parseBasic(basic('alice', 'a:b:c')), { user: 'alice', password: 'a:b:c' });
    assert.deepEqual(parseBasic(`bAsIc ${Buffer.from('u:p').toString('base64')}`), { user: 'u', password: 'p' });
    assert.deepEqual(parseBasic(basic('ünï', 'cödé')), { user: 'ünï', password: 'cödé' });
    assert.equal(parseBasic('Digest abc'), undefined);
  });

  it("a flood of wrong passwords from one address cannot delay another client's first login", async () => {
    let comparisons = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    // Comparisons hang until released, as a saturated bcrypt would: what matters is who is let in the queue.
    const auth = new BasicAuth(users, {
      limiter: new FailureLimiter(),
      compare: async (password, hash) => {
        comparisons++;
        await gate;
        return bcrypt.compare(password, hash);
      },
    });
    const flood = Array.from({ length: 300 }, () => auth.authorize(basic('alice', 'wrong'), '10.0.0.66'));
    const good = auth.authorize(basic('bob', 'bob-pw'), '10.0.0.7');
    assert.equal(comparisons, MAX_IN_FLIGHT_PER_CLIENT, 'the flooding address gets only its own share; the good login is queued right behind');
    release();
    assert.equal(await good, 'ok');
    const results = await Promise.all(flood);
    assert.equal(results.filter((result) => result === 'throttled').length, 300 - MAX_IN_FLIGHT_PER_CLIENT);
    assert.equal(comparisons, MAX_IN_FLIGHT_PER_CLIENT + 1);
  });

  it(`throttles an address after ${FAILURE_BURST} failed logins, refills over time, and never throttles a verified credential`, async () => {
    let now = 0;
    const limiter = new FailureLimiter(() => now);
    const { compare, hashes } = countingCompare();
    const auth = new BasicAuth(users, { compare, limiter });
    assert.equal(await auth.authorize(basic('alice', 'alice-pw'), 'a'), 'ok');
    for (let i = 0; i < FAILURE_BURST; i++) assert.equal(await auth.authorize(basic('alice', 'nope'), 'a'), 'denied');
    assert.equal(await auth.authorize(basic('alice', 'nope'), 'a'), 'throttled');
    assert.equal(await auth.authorize(basic('bob', 'bob-pw'), 'a'), 'throttled', 'a new credential from a throttled address waits too');
    assert.equal(await auth.authorize(basic('alice', 'alice-pw'), 'a'), 'ok', 'the cached good credential is never delayed');
    assert.equal(await auth.authorize(basic('bob', 'bob-pw'), 'b'), 'ok', 'other addresses are not affected');
    assert.equal(hashes.length, 1 + FAILURE_BURST + 1, 'throttled attempts cost no bcrypt');
    now += FAILURE_REFILL_MS;
    assert.equal(await auth.authorize(basic('bob', 'bob-pw'), 'a'), 'ok', 'one failure refilled');
  });

  it(`answers busy at once when ${MAX_WAITING} comparisons already wait`, async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const auth = new BasicAuth(users, {
      limiter: new FailureLimiter(),
      compare: async () => {
        await gate;
        return false;
      },
    });
    const queued = Array.from({ length: MAX_CONCURRENT + MAX_WAITING }, (_, i) => auth.authorize(basic('alice', 'x'), `c${i}`));
    assert.equal(await auth.authorize(basic('alice', 'x'), 'late'), 'busy');
    release();
    assert.ok((await Promise.all(queued)).every((result) => result === 'denied'));
  });

  it('keeps verified credentials across a reload that does not change the users', async () => {
    const { compare, hashes } = countingCompare();
    const limiter = new FailureLimiter();
    const loaded = new Map([['carol', bcrypt.hashSync('carol-pw', 4)]]);
    assert.equal(await new BasicAuth(loaded, { compare, limiter }).check(basic('carol', 'carol-pw')), true);
    assert.equal(await new BasicAuth(new Map(loaded), { compare, limiter }).check(basic('carol', 'carol-pw')), true);
    assert.equal(hashes.length, 1, 'the reloaded web config reuses the verified pair');
    const changed = new Map([['carol', bcrypt.hashSync('carol-pw', 4)]]);
    assert.equal(await new BasicAuth(changed, { compare, limiter }).check(basic('carol', 'carol-pw')), true);
    assert.equal(hashes.length, 2, 'a changed hash verifies again');
  });

  it('verifies on worker threads: the event loop keeps turning during a slow bcrypt', async () => {
    const slow = new Map([['dave', bcrypt.hashSync('dave-pw', 12)]]);
    const auth = new BasicAuth(slow, { limiter: new FailureLimiter() });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    try {
      assert.equal(await auth.check(basic('dave', 'dave-pw'), 'w'), true);
    } finally {
      clearInterval(ticker);
    }
    // Cost 12 takes a few hundred ms; on the event loop not one tick would run until it is done.
    assert.ok(ticks >= 5, `only ${ticks} ticks during the comparison`);
  });
});
