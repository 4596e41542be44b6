/**
 * One node-zookeeper-client (1.1.3) session pinned to one server, with promises, deadlines and a hard close.
 *
 * The library's public API lacks three things this probe needs, so this file (and only this file) reaches
 * into its ConnectionManager, whose shape the tests exercise against a real server:
 * - its connection states, to tell a failed connection attempt from a slow one;
 * - a guard around reply parsing: a reply carrying an error code the library does not know (3.5+ added some)
 *   makes it throw inside a socket event, which would crash the agent; we drop the connection instead;
 * - a close that also works when the server is gone: no reconnect after close, no timer left behind.
 */
import type { EventEmitter } from 'node:events';
import type net from 'node:net';
import zookeeper, { type Client } from 'node-zookeeper-client';

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

export interface SessionHooks {
  /** The connection was re-established after a loss, same session. */
  reconnected(): void;
  /** The server said the session had expired. */
  expired(): void;
  /** The library failed on a reply (logged by the caller); the connection was dropped. */
  unexpected(error: unknown): void;
}

export interface SessionOptions {
  /** `host:port` of the one server (or of the TLS bridge in front of it). */
  readonly connectString: string;
  readonly sessionTimeoutMs: number;
  readonly auth?: { readonly scheme: string; readonly auth: Buffer } | undefined;
}

/** node-zookeeper-client's ConnectionManager, as far as we use it. */
interface ConnectionManager extends EventEmitter {
  state: number;
  socket?: net.Socket;
  pendingBuffer: Buffer | null;
  connectTimeoutHandler: NodeJS.Timeout | null;
  onSocketData(buffer: Buffer): void;
  onSocketConnected(): void;
  setState(state: number): void;
}

/** ConnectionManager.STATES of node-zookeeper-client. */
const MANAGER = { DISCONNECTED: 0, CONNECTING: 1, CONNECTED: 2, CONNECTED_READ_ONLY: 3, CLOSING: -1, CLOSED: -2, SESSION_EXPIRED: -3, AUTHENTICATION_FAILED: -4 } as const;

export const OPEN_ACL = [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('world', 'anyone'))];
/** ZooKeeper's CREATOR_ALL_ACL: everything, for the identities the session authenticated as. */
export const CREATOR_ALL_ACL = [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('auth', ''))];

export class ZkSession {
  private readonly client: Client;
  private readonly manager: ConnectionManager;
  private connectedOnce = false;
  private closing = false;
  private readonly changes = new Set<() => void>();
  state: SessionState = 'connecting';

  constructor(options: SessionOptions, hooks: SessionHooks) {
    // retries 0: a lost connection is a measured failure, not something to hide behind retries.
    this.client = zookeeper.createClient(options.connectString, { sessionTimeout: options.sessionTimeoutMs, spinDelay: 1000, retries: 0 });
    this.manager = (this.client as unknown as { connectionManager: ConnectionManager }).connectionManager;
    const parseReply = this.manager.onSocketData;
    this.manager.onSocketData = function (this: ConnectionManager, buffer: Buffer) {
      try {
        parseReply.call(this, buffer);
      } catch (error) {
        this.pendingBuffer = null;
        this.socket?.destroy();
        hooks.unexpected(error);
      }
    };
    this.manager.on('state', (state: number) => {
      const next = this.stateOf(state);
      if (next === undefined || next === this.state) return;
      if (next === 'connected' && this.connectedOnce) hooks.reconnected();
      if (next === 'connected') this.connectedOnce = true;
      if (next === 'expired') hooks.expired();
      this.state = next;
      for (const notify of [...this.changes]) notify();
    });
    if (options.auth) this.client.addAuthInfo(options.auth.scheme, options.auth.auth);
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

  /** Resolves when `condition` holds (checked at each state change) or at the deadline. */
  private until(condition: () => boolean, deadlineMs: number): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.changes.delete(check);
        resolve();
      };
      const check = () => condition() && done();
      const timer = setTimeout(done, Math.max(0, deadlineMs - Date.now()));
      this.changes.add(check);
    });
  }

  create(path: string, data: Buffer, acl: typeof OPEN_ACL, mode: number, deadlineMs: number): Promise<string> {
    return this.call(deadlineMs, 'create', (done) => this.client.create(path, data, acl, mode, done));
  }

  setData(path: string, data: Buffer, deadlineMs: number): Promise<zookeeper.Stat> {
    return this.call(deadlineMs, 'setData', (done) => this.client.setData(path, data, -1, done));
  }

  getData(path: string, deadlineMs: number): Promise<Buffer | undefined> {
    return this.call(deadlineMs, 'getData', (done) => this.client.getData(path, done));
  }

  /** `exists`, optionally leaving a watch that fires on the node's next creation, change or deletion. */
  exists(path: string, deadlineMs: number, watch?: (event: zookeeper.Event) => void): Promise<boolean> {
    return this.call<zookeeper.Stat | null>(deadlineMs, 'exists', (done) => (watch ? this.client.exists(path, watch, done) : this.client.exists(path, done))).then((stat) => Boolean(stat));
  }

  getChildren(path: string, deadlineMs: number): Promise<string[]> {
    return this.call(deadlineMs, 'getChildren', (done) => this.client.getChildren(path, done));
  }

  remove(path: string, deadlineMs: number): Promise<void> {
    return this.call(deadlineMs, 'remove', (done) => this.client.remove(path, -1, done));
  }

  mkdirp(path: string, acl: typeof OPEN_ACL, deadlineMs: number): Promise<string> {
    return this.call(deadlineMs, 'mkdirp', (done) => this.client.mkdirp(path, acl, zookeeper.CreateMode.PERSISTENT, done));
  }

  private call<T>(deadlineMs: number, what: string, invoke: (done: (error: unknown, value: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ZkError('OPERATION_TIMEOUT', `${what}: no reply within the deadline`)), Math.max(0, deadlineMs - Date.now()));
      try {
        invoke((error, value) => {
          clearTimeout(timer);
          if (error) reject(toZkError(error, what));
          else resolve(value);
        });
      } catch (error) {
        clearTimeout(timer);
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
      await this.until(() => this.state === 'closed', Date.now() + graceMs);
    }
    if (this.state === 'closed') return;
    const manager = this.manager;
    // A reconnection the library has already scheduled must not talk to the server any more.
    manager.onSocketConnected = function (this: ConnectionManager) {
      this.socket?.destroy();
    };
    if (manager.connectTimeoutHandler) clearTimeout(manager.connectTimeoutHandler);
    // In CLOSING, the socket's close ends the manager in CLOSED instead of reconnecting.
    if (manager.state !== MANAGER.CLOSED) manager.setState(MANAGER.CLOSING);
    manager.socket?.destroy();
  }
}

function toZkError(error: unknown, what: string): ZkError {
  if (error instanceof zookeeper.Exception) return new ZkError(error.getName(), `${what}: ${error.getName()}`);
  return new ZkError('SYSTEM_ERROR', `${what}: ${(error as Error)?.message ?? String(error)}`);
}
