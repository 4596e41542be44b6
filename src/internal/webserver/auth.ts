/**
 * HTTP basic auth against bcrypt hashes, as exporter-toolkit does it: without timing leaks, and without a bcrypt
 * per scrape.
 * - The user name is compared with every configured one in constant time (SHA-256 digests, `timingSafeEqual`,
 *   no early exit), and an unknown user still costs one bcrypt comparison, against a dummy hash of the usual cost.
 * - Successful (user, password) pairs are remembered by a SHA-256 of the pair, so a scraper that authenticated
 *   once is checked by a hash lookup. Failures are never cached: each one costs a bcrypt.
 * - bcrypt comparisons run one at a time (exporter-toolkit's mutex), so a flood of bad passwords costs one core.
 */
import bcrypt from 'bcryptjs';
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { bcryptCost } from './web-config.js';

export type BcryptCompare = (password: string, hash: string) => Promise<boolean>;

/** Successful pairs remembered at most; the oldest goes first. */
const CACHE_SIZE = 100;
const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export class BasicAuth {
  private readonly users: readonly { readonly digest: Buffer; readonly hash: string }[];
  private readonly dummyHash: string;
  private readonly verified = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();

  /** `users`: user → bcrypt hash. `compare` is bcryptjs's unless a test counts the calls. */
  constructor(users: ReadonlyMap<string, string>, private readonly compare: BcryptCompare = bcrypt.compare) {
    this.users = [...users].map(([user, hash]) => ({ digest: sha256(user), hash }));
    this.dummyHash = dummyHash(mostCommonCost([...users.values()]));
  }

  /** Whether the `Authorization` header carries the right password of a configured user. */
  async check(authorization: string | undefined): Promise<boolean> {
    const credentials = parseBasic(authorization);
    if (!credentials) return false;
    const hash = this.lookup(credentials.user);
    const key = sha256(`${credentials.user.length}:${credentials.user}:${credentials.password}`).toString('hex');
    if (this.verified.has(key)) return true;
    const matches = await this.serially(() => this.compare(credentials.password, hash ?? this.dummyHash));
    if (!matches || hash === undefined) return false;
    this.verified.add(key);
    if (this.verified.size > CACHE_SIZE) this.verified.delete(this.verified.values().next().value!);
    return true;
  }

  /** The hash of `user`, looked up without revealing by timing whether or where it exists. */
  private lookup(user: string): string | undefined {
    const digest = sha256(user);
    let found: string | undefined;
    for (const entry of this.users) {
      const same = timingSafeEqual(entry.digest, digest);
      found = same ? entry.hash : found;
    }
    return found;
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task, task);
    this.queue = result.catch(() => {});
    return result;
  }
}

/** `Basic base64(user:password)`; the scheme is case-insensitive and the password may contain ":". */
export function parseBasic(authorization: string | undefined): { user: string; password: string } | undefined {
  const match = /^\s*basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function mostCommonCost(hashes: readonly string[]): number {
  const counts = new Map<number, number>();
  for (const hash of hashes) {
    const cost = bcryptCost(hash);
    if (cost !== undefined) counts.set(cost, (counts.get(cost) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0] ?? 10;
}

/** A well-formed hash of nothing anyone knows: comparing against it costs what a real user's comparison costs. */
function dummyHash(cost: number): string {
  let saltAndHash = '';
  for (let i = 0; i < 53; i++) saltAndHash += BCRYPT_ALPHABET[randomInt(64)];
  return `$2b$${String(cost).padStart(2, '0')}$${saltAndHash}`;
}
