/**
 * HTTP basic auth against bcrypt hashes, as exporter-toolkit does it, hardened against login floods.
 * - The user name is compared with every configured one in constant time (SHA-256 digests, `timingSafeEqual`,
 *   no early exit), and an unknown user still costs one bcrypt comparison, against a dummy hash of the usual cost.
 * - Verified (user, password) pairs are remembered by a SHA-256 of the pair, so a scraper that authenticated once
 *   is checked by a hash lookup, before anything else: failed attempts never delay it. The memory is shared by
 *   every BasicAuth with the same users and hashes, so it survives a reload that does not change the web config.
 * - bcrypt runs on worker threads (BcryptPool), at most MAX_CONCURRENT at a time with at most MAX_WAITING waiting;
 *   beyond that the request is answered "busy" at once instead of joining an unbounded queue.
 * - Each client address may have at most MAX_IN_FLIGHT_PER_CLIENT comparisons running or waiting, and
 *   FAILURE_BURST failed logins, refilled at one per FAILURE_REFILL_MS: past that it is throttled (no bcrypt),
 *   so one flooding client cannot starve the others.
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { sharedBcryptPool } from './bcrypt-pool.js';
import { bcryptCost } from './web-config.js';

export type BcryptCompare = (password: string, hash: string) => Promise<boolean>;

/** `ok`: verified; `denied`: wrong or missing credentials (401); `throttled`: too many failures or attempts from this client (429); `busy`: the verification queue is full (503). */
export type AuthResult = 'ok' | 'denied' | 'throttled' | 'busy';

/** Verified pairs remembered per users set; the oldest goes first. */
const CACHE_SIZE = 100;
/** Users sets whose verified pairs are remembered (a reload back and forth keeps both). */
const CACHES_KEPT = 8;
export const MAX_CONCURRENT = 2;
export const MAX_WAITING = 32;
export const MAX_IN_FLIGHT_PER_CLIENT = 2;
export const FAILURE_BURST = 10;
export const FAILURE_REFILL_MS = 6000;
/** Client addresses tracked at most; the oldest entry goes first. */
const CLIENTS_TRACKED = 10_000;
const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const verifiedCaches = new Map<string, Set<string>>();

export interface BasicAuthOptions {
  /** bcrypt comparison; default: the process's worker pool. Tests pass one that counts. */
  readonly compare?: BcryptCompare;
  /** Failure budget per client; default: shared by the process. */
  readonly limiter?: FailureLimiter;
}

export class BasicAuth {
  private readonly users: readonly { readonly digest: Buffer; readonly hash: string }[];
  private readonly dummyHash: string;
  private readonly verified: Set<string>;
  private readonly compare: BcryptCompare;
  private readonly limiter: FailureLimiter;
  private readonly gate = new Gate(MAX_CONCURRENT, MAX_WAITING);
  private readonly inFlight = new Map<string, number>();

  /** `users`: user → bcrypt hash. */
  constructor(users: ReadonlyMap<string, string>, options: BasicAuthOptions = {}) {
    this.users = [...users].map(([user, hash]) => ({ digest: sha256(user), hash }));
    this.dummyHash = dummyHash(mostCommonCost([...users.values()]));
    this.verified = verifiedCache(users);
    this.compare = options.compare ?? ((password, hash) => sharedBcryptPool().compare(password, hash));
    this.limiter = options.limiter ?? sharedLimiter;
  }

  /** Whether the `Authorization` header carries the right password of a configured user. */
  async check(authorization: string | undefined, client = ''): Promise<boolean> {
    return (await this.authorize(authorization, client)) === 'ok';
  }

  async authorize(authorization: string | undefined, client = ''): Promise<AuthResult> {
    const credentials = parseBasic(authorization);
    if (!credentials) return 'denied';
    const key = sha256(`${credentials.user.length}:${credentials.user}:${credentials.password}`).toString('hex');
    if (this.verified.has(key)) return 'ok';
    if (this.limiter.exhausted(client) || (this.inFlight.get(client) ?? 0) >= MAX_IN_FLIGHT_PER_CLIENT) return 'throttled';
    const hash = this.lookup(credentials.user);
    this.inFlight.set(client, (this.inFlight.get(client) ?? 0) + 1);
    let matches: boolean | undefined;
    try {
      matches = await this.gate.run(() => this.compare(credentials.password, hash ?? this.dummyHash));
    } finally {
      const left = this.inFlight.get(client)! - 1;
      if (left === 0) this.inFlight.delete(client);
      else this.inFlight.set(client, left);
    }
    if (matches === undefined) return 'busy';
    if (!matches || hash === undefined) {
      this.limiter.failed(client);
      return 'denied';
    }
    this.verified.add(key);
    if (this.verified.size > CACHE_SIZE) this.verified.delete(this.verified.values().next().value!);
    return 'ok';
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
}

/** Failed logins per client address: a token bucket of FAILURE_BURST, refilled at one per FAILURE_REFILL_MS. */
export class FailureLimiter {
  private readonly clients = new Map<string, { tokens: number; atMs: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  exhausted(client: string): boolean {
    const bucket = this.refill(client);
    return bucket !== undefined && bucket.tokens < 1;
  }

  failed(client: string): void {
    const bucket = this.refill(client) ?? { tokens: FAILURE_BURST, atMs: this.now() };
    bucket.tokens -= 1;
    this.clients.delete(client);
    this.clients.set(client, bucket);
    if (this.clients.size > CLIENTS_TRACKED) this.clients.delete(this.clients.keys().next().value!);
  }

  private refill(client: string): { tokens: number; atMs: number } | undefined {
    const bucket = this.clients.get(client);
    if (!bucket) return undefined;
    const now = this.now();
    bucket.tokens = Math.min(FAILURE_BURST, bucket.tokens + (now - bucket.atMs) / FAILURE_REFILL_MS);
    bucket.atMs = now;
    if (bucket.tokens >= FAILURE_BURST) this.clients.delete(client);
    return bucket;
  }
}

const sharedLimiter = new FailureLimiter();

/** At most `concurrency` tasks at once and `waiting` queued; `run` resolves undefined at once when the queue is full. */
class Gate {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly waiting: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T | undefined> {
    if (this.running >= this.concurrency) {
      if (this.queue.length >= this.waiting) return undefined;
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** The verified pairs of this exact users set (names and hashes), shared across BasicAuth instances. */
function verifiedCache(users: ReadonlyMap<string, string>): Set<string> {
  const digest = sha256(JSON.stringify([...users].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))).toString('hex');
  let cache = verifiedCaches.get(digest);
  if (cache) verifiedCaches.delete(digest);
  else cache = new Set();
  verifiedCaches.set(digest, cache);
  if (verifiedCaches.size > CACHES_KEPT) verifiedCaches.delete(verifiedCaches.keys().next().value!);
  return cache;
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
