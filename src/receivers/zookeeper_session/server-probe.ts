import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import zookeeper from 'node-zookeeper-client';
import type { SchedulerLike } from 'rxjs';
import type { HostPort } from '../../core/config/schema.js';
import type { Logger } from '../../core/logger.js';
import { authInfo, type ZookeeperSessionReceiverConfig } from './config.js';
import { CREATOR_ALL_ACL, OPEN_ACL, ZkClient, ZkError } from '../../internal/zkclient/client.js';
import type { Dial, SocketOpener } from '../../internal/zkclient/dial.js';
import { askServer } from './handshake.js';
import type { ErrorOperation, Operation, SessionMetrics } from './metrics.js';

/** How long closing a session may wait for the server to confirm. */
const CLOSE_GRACE_MS = 2000;

/** What a round in flight when the receiver stops ends with: nothing is dialled any more. */
const STOPPING = { operation: 'connect', code: 'CONNECTION_LOSS', message: 'receiver stopping' } as const;

export interface ProbeContext {
  readonly config: ZookeeperSessionReceiverConfig;
  /** How sessions reach the server (TLS or not); `dial` asks a server why it gave no session. */
  readonly transport: SocketOpener;
  readonly dial: Dial;
  readonly logger: Logger;
  /** The clock of rounds' deadlines and what runs their timers; latencies are measured with `performance.now()`. */
  readonly scheduler: SchedulerLike;
}

/** A failed step of a round: what failed, ZooKeeper's (or our) code for it, and words for the log. */
export interface Failure {
  readonly operation: ErrorOperation;
  readonly code: string;
  readonly message: string;
}

/**
 * The probe of one server: its pinned session and one round of operations on it. A round never throws and
 * never outlives `timeout`; a session that is not connected when a round starts is replaced by a new one.
 */
export class ServerProbe {
  /** Prefix of this agent's znodes for this server: unique per agent process and server, readable in `ls`. */
  readonly nodePrefix: string;
  private session: ZkClient | undefined;
  private pathReady = false;
  private hadSession = false;
  private closed = false;
  private loggedState: string | undefined;
  private lastRoundOk = false;

  constructor(
    readonly endpoint: string,
    private readonly address: HostPort,
    readonly metrics: SessionMetrics,
    private readonly context: ProbeContext,
    agentToken: string,
  ) {
    this.nodePrefix = `zkotel-${agentToken}-${endpoint.replace(/[^A-Za-z0-9.-]+/g, '_')}`;
  }

  /**
   * The session, while it is connected and its last round went well: replication rounds of other servers read
   * through it. A server whose own operations fail (hung, no quorum) would only hold their rounds up.
   */
  get connectedSession(): ZkClient | undefined {
    return this.session?.state === 'connected' && this.lastRoundOk ? this.session : undefined;
  }

  /** Closed (its loop ended): nothing more is measured for or through it. */
  get isClosed(): boolean {
    return this.closed;
  }

  get lagPath(): string {
    return `${this.context.config.path}/${this.nodePrefix}-lag`;
  }

  /** Connect if needed, then create, set, get, exists, children, delete. Resolves with the failure, if any. */
  async round(): Promise<Failure | undefined> {
    const deadline = this.now() + this.context.config.timeout;
    const failure = (await this.ensureSession(deadline)) ?? (await this.operations(deadline));
    if (this.closed) return failure;
    if (failure) this.metrics.error(failure.operation, failure.code);
    this.lastRoundOk = failure === undefined;
    this.logTransition(failure);
    return failure;
  }

  private async ensureSession(deadline: number): Promise<Failure | undefined> {
    if (this.session?.state === 'connected') return undefined;
    if (this.closed) return STOPPING;
    const lost = this.session?.wasConnected && (this.session.state === 'disconnected' || this.session.state === 'connecting') ? this.session : undefined;
    if (lost) {
      // As a real client does: keep the session and let it reconnect, so that the server can say whether it
      // expired meanwhile. Half the round's time, the other half to find out why it is not back.
      const now = this.now();
      const state = await lost.reconnection(now + (deadline - now) / 2);
      if (this.closed) return STOPPING;
      if (state === 'connected') return undefined;
      if (state === 'disconnected' || state === 'connecting') return { operation: 'connect', ...(await this.whyNoSession('disconnected', deadline)) };
      // Expired (counted by the hook) or refused: a new session, in what is left of this round.
    }
    await this.session?.close(0);
    const { config, logger } = this.context;
    let auth;
    try {
      auth = config.auth ? authInfo(config.auth) : undefined;
    } catch (error) {
      return { operation: 'connect', code: 'AUTH_FAILED', message: (error as Error).message };
    }
    const session = new ZkClient(
      { endpoints: [this.endpoint], sessionTimeoutMs: config.session_timeout, auth, transport: this.context.transport, scheduler: this.context.scheduler },
      {
        reconnected: () => this.metrics.reconnected(),
        expired: () => this.metrics.expired(),
        unexpected: (error) =>
          logger.warn('session dropped: the ZooKeeper client could not read a reply', { error: (error as Error)?.message ?? String(error) }),
      },
    );
    this.session = session;
    const started = performance.now();
    const state = await session.connect(deadline);
    if (this.closed) return STOPPING;
    if (state === 'connected') {
      this.metrics.connected((performance.now() - started) / 1000);
      if (this.hadSession) this.metrics.reconnected();
      this.hadSession = true;
      return undefined;
    }
    await session.close(0);
    return { operation: 'connect', ...(await this.whyNoSession(state, deadline)) };
  }

  private async whyNoSession(state: string, deadline: number): Promise<{ code: string; message: string }> {
    if (state === 'expired') return { code: 'SESSION_EXPIRED', message: 'the server expired the session' };
    if (state === 'auth_failed') return { code: 'AUTH_FAILED', message: 'the server rejected the credentials' };
    if (state === 'connecting') return { code: 'OPERATION_TIMEOUT', message: `no session within ${this.context.config.timeout} ms` };
    // A refused connection or a failed TLS handshake says it all; a lost one needs asking.
    const failure = this.session?.lastFailure;
    if (failure && failure.code !== 'CONNECTION_LOSS') return { code: failure.code, message: failure.message };
    // The connection was lost during the handshake: ask the server why, on a connection of our own.
    const verdict = await askServer(
      this.context.dial,
      this.address,
      this.context.config.session_timeout,
      Math.max(1, deadline - this.now()),
      this.context.scheduler,
    );
    return verdict.kind === 'failed' ? verdict : { code: 'CONNECTION_LOSS', message: 'the connection was lost while opening the session' };
  }

  private async operations(deadline: number): Promise<Failure | undefined> {
    const session = this.session!;
    const { path, auth } = this.context.config;
    const acl = auth ? CREATOR_ALL_ACL : OPEN_ACL;
    let step = 'create' as Operation;
    let created: string | undefined;
    const timed = async <T>(operation: Operation, run: () => Promise<T>): Promise<T> => {
      step = operation;
      const started = performance.now();
      const result = await run();
      this.metrics.operation(operation, (performance.now() - started) / 1000);
      return result;
    };
    try {
      if (!this.pathReady) {
        if (!(await session.exists(path, deadline))) await session.mkdirp(path, acl, deadline);
        this.pathReady = true;
      }
      const value = randomBytes(8);
      created = await timed('create', () =>
        session.create(`${path}/${this.nodePrefix}-probe-`, value, acl, zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, deadline),
      );
      const node = created;
      await timed('set', () => session.setData(node, value.reverse(), deadline));
      await timed('get', () => session.getData(node, deadline));
      await timed('exists', () => session.exists(node, deadline));
      const children = await timed('children', () => session.getChildren(path, deadline));
      await timed('delete', () => session.remove(node, deadline));
      await this.removeLeftovers(session, children, node, deadline);
      return undefined;
    } catch (error) {
      const { code, message } = error instanceof ZkError ? error : new ZkError('SYSTEM_ERROR', String(error));
      if (code === 'NO_NODE') this.pathReady = false;
      // Best effort within the round's deadline; a node left behind is removed by a later round (or goes with the session).
      if (created && step !== 'delete') await session.remove(created, deadline).catch(() => {});
      return { operation: step, code, message };
    }
  }

  /**
   * Removes this agent's earlier probe znodes for this server still listed under `path`: a create that timed out
   * on our side may still have been committed, and its node would otherwise stay until the session ends. Best
   * effort, within the round's deadline; not counted as operations or errors.
   */
  private async removeLeftovers(session: ZkClient, children: readonly string[], current: string, deadline: number): Promise<void> {
    const probePrefix = `${this.nodePrefix}-probe-`;
    const parent = this.context.config.path;
    const leftovers = children.filter((child) => child.startsWith(probePrefix) && `${parent}/${child}` !== current);
    await Promise.all(leftovers.map((child) => session.remove(`${parent}/${child}`, deadline).catch(() => {})));
  }

  private now(): number {
    return this.context.scheduler.now();
  }

  /** Logs each change of this server's state once: up, or which operation fails with which code. */
  private logTransition(failure: Failure | undefined): void {
    const state = failure ? `${failure.operation}:${failure.code}` : 'up';
    if (state === this.loggedState) return;
    this.loggedState = state;
    const logger = this.context.logger;
    if (failure) logger.warn('session probe failing', { operation: failure.operation, code: failure.code, error: failure.message });
    else logger.info('session probe up');
  }

  /** Closes the session (its ephemeral znodes go with it); no new session after this. */
  async close(): Promise<void> {
    this.closed = true;
    await this.session?.close(CLOSE_GRACE_MS);
  }
}

/** Tells this agent process's znodes from another agent's: the host name (for people) and a random part. */
export function agentToken(): string {
  return `${hostname()
    .replace(/[^A-Za-z0-9.-]+/g, '_')
    .slice(0, 40)}-${randomBytes(4).toString('hex')}`;
}
