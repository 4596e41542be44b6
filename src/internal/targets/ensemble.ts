/**
 * Ensemble discovery: the members of the ensemble the seeds belong to, read from `/zookeeper/config` through one
 * ZooKeeper session and followed through a watch, so `reconfig` additions and removals show without a restart.
 */
import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { Logger } from '../../core/logger.js';
import { clientFactory, ZkError, type ClientFactory, type ZkClient } from '../zkclient/client.js';
import type { DiscoveryConfig } from './config.js';
import { parseEnsembleConfig, type EnsembleMember } from './ensemble-config.js';
import { META_LABELS, sameTargetList, uniqueTargets, type Target } from './target.js';

export const MEMBERSHIP_PATH = '/zookeeper/config';
/** Attributes of every target found by ensemble discovery. */
export const SERVER_ID_ATTRIBUTE = 'zk.server.id';
export const MEMBER_ROLE_ATTRIBUTE = 'zk.member.role';

/**
 * Opens the ZooKeeper client that reads the membership from the seeds: the receiver's own {@link clientFactory},
 * so the seeds are reached with its TLS and credentials (default: plain TCP, no credentials).
 */
export type SeedClientFactory = (...args: Parameters<ClientFactory>) => SeedClient;

/** The part of {@link ZkClient} the membership session uses (tests script it). */
export type SeedClient = Pick<ZkClient, 'connect' | 'getData' | 'close'>;

/**
 * Members list only their plain client port in `/zookeeper/config`: a receiver that speaks TLS to the seeds needs
 * `member_port` (the members' secureClientPort) to reach the members too. The message for config validation.
 */
export function tlsEnsembleProblem(tls: unknown, discovery: DiscoveryConfig | undefined): string | undefined {
  if (tls === undefined || !discovery?.ensemble || discovery.member_port !== undefined) return undefined;
  return "tls with discovery.ensemble needs discovery.member_port (the members' secureClientPort): /zookeeper/config lists only their plain client port";
}

export interface EnsembleDiscoveryOptions {
  readonly logger: Logger;
  readonly createClient?: SeedClientFactory | undefined;
  /** Probe members on this port rather than the client port listed in `/zookeeper/config` (e.g. the secureClientPort). */
  readonly memberPort?: number | undefined;
  /** How long to wait for a first membership before probing the seeds themselves (default 3 s). */
  readonly fallbackAfterMs?: number;
  /** Time for the fallback and reconnection timers (default `asyncScheduler`). */
  readonly scheduler?: SchedulerLike | undefined;
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
  const createClient = options.createClient ?? clientFactory(undefined, undefined, options.scheduler);
  const logger = options.logger;
  return new Observable<readonly Target[]>((subscriber) => {
    let seeds: readonly Target[] = [];
    let members: readonly EnsembleMember[] | undefined;
    let waitedForMembership = false;
    let emitted: readonly Target[] | undefined;
    let session: MembershipSession | undefined;
    let connectedTo = '';
    let reopenTimer: Subscription | undefined;
    const scheduler = options.scheduler ?? asyncScheduler;
    let backoffMs = REOPEN_BACKOFF_MS.first;
    const notice = transitionLogger(logger);

    const emit = () => {
      const list = members ? membersAsTargets(members, seeds) : waitedForMembership ? seeds : undefined;
      if (!list || (emitted && sameTargetList(emitted, list))) return;
      emitted = list;
      subscriber.next(list);
    };
    const fallBack = (why: string) => {
      if (!members && seeds.length > 0)
        notice('fallback', 'warn', `ensemble discovery: ${why}; probing the seeds themselves until a membership is read`, { seeds: endpointsOf(seeds) });
      waitedForMembership = true;
      emit();
    };
    const fallbackTimer = scheduler.schedule(() => fallBack('no seed answered yet'), options.fallbackAfterMs ?? DEFAULT_FALLBACK_AFTER_MS);

    const open = () => {
      reopenTimer?.unsubscribe();
      reopenTimer = undefined;
      session?.close();
      session = undefined;
      // Known members help find the ensemble again when the seeds themselves are gone.
      const servers = uniqueTargets([...seeds, ...(members ?? []).map(memberTarget)]).map((target) => target.endpoint);
      connectedTo = endpointsOf(seeds);
      if (servers.length === 0) return;
      const lost = (why: string) => {
        notice(`lost:${why}`, 'warn', `ensemble discovery: ${why}; reconnecting`, { retry_in_ms: backoffMs });
        session?.close();
        session = undefined;
        reopenTimer = scheduler.schedule(open, backoffMs);
        backoffMs = Math.min(backoffMs * 2, REOPEN_BACKOFF_MS.max);
      };
      const openClient = (hooks: Parameters<ClientFactory>[1]) =>
        createClient({ endpoints: servers, sessionTimeoutMs: SESSION_TIMEOUT_MS, spinDelayMs: SPIN_DELAY_MS }, hooks);
      session = new MembershipSession(openClient, () => scheduler.now(), {
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
        lost,
        unexpected: (error) =>
          notice('unexpected', 'warn', 'ensemble discovery: the ZooKeeper client could not read a reply; connection dropped', {
            error: (error as Error)?.message ?? String(error),
          }),
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
      fallbackTimer.unsubscribe();
      reopenTimer?.unsubscribe();
      session?.close();
    };
  });
}

function memberTarget(member: EnsembleMember): Target {
  return { endpoint: member.endpoint, attributes: {} };
}

function membersAsTargets(members: readonly EnsembleMember[], seeds: readonly Target[]): readonly Target[] {
  const seedsByEndpoint = new Map(seeds.map((seed) => [seed.endpoint, seed]));
  return uniqueTargets(
    members.map((member) => {
      const seed = seedsByEndpoint.get(member.endpoint);
      return Object.freeze({
        endpoint: member.endpoint,
        attributes: Object.freeze({ ...seed?.attributes, [SERVER_ID_ATTRIBUTE]: member.id, [MEMBER_ROLE_ATTRIBUTE]: member.role }),
        meta: Object.freeze({ ...seed?.meta, [META_LABELS.source]: 'ensemble', [META_LABELS.memberRole]: member.role, [META_LABELS.memberId]: member.id }),
      });
    }),
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
  /** The session is over (expired, authentication failed, unusable): open a new one. */
  lost(why: string): void;
  /** The client could not read a reply (it dropped the connection and reconnects). */
  unexpected(error: unknown): void;
}

/** How long closing waits for the seeds to confirm before the connection is dropped. */
const CLOSE_GRACE_MS = 1000;

/** One client session that reads `/zookeeper/config` on every (re)connection and whenever its watch fires. */
class MembershipSession {
  private closed = false;
  private readonly client: SeedClient | undefined;
  /** One function for every read, so the client registers the watch once. */
  private readonly watcher = () => this.read();

  constructor(
    open: (hooks: Parameters<ClientFactory>[1]) => SeedClient,
    /** The clock of the client's deadlines: the scheduler the client was made with. */
    private readonly now: () => number,
    private readonly events: MembershipEvents,
  ) {
    try {
      this.client = open({
        stateChanged: (state) => {
          if (this.closed) return;
          if (state === 'connected') this.read();
          else if (state === 'disconnected') events.disconnected();
          else if (state === 'expired') events.lost('the seed session expired');
          else if (state === 'auth_failed') events.lost('authentication to the seeds failed');
        },
        unexpected: (error) => events.unexpected(error),
      });
    } catch (error) {
      // E.g. an unreadable password file: retried with backoff like any other unusable session.
      // Unless this session was closed meanwhile (discovery stopped, new seeds): then nobody wants it reopened.
      queueMicrotask(() => {
        if (!this.closed) events.lost(`cannot open a session to the seeds: ${(error as Error)?.message ?? String(error)}`);
      });
      return;
    }
    // The deadline only ends the wait; the client keeps trying the servers until it is closed.
    void this.client.connect(this.now() + SESSION_TIMEOUT_MS);
  }

  private read(): void {
    if (this.closed || !this.client) return;
    this.client.getData(MEMBERSHIP_PATH, this.now() + SESSION_TIMEOUT_MS, this.watcher).then(
      (data) => {
        if (!this.closed) this.events.membership(data?.toString('utf8') ?? '');
      },
      (error: unknown) => {
        if (this.closed) return;
        const code = error instanceof ZkError ? error.code : undefined;
        if (code === 'NO_NODE') this.events.noMembership(`the seeds have no ${MEMBERSHIP_PATH} (ZooKeeper before 3.5)`);
        // A lost connection is read again on reconnection; anything else is worth a retry by a new session.
        else if (code !== 'CONNECTION_LOSS') this.events.lost(`reading ${MEMBERSHIP_PATH} failed: ${(error as Error)?.message ?? String(error)}`);
      },
    );
  }

  /** Closes the session on the seeds; no reconnection after this (the shared client's hard close). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.client?.close(CLOSE_GRACE_MS);
  }
}
