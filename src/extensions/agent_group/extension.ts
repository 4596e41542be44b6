/**
 * agent_group: agents that share the targets of their receivers through a ZooKeeper they all reach.
 *
 * Each agent holds one session to the coordination ensemble, registers an ephemeral znode `<path>/<member_id>` and
 * watches the children of `<path>`. Every agent computes the same assignment from the same member list, by
 * rendezvous hashing of each target's cluster (rendezvous.ts): no leader, no messages beyond the watch.
 *
 * - An agent that dies: its session expires after session_timeout, its znode goes, the others' watches fire and
 *   they take its clusters at once (their new loops probe from the next tick).
 * - An agent that joins: every agent sees the new member at once; the clusters it now owns leave their old
 *   owners' target lists, which stops those loops.
 * - The coordination ensemble unreachable: the last assignment stays (rather probe twice than not at all), and
 *   the agent says so (a log line, zkotel_agent_group_connected 0). Never reached since start: after
 *   session_timeout, this agent probes every target until it reads the group.
 */
import { randomUUID } from 'node:crypto';
import zookeeper from 'node-zookeeper-client';
import { asyncScheduler, ReplaySubject, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { CreateSettings, Extension } from '../../core/component.js';
import type { Assignment, TargetShard } from '../../internal/targets/sharding.js';
import { clientFactory, CREATOR_ALL_ACL, OPEN_ACL, ZkError, type SessionState, type ZkClient } from '../../internal/zkclient/client.js';
import { socketOpener } from '../../internal/zkclient/dial.js';
import { authInfo } from '../../receivers/zookeeper_session/config.js';
import type { AgentGroupConfig } from './config.js';
import { rendezvousOwner } from './rendezvous.js';

const OPERATION_TIMEOUT_MS = 5000;
const REOPEN_BACKOFF_MS = { first: 500, max: 10_000 };
const MEMBER_ID_RETRY_MS = 1000;

export class AgentGroupExtension implements Extension, TargetShard {
  private readonly assignments = new ReplaySubject<Assignment>(1);
  readonly assignment: Observable<Assignment> = this.assignments.asObservable();
  private readonly createClient;
  private readonly acl;
  /** Identifies this process's znode: a znode with our member id but another token is another agent's (or an old session's). */
  private readonly token = randomUUID();
  private client: ZkClient | undefined;
  private members: readonly string[] | undefined;
  private stopped = false;
  private started = false;
  private readonly timers = new Set<Subscription>();
  /** Backoff, retries and the fallback run on it: tests drive them in virtual time. */
  private readonly scheduler: SchedulerLike;
  private backoffMs = REOPEN_BACKOFF_MS.first;
  private lastNotice: string | undefined;
  private readonly owned = new Map<string, number>();
  private readonly telemetry;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: AgentGroupConfig,
  ) {
    this.scheduler = settings.scheduler ?? asyncScheduler;
    this.createClient = clientFactory(socketOpener(config.tls), config.auth ? () => authInfo(config.auth!) : undefined, this.scheduler);
    this.acl = config.auth ? CREATOR_ALL_ACL : OPEN_ACL;
    const t = settings.telemetry;
    const group = Object.freeze({ group: settings.id });
    const members = t.gauge('zkotel.agent_group.members', {
      valueType: 'int',
      description: 'Live members of the agent group, as this agent last read them (this agent included).',
    });
    const owned = t.gauge('zkotel.agent_group.owned_targets', {
      valueType: 'int',
      description: 'Targets this agent owns in the group and probes, all opted-in receivers together.',
    });
    const connected = t.gauge('zkotel.agent_group.connected', {
      valueType: 'int',
      description: '1 while the session to the coordination ensemble is connected; 0 means the last assignment is kept.',
    });
    const rebalances = t.counter('zkotel.agent_group.rebalances', {
      valueType: 'int',
      description: 'Changes of the group membership that moved targets between agents.',
    });
    const member = t.gauge('zkotel.agent_group.member', {
      valueType: 'int',
      description: 'One series per agent seen in the group: 1 while it is a member, 0 once it left; self="true" is this agent.',
    });
    const lastChange = t.gauge('zkotel.agent_group.last_change_timestamp_seconds', {
      valueType: 'double',
      description: 'When this agent last read a new member list, in seconds since the epoch (0 before the first).',
    });
    this.telemetry = {
      members: (count: number) => members(group, count),
      owned: (count: number) => owned(group, count),
      connected: (up: boolean) => connected(group, up ? 1 : 0),
      rebalanced: () => rebalances(group, 1),
      memberList: (before: readonly string[], after: readonly string[]) => {
        for (const id of before) if (!after.includes(id)) member({ ...group, member: id, self: String(id === config.member_id) }, 0);
        for (const id of after) member({ ...group, member: id, self: String(id === config.member_id) }, 1);
        lastChange(group, this.now() / 1000);
      },
    };
    this.telemetry.members(0);
    this.telemetry.owned(0);
    this.telemetry.connected(false);
    rebalances(group, 0);
    lastChange(group, 0);
  }

  async start(): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    this.later(this.config.session_timeout, () => {
      if (this.members) return;
      this.notice('fallback', 'warn', 'agent_group: the group could not be read yet; probing every target until it is');
      this.assign([]);
    });
    this.open();
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.timers) timer.unsubscribe();
    this.timers.clear();
    const client = this.client;
    this.client = undefined;
    // Closing the session removes our znode at once: the others take our clusters without waiting for expiry.
    await client?.close(2000);
    this.telemetry.connected(false);
  }

  reportOwned(receiver: string, count: number): void {
    this.owned.set(receiver, count);
    this.telemetry.owned([...this.owned.values()].reduce((sum, n) => sum + n, 0));
  }

  private now(): number {
    return this.scheduler.now();
  }

  private get memberPath(): string {
    return `${this.config.path}/${this.config.member_id}`;
  }

  private later(ms: number, run: () => void): void {
    const timer = this.scheduler.schedule(() => {
      this.timers.delete(timer);
      if (!this.stopped) run();
    }, ms);
    this.timers.add(timer);
  }

  /** Logs a state once until another is logged: a flapping ensemble does not flood the log. */
  private notice(state: string, level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
    if (state === this.lastNotice) return;
    this.lastNotice = state;
    this.settings.logger[level](msg, { member_id: this.config.member_id, ...fields });
  }

  private open(): void {
    if (this.stopped) return;
    const client = this.createClient(
      { endpoints: this.config.endpoints, sessionTimeoutMs: this.config.session_timeout },
      {
        stateChanged: (state) => this.stateChanged(client, state),
        unexpected: (error) =>
          this.settings.logger.warn('agent_group: the ZooKeeper client could not read a reply; connection dropped', {
            error: (error as Error)?.message ?? String(error),
          }),
      },
    );
    this.client = client;
    void this.join(client);
  }

  private reopen(client: ZkClient, why: string): void {
    if (this.client !== client || this.stopped) return;
    this.client = undefined;
    void client.close(0);
    this.telemetry.connected(false);
    const kept = this.members ? '; keeping the last assignment' : '';
    this.notice(`lost:${why}`, 'warn', `agent_group: ${why}${kept}; reconnecting`, { retry_in_ms: this.backoffMs, endpoints: this.config.endpoints.join(',') });
    this.later(this.backoffMs, () => this.open());
    this.backoffMs = Math.min(this.backoffMs * 2, REOPEN_BACKOFF_MS.max);
  }

  private stateChanged(client: ZkClient, state: SessionState): void {
    if (this.client !== client) return;
    switch (state) {
      case 'connected':
        this.telemetry.connected(true);
        // The library sets its watches again on reconnection, but children may have changed while we were away.
        if (this.members) void this.readMembers(client);
        return;
      case 'disconnected':
        this.telemetry.connected(false);
        this.notice('disconnected', 'warn', 'agent_group: lost the connection to the coordination ensemble; keeping the last assignment');
        return;
      case 'expired':
        this.reopen(client, 'the coordination session expired (the others may have taken our clusters)');
        return;
      case 'auth_failed':
        this.reopen(client, 'authentication to the coordination ensemble failed');
        return;
      default:
        return;
    }
  }

  private async join(client: ZkClient): Promise<void> {
    const state = await client.connect(this.now() + this.config.session_timeout);
    if (this.client !== client) return;
    if (state !== 'connected') return this.reopen(client, `cannot reach the coordination ensemble (${client.lastFailure?.message ?? state})`);
    try {
      await client.mkdirp(this.config.path, this.acl, this.now() + OPERATION_TIMEOUT_MS);
      while (this.client === client && !(await this.register(client))) await new Promise((resolve) => this.later(MEMBER_ID_RETRY_MS, () => resolve(undefined)));
      if (this.client !== client) return;
      this.backoffMs = REOPEN_BACKOFF_MS.first;
      await this.readMembers(client);
      this.notice('joined', 'info', 'agent_group: joined the group', { path: this.memberPath });
    } catch (error) {
      this.reopen(client, `cannot join the group (${(error as Error).message})`);
    }
  }

  /** Creates our ephemeral znode; false while another live session holds the member id (e.g. our previous run). */
  private async register(client: ZkClient): Promise<boolean> {
    const data = Buffer.from(JSON.stringify({ token: this.token, pid: process.pid, started: new Date().toISOString() }));
    try {
      await client.create(this.memberPath, data, this.acl, zookeeper.CreateMode.EPHEMERAL, this.now() + OPERATION_TIMEOUT_MS);
      return true;
    } catch (error) {
      if (!(error instanceof ZkError) || error.code !== 'NODE_EXISTS') throw error;
      const existing = await client.getData(this.memberPath, this.now() + OPERATION_TIMEOUT_MS).catch(() => undefined);
      if (existing?.toString().includes(this.token)) return true;
      this.notice(
        'member-id-taken',
        'warn',
        'agent_group: member id already in the group (a previous run whose session has not expired yet, or another agent with the same member_id); waiting for it to go',
        { path: this.memberPath },
      );
      return false;
    }
  }

  private readonly watchers = new WeakMap<ZkClient, () => void>();

  private async readMembers(client: ZkClient): Promise<void> {
    let watcher = this.watchers.get(client);
    if (!watcher) {
      watcher = () => void this.readMembers(client);
      this.watchers.set(client, watcher);
    }
    try {
      const children = await client.getChildren(this.config.path, this.now() + OPERATION_TIMEOUT_MS, watcher);
      if (this.client === client) this.assign(children);
    } catch (error) {
      if (this.client === client) this.reopen(client, `cannot read the group (${(error as Error).message})`);
    }
  }

  /** A new member list: this agent always counts as a member, so it owns something even before it registered. */
  private assign(children: readonly string[]): void {
    const members = [...new Set([...children, this.config.member_id])].sort();
    const previous = this.members;
    if (previous && previous.join('\u0000') === members.join('\u0000')) return;
    this.members = members;
    this.telemetry.members(members.length);
    this.telemetry.memberList(previous ?? [], members);
    if (previous) {
      this.telemetry.rebalanced();
      this.settings.logger.info('agent_group: membership changed; targets reassigned', { members: members.join(','), before: previous.join(',') });
    } else {
      this.settings.logger.info('agent_group: members', { members: members.join(',') });
    }
    this.assignments.next(assignmentOf(this.config.member_id, members));
  }
}

/** Ownership under one member list, remembered per key: a key's owner changes only with the list. */
export function assignmentOf(self: string, members: readonly string[]): Assignment {
  const owners = new Map<string, boolean>();
  return {
    owns(key) {
      let mine = owners.get(key);
      if (mine === undefined) {
        mine = rendezvousOwner(key, members) === self;
        owners.set(key, mine);
      }
      return mine;
    },
  };
}
