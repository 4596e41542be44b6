/**
 * One node-zookeeper-client (1.1.3) session with promises, deadlines, a hard close, TLS and IPv6: the one place in
 * zkotel that reaches into the library's ConnectionManager, whose shape the tests exercise against real servers.
 *
 * What the library's public API lacks, and how this file adds it:
 * - its connection states, to tell a failed connection attempt from a slow one;
 * - the socket: the library dials `net.connect(server)` itself (no TLS) with servers parsed by splitting on ':'
 *   (so `[::1]:2181` becomes host `[`). This client's manager gets the servers parsed by `parseHostPort` and a
 *   `connect` that opens its socket through a {@link SocketOpener} — `tls.connect` for TLS, listened to on
 *   `secureConnect` — with the same listeners the library attaches;
 * - a guard around reply parsing: a reply carrying an error code the library does not know (3.5+ added some,
 *   e.g. THROTTLED_OP -127, SESSIONMOVED -118) makes it throw inside a socket event, which would crash the
 *   agent; the connection is dropped instead;
 * - a close that also works when the server is gone: no connection attempt after close, no timer left behind;
 * - time from an RxJS scheduler: deadlines are instants on its clock (`scheduler.now()`, `Date.now()` by default),
 *   and the deadlines and the connection timeout run on it, so tests can run them in virtual time. The library's
 *   own timers (spin delay between rounds of servers, pings) stay on the wall clock: they pace real sockets.
 */
import type { EventEmitter } from 'node:events';
import type net from 'node:net';
import zookeeper, { type Client } from 'node-zookeeper-client';
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { parseHostPort, type HostPort } from '../../core/config/schema.js';
import { DialError, dialError, socketOpener, type SocketOpener } from './dial.js';

/** A failed operation, with ZooKeeper's error name as node-zookeeper-client spells it (`NO_AUTH`, ...). */
export class ZkError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type SessionState = 'connecting' | 'connected' | 'disconnected' | 'expired' | 'auth_failed' | 'closed';

export interface ClientHooks {
  /** The connection was re-established after a loss, same session. */
  reconnected?(): void;
  /** The server said the session had expired. */
  expired?(): void;
  /** Every change of {@link ZkClient.state} (after `reconnected`/`expired`), until close. */
  stateChanged?(state: SessionState): void;
  /** The library failed on a reply (to be logged by the caller); the connection was dropped. */
  unexpected(error: unknown): void;
}

export interface AuthInfo {
  readonly scheme: string;
  readonly auth: Buffer;
}

export interface ClientOptions {
  /** `host:port` or `[v6]:port` of each server; the session moves between them like any ZooKeeper client's. */
  readonly endpoints: readonly string[];
  readonly sessionTimeoutMs: number;
  /** Longest wait before trying the servers again once all failed (default 1 s). */
  readonly spinDelayMs?: number | undefined;
  readonly auth?: AuthInfo | undefined;
  /** Plain TCP when absent. */
  readonly transport?: SocketOpener | undefined;
  /** The clock of every deadline given to this client, and what runs its timers (default `asyncScheduler`). */
  readonly scheduler?: SchedulerLike | undefined;
}

/** node-zookeeper-client's ConnectionManager, as far as we use it. */
interface ConnectionManager extends EventEmitter {
  state: number;
  socket?: net.Socket;
  servers: HostPort[];
  sessionTimeout: number;
  connectTimeout: number;
  nextServerIndex: number;
  pendingBuffer: Buffer | null;
  connect(): void;
  findNextServer(callback: (server: HostPort) => void): void;
  updateTimeout(sessionTimeout: number): void;
  setState(state: number): void;
  onSocketConnectTimeout(): void;
  onSocketConnected(): void;
  onSocketData(buffer: Buffer): void;
  onSocketDrain(): void;
  onSocketClosed(hadError: boolean): void;
  onSocketError(error: Error): void;
}

/** ConnectionManager.STATES of node-zookeeper-client. */
const MANAGER = {
  DISCONNECTED: 0,
  CONNECTING: 1,
  CONNECTED: 2,
  CONNECTED_READ_ONLY: 3,
  CLOSING: -1,
  CLOSED: -2,
  SESSION_EXPIRED: -3,
  AUTHENTICATION_FAILED: -4,
} as const;

export const OPEN_ACL = [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('world', 'anyone'))];
/** ZooKeeper's CREATOR_ALL_ACL: everything, for the identities the session authenticated as. */
export const CREATOR_ALL_ACL = [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('auth', ''))];

const PLAIN = socketOpener(undefined);

export class ZkClient {
  private readonly client: Client;
  private readonly manager: ConnectionManager;
  private connectedOnce = false;
  private closing = false;
  private readonly changes = new Set<() => void>();
  private readonly scheduler: SchedulerLike;
  /** The running connection attempt's timeout (the library's own `connectTimeoutHandler` stays unused). */
  private connectTimer: Subscription | undefined;
  state: SessionState = 'connecting';
  /** Why the last connection attempt failed (refused, TLS), if it did; cleared by a successful one. */
  lastFailure: DialError | undefined;

  constructor(options: ClientOptions, hooks: ClientHooks) {
    const servers = options.endpoints.map((endpoint) => {
      const address = parseHostPort(endpoint);
      if (!address) throw new ZkError('BAD_ARGUMENTS', `invalid endpoint ${JSON.stringify(endpoint)}: expected host:port`);
      return address;
    });
    if (servers.length === 0) throw new ZkError('BAD_ARGUMENTS', 'no endpoint to connect to');
    this.scheduler = options.scheduler ?? asyncScheduler;
    // retries 0: a lost connection is a measured failure, not something to hide behind retries. The connection
    // string only has to satisfy the library's parser: the servers are replaced below.
    this.client = zookeeper.createClient(servers.map(() => 'localhost:2181').join(','), {
      sessionTimeout: options.sessionTimeoutMs,
      spinDelay: options.spinDelayMs ?? 1000,
      retries: 0,
    });
    this.manager = (this.client as unknown as { connectionManager: ConnectionManager }).connectionManager;
    this.manager.servers = servers;
    this.manager.nextServerIndex = Math.floor(Math.random() * servers.length);
    this.manager.updateTimeout(options.sessionTimeoutMs);
    this.replaceConnect(options.transport ?? PLAIN, hooks);
    this.manager.on('state', (state: number) => {
      const next = this.stateOf(state);
      if (next === undefined || next === this.state) return;
      if (next === 'connected' && this.connectedOnce) hooks.reconnected?.();
      if (next === 'connected') this.connectedOnce = true;
      if (next === 'expired') hooks.expired?.();
      this.state = next;
      if (!this.closing) hooks.stateChanged?.(next);
      for (const notify of [...this.changes]) notify();
    });
    if (options.auth) this.client.addAuthInfo(options.auth.scheme, options.auth.auth);
  }

  /**
   * The library's `connect` with the socket opened by `via` and read through the parser guard. Like the library's,
   * it is called again by the manager after every lost connection (the spin delay between rounds of servers).
   */
  private replaceConnect(via: SocketOpener, hooks: ClientHooks): void {
    const self = this;
    const manager = this.manager;
    manager.connect = function (this: ConnectionManager) {
      if (self.closing) return;
      this.setState(MANAGER.CONNECTING);
      this.findNextServer((server) => {
        if (self.closing) return;
        via.open(server).then(
          (opening) => {
            if (self.closing) return;
            // Every listener below is attached in this same tick as start(): see Connector.
            const socket = opening.start();
            this.socket = socket;
            // Where the library clears its own handler (connected, socket error), this connection clears its timer.
            self.connectTimer?.unsubscribe();
            self.connectTimer = self.scheduler.schedule(() => this.onSocketConnectTimeout(), this.connectTimeout);
            socket.setNoDelay();
            socket.on(opening.readyEvent, () => {
              self.connectTimer?.unsubscribe();
              self.lastFailure = undefined;
              this.onSocketConnected();
            });
            socket.on('data', (buffer: Buffer) => {
              try {
                this.onSocketData(buffer);
              } catch (error) {
                this.pendingBuffer = null;
                socket.destroy();
                hooks.unexpected(error);
              }
            });
            socket.on('drain', () => this.onSocketDrain());
            socket.on('close', (hadError: boolean) => {
              // A socket replaced by a newer one (after a guard drop) must not end the newer connection.
              if (this.socket === socket) this.onSocketClosed(hadError);
            });
            socket.on('error', (error: NodeJS.ErrnoException) => {
              if (this.socket === socket) self.connectTimer?.unsubscribe();
              self.lastFailure = dialError(error, server, opening.expectedName);
              this.onSocketError(error);
            });
          },
          (error: unknown) => {
            // No socket could even be started (unreadable TLS files): a failed attempt, retried like a refused one.
            self.lastFailure = error instanceof DialError ? error : new DialError('CONNECTION_LOSS', String(error));
            if (self.closing) return;
            this.setState(MANAGER.DISCONNECTED);
            this.connect();
          },
        );
      });
    };
  }

  private stateOf(managerState: number): SessionState | undefined {
    if (this.closing) return managerState === MANAGER.CLOSED ? 'closed' : undefined;
    switch (managerState) {
      case MANAGER.CONNECTED:
      case MANAGER.CONNECTED_READ_ONLY:
        return 'connected';
      case MANAGER.DISCONNECTED:
        return 'disconnected';
      case MANAGER.SESSION_EXPIRED:
        return 'expired';
      case MANAGER.AUTHENTICATION_FAILED:
        return 'auth_failed';
      case MANAGER.CLOSED:
        return 'closed';
      default:
        return undefined;
    }
  }

  /** Connects; resolves with the state reached first after `connecting`, or `connecting` at the deadline. */
  async connect(deadlineMs: number): Promise<SessionState> {
    this.client.connect();
    await this.until(() => this.state !== 'connecting', deadlineMs);
    return this.state;
  }

  /** Whether this session was ever connected: the library then keeps reconnecting it under the same session id. */
  get wasConnected(): boolean {
    return this.connectedOnce;
  }

  /**
   * For a session that lost its connection: waits until the library has it connected again, or the server has
   * ended it (expired, authentication failed), or the deadline; resolves with the state then.
   */
  async reconnection(deadlineMs: number): Promise<SessionState> {
    await this.until(() => this.state !== 'connecting' && this.state !== 'disconnected', deadlineMs);
    return this.state;
  }

  /** Resolves when `condition` holds (checked at each state change) or at the deadline. */
  private until(condition: () => boolean, deadlineMs: number): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        timer.unsubscribe();
        this.changes.delete(check);
        resolve();
      };
      const check = () => condition() && done();
      const timer = this.scheduler.schedule(done, this.remaining(deadlineMs));
      this.changes.add(check);
    });
  }

  /** Milliseconds from now until `deadlineMs` on this client's clock, at least 0. */
  private remaining(deadlineMs: number): number {
    return Math.max(0, deadlineMs - this.scheduler.now());
  }

  create(path: string, data: Buffer, acl: typeof OPEN_ACL, mode: number, deadlineMs: number): Promise<string> {
    return this.call(deadlineMs, 'create', (done) => this.client.create(path, data, acl, mode, done));
  }

  setData(path: string, data: Buffer, deadlineMs: number): Promise<zookeeper.Stat> {
    return this.call(deadlineMs, 'setData', (done) => this.client.setData(path, data, -1, done));
  }

  /**
   * `getData`, optionally leaving a watch that fires on the node's next change or deletion. The library keeps
   * each watch function once per path and sets it again on a reconnection: pass the same function every time.
   */
  getData(path: string, deadlineMs: number, watch?: (event: zookeeper.Event) => void): Promise<Buffer | undefined> {
    return this.call(deadlineMs, 'getData', (done) => (watch ? this.client.getData(path, watch, done) : this.client.getData(path, done)));
  }

  /** `exists`, optionally leaving a watch that fires on the node's next creation, change or deletion. */
  exists(path: string, deadlineMs: number, watch?: (event: zookeeper.Event) => void): Promise<boolean> {
    return this.call<zookeeper.Stat | null>(deadlineMs, 'exists', (done) =>
      watch ? this.client.exists(path, watch, done) : this.client.exists(path, done),
    ).then((stat) => Boolean(stat));
  }

  /** `getChildren`, optionally leaving a watch that fires when a child is added or removed (same function every time). */
  getChildren(path: string, deadlineMs: number, watch?: (event: zookeeper.Event) => void): Promise<string[]> {
    return this.call(deadlineMs, 'getChildren', (done) => (watch ? this.client.getChildren(path, watch, done) : this.client.getChildren(path, done)));
  }

  remove(path: string, deadlineMs: number): Promise<void> {
    return this.call(deadlineMs, 'remove', (done) => this.client.remove(path, -1, done));
  }

  mkdirp(path: string, acl: typeof OPEN_ACL, deadlineMs: number): Promise<string> {
    return this.call(deadlineMs, 'mkdirp', (done) => this.client.mkdirp(path, acl, zookeeper.CreateMode.PERSISTENT, done));
  }

  private call<T>(deadlineMs: number, what: string, invoke: (done: (error: unknown, value: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.scheduler.schedule(
        () => reject(new ZkError('OPERATION_TIMEOUT', `${what}: no reply within the deadline`)),
        this.remaining(deadlineMs),
      );
      try {
        invoke((error, value) => {
          timer.unsubscribe();
          if (error) reject(toZkError(error, what));
          else resolve(value);
        });
      } catch (error) {
        timer.unsubscribe();
        reject(new ZkError('BAD_ARGUMENTS', `${what}: ${(error as Error).message}`));
      }
    });
  }

  /**
   * Closes the session: a connected one is closed on the server (its ephemeral znodes go with it), waiting
   * at most `graceMs`. Whatever is left then is dropped: the socket, a pending reconnection, the timers.
   */
  async close(graceMs: number): Promise<void> {
    if (this.closing) return;
    const wasConnected = this.state === 'connected';
    this.closing = true;
    if (wasConnected) {
      this.client.close();
      await this.until(() => this.state === 'closed', this.scheduler.now() + graceMs);
    }
    if (this.state === 'closed') return;
    const manager = this.manager;
    // `closing` already stops every further connection attempt (see replaceConnect).
    this.connectTimer?.unsubscribe();
    // In CLOSING, the socket's close ends the manager in CLOSED instead of reconnecting.
    if (manager.state !== MANAGER.CLOSED) manager.setState(MANAGER.CLOSING);
    manager.socket?.destroy();
  }
}

function toZkError(error: unknown, what: string): ZkError {
  if (error instanceof zookeeper.Exception) return new ZkError(error.getName(), `${what}: ${error.getName()}`);
  return new ZkError('SYSTEM_ERROR', `${what}: ${(error as Error)?.message ?? String(error)}`);
}

/** Builds the clients of one component: its transport (TLS), credentials and clock, for every session it opens. */
export type ClientFactory = (options: Omit<ClientOptions, 'transport' | 'auth' | 'scheduler'>, hooks: ClientHooks) => ZkClient;

export function clientFactory(via: SocketOpener | undefined, auth?: () => AuthInfo | undefined, scheduler?: SchedulerLike): ClientFactory {
  return (options, hooks) => new ZkClient({ ...options, transport: via, auth: auth?.(), scheduler }, hooks);
}
