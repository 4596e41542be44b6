/**
 * Ensemble discovery: the members of the ensemble the seeds belong to, read from `/zookeeper/config` through one
 * ZooKeeper session and followed through a watch, so `reconfig` additions and removals show without a restart.
 */
import zookeeper from 'node-zookeeper-client';
import { Observable } from 'rxjs';
import type { Logger } from '../../core/logger.js';
import { parseEnsembleConfig, type EnsembleMember } from './ensemble-config.js';
import { sameTargetList, uniqueTargets, type Target } from './target.js';

export const MEMBERSHIP_PATH = '/zookeeper/config';
/** Attributes of every target found by ensemble discovery. */
export const SERVER_ID_ATTRIBUTE = 'zk.server.id';
export const MEMBER_ROLE_ATTRIBUTE = 'zk.member.role';

/**
 * Opens the ZooKeeper client that reads the membership from the seeds. The default is node-zookeeper-client's
 * `createClient`; a receiver that needs TLS or authentication for the seed connection passes its own.
 */
export type SeedClientFactory = (connectString: string, options: Partial<zookeeper.Option>) => zookeeper.Client;

export interface EnsembleDiscoveryOptions {
  readonly logger: Logger;
  readonly createClient?: SeedClientFactory | undefined;
  /** Probe members on this port rather than the client port listed in `/zookeeper/config` (e.g. the secureClientPort). */
  readonly memberPort?: number | undefined;
  /** How long to wait for a first membership before probing the seeds themselves (default 3 s). */
  readonly fallbackAfterMs?: number;
}

const DEFAULT_FALLBACK_AFTER_MS = 3000;
const SESSION_TIMEOUT_MS = 10_000;
const SPIN_DELAY_MS = 1000;
const REOPEN_BACKOFF_MS = { first: 1000, max: 30_000 };

/**
 * The members of the seeds' ensemble, as targets carrying `zk.server.id` and `zk.member.role` (plus the attributes
 * of a seed with the same endpoint). Until a first membership is read — no seed answers, or a seed has no dynamic
 * config (ZooKeeper before 3.5, standalone) — the seeds themselves; once read, the last known membership is kept
 * while the seeds are unreachable. A list is emitted only when it changes.
 */
export function ensembleTargets(seedLists: Observable<readonly Target[]>, options: EnsembleDiscoveryOptions): Observable<readonly Target[]> {
  const createClient = options.createClient ?? zookeeper.createClient;
  const logger = options.logger;
  return new Observable<readonly Target[]>((subscriber) => {
    let seeds: readonly Target[] = [];
    let members: readonly EnsembleMember[] | undefined;
    let waitedForMembership = false;
    let emitted: readonly Target[] | undefined;
    let session: MembershipSession | undefined;
    let connectedTo = '';
    let reopenTimer: NodeJS.Timeout | undefined;
    let backoffMs = REOPEN_BACKOFF_MS.first;
    const notice = transitionLogger(logger);

    const emit = () => {
      const list = members ? membersAsTargets(members, seeds) : waitedForMembership ? seeds : undefined;
      if (!list || (emitted && sameTargetList(emitted, list))) return;
      emitted = list;
      subscriber.next(list);
    };
    const fallBack = (why: string) => {
      if (!members && seeds.length > 0) notice('fallback', 'warn', `ensemble discovery: ${why}; probing the seeds themselves until a membership is read`, { seeds: endpointsOf(seeds) });
      waitedForMembership = true;
      emit();
    };
    const fallbackTimer = setTimeout(() => fallBack('no seed answered yet'), options.fallbackAfterMs ?? DEFAULT_FALLBACK_AFTER_MS);

    const open = () => {
      clearTimeout(reopenTimer);
      session?.close();
      session = undefined;
      // Known members help find the ensemble again when the seeds themselves are gone.
      const servers = endpointsOf(uniqueTargets([...seeds, ...(members ?? []).map(memberTarget)]));
      connectedTo = endpointsOf(seeds);
      if (servers === '') return;
      session = new MembershipSession(createClient(servers, { sessionTimeout: SESSION_TIMEOUT_MS, spinDelay: SPIN_DELAY_MS, retries: 0 }), {
        membership: (text) => {
          backoffMs = REOPEN_BACKOFF_MS.first;
          const parsed = parseEnsembleConfig(text, { memberPort: options.memberPort });
          for (const problem of parsed.problems) notice(`problem:${problem}`, 'warn', 'ensemble discovery: ignored a line of /zookeeper/config', { problem });
          if (parsed.members.length === 0) {
            members = undefined;
            fallBack(`${MEMBERSHIP_PATH} lists no members (ZooKeeper before 3.5, or standalone)`);
            return;
          }
          const changed = !members || members.map(describeMember).join() !== parsed.members.map(describeMember).join();
          members = parsed.members;
          if (changed) logger.info('ensemble membership', { version: parsed.version, members: parsed.members.map(describeMember).join(', ') });
          notice('connected', 'info', 'ensemble discovery: reading the membership from the seeds');
          emit();
        },
        noMembership: (why) => {
          members = undefined;
          fallBack(why);
        },
        disconnected: () => {
          if (members) notice('disconnected', 'warn', 'ensemble discovery: lost the connection to the seeds; keeping the last known membership');
        },
        lost: (why) => {
          notice(`lost:${why}`, 'warn', `ensemble discovery: ${why}; reconnecting`, { retry_in_ms: backoffMs });
          session?.close();
          session = undefined;
          reopenTimer = setTimeout(open, backoffMs);
          backoffMs = Math.min(backoffMs * 2, REOPEN_BACKOFF_MS.max);
        },
      });
    };

    const seedSubscription = seedLists.subscribe({
      next: (list) => {
        seeds = list;
        if (endpointsOf(list) !== connectedTo || (!session && !reopenTimer)) open();
        emit();
      },
      error: (error: unknown) => subscriber.error(error),
    });
    return () => {
      seedSubscription.unsubscribe();
      clearTimeout(fallbackTimer);
      clearTimeout(reopenTimer);
      session?.close();
    };
  });
}

function memberTarget(member: EnsembleMember): Target {
  return { endpoint: member.endpoint, attributes: {} };
}

function membersAsTargets(members: readonly EnsembleMember[], seeds: readonly Target[]): readonly Target[] {
  const seedAttributes = new Map(seeds.map((seed) => [seed.endpoint, seed.attributes]));
  return uniqueTargets(
    members.map((member) =>
      Object.freeze({
        endpoint: member.endpoint,
        attributes: Object.freeze({ ...seedAttributes.get(member.endpoint), [SERVER_ID_ATTRIBUTE]: member.id, [MEMBER_ROLE_ATTRIBUTE]: member.role }),
      }),
    ),
  );
}

function describeMember(member: EnsembleMember): string {
  return `${member.id}=${member.endpoint}/${member.role}`;
}

function endpointsOf(targets: readonly Target[]): string {
  return targets.map((target) => target.endpoint).join(',');
}

/** Logs a state once until another state is logged, so a flapping seed does not flood the log. */
function transitionLogger(logger: Logger) {
  let last: string | undefined;
  return (state: string, level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => {
    if (state === last) return;
    last = state;
    logger[level](msg, fields);
  };
}

interface MembershipEvents {
  membership(configText: string): void;
  noMembership(why: string): void;
  disconnected(): void;
  /** The session is over (expired, authentication failed): open a new one. */
  lost(why: string): void;
}

/** One client session that reads `/zookeeper/config` on every (re)connection and whenever its watch fires. */
class MembershipSession {
  private closed = false;
  /** One function for every read, so the client registers the watch once. */
  private readonly watcher = () => this.read();

  constructor(
    private readonly client: zookeeper.Client,
    private readonly events: MembershipEvents,
  ) {
    client.on('state', (state) => {
      if (this.closed) return;
      if (state === zookeeper.State.SYNC_CONNECTED) this.read();
      else if (state === zookeeper.State.DISCONNECTED) events.disconnected();
      else if (state === zookeeper.State.EXPIRED) events.lost('the seed session expired');
      else if (state === zookeeper.State.AUTH_FAILED) events.lost('authentication to the seeds failed');
    });
    client.connect();
  }

  private read(): void {
    if (this.closed) return;
    this.client.getData(MEMBERSHIP_PATH, this.watcher, (error, data) => {
      if (this.closed) return;
      if (!error) this.events.membership(data?.toString('utf8') ?? '');
      else if (error instanceof zookeeper.Exception && error.getCode() === zookeeper.Exception.NO_NODE) this.events.noMembership(`the seeds have no ${MEMBERSHIP_PATH} (ZooKeeper before 3.5)`);
      // A lost connection is read again on reconnection; anything else is worth a retry by a new session.
      else if (!(error instanceof zookeeper.Exception && error.getCode() === zookeeper.Exception.CONNECTION_LOSS)) this.events.lost(`reading ${MEMBERSHIP_PATH} failed: ${String(error)}`);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.removeAllListeners('state');
    closeClient(this.client);
  }
}

/**
 * node-zookeeper-client's close() sends CLOSE_SESSION, but a reconnection already scheduled (the spin delay between
 * attempts to dead servers) would start connecting again afterwards, forever: stop that, and drop the socket if
 * the server does not close it.
 */
function closeClient(client: zookeeper.Client): void {
  client.close();
  const manager = (client as unknown as { connectionManager?: { connect: () => void; socket?: { destroy(): void } } }).connectionManager;
  if (!manager) return;
  manager.connect = () => {};
  setTimeout(() => manager.socket?.destroy(), 1000).unref();
}
