/**
 * How the probe reaches a server's client port: plain TCP, or TLS to a `secureClientPort`.
 *
 * node-zookeeper-client only dials plain TCP (`net.connect`), so for TLS each session gets a {@link LoopbackBridge}:
 * a listener on 127.0.0.1 whose every connection is piped to a fresh TLS connection to the server. The client
 * dials the bridge; what it sends and receives is unchanged, and a failed TLS connection closes the client's side,
 * which the client sees as a lost connection (and the bridge remembers why).
 */
import net from 'node:net';
import tls from 'node:tls';
import type { HostPort } from '../../core/config/schema.js';
import { ClientTlsLoader, describeTlsError, type ClientTlsConfig } from '../../core/config/tls.js';

/** A failure to reach the server, with the `code` counted in zookeeper.client.operation.errors. */
export class DialError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Opens a connected (and, for TLS, handshaken) socket to `address`, or rejects with a {@link DialError}. */
export type Dial = (address: HostPort, timeoutMs: number) => Promise<net.Socket>;

export function dialer(tlsConfig: ClientTlsConfig | undefined): Dial {
  if (!tlsConfig) return (address, timeoutMs) => connectWithin(() => net.connect(address), 'connect', address, timeoutMs);
  const loader = new ClientTlsLoader(tlsConfig);
  return async (address, timeoutMs) => {
    const { options } = await loader.connectionOptions(address.host);
    return connectWithin(() => tls.connect({ ...options, host: address.host, port: address.port }), 'secureConnect', address, timeoutMs, options.servername ?? address.host);
  };
}

function connectWithin(open: () => net.Socket, readyEvent: 'connect' | 'secureConnect', address: HostPort, timeoutMs: number, expectedName?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = open();
    const fail = (error: DialError) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(new DialError('OPERATION_TIMEOUT', `no connection to ${address.host}:${address.port} within ${timeoutMs} ms`)), timeoutMs);
    const onError = (error: NodeJS.ErrnoException) => fail(dialError(error, address, expectedName));
    socket.once(readyEvent, () => {
      clearTimeout(timer);
      // From here the caller watches 'close'; an error must still never be unhandled.
      socket.removeListener('error', onError);
      socket.on('error', () => socket.destroy());
      resolve(socket);
    });
    socket.once('error', onError);
  });
}

function dialError(error: NodeJS.ErrnoException, address: HostPort, expectedName: string | undefined): DialError {
  const tlsFailure = describeTlsError(error, expectedName);
  if (tlsFailure) return new DialError(`TLS_${tlsFailure.kind.toUpperCase()}`, tlsFailure.message);
  if (error.code === 'ECONNREFUSED') return new DialError('CONNECTION_REFUSED', `connection to ${address.host}:${address.port} refused`);
  return new DialError('CONNECTION_LOSS', `${address.host}:${address.port}: ${error.message}`);
}

/** A loopback listener that pipes each connection to a new connection made by `dial` (see the module comment). */
export class LoopbackBridge {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Why the last connection to the server failed, if it did; cleared by a successful one. */
  lastFailure: DialError | undefined;

  private constructor(
    private readonly dial: Dial,
    private readonly target: HostPort,
    private readonly timeoutMs: number,
  ) {
    this.server = net.createServer((client) => this.accept(client));
  }

  static async open(dial: Dial, target: HostPort, timeoutMs: number): Promise<LoopbackBridge> {
    const bridge = new LoopbackBridge(dial, target, timeoutMs);
    await new Promise<void>((resolve, reject) => {
      bridge.server.once('error', reject);
      bridge.server.listen(0, '127.0.0.1', () => resolve());
    });
    bridge.server.unref();
    return bridge;
  }

  /** `127.0.0.1:port` for the client's connection string. */
  get endpoint(): string {
    return `127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  private accept(client: net.Socket): void {
    this.track(client);
    client.pause();
    client.on('error', () => client.destroy());
    this.dial(this.target, this.timeoutMs).then(
      (upstream) => {
        this.lastFailure = undefined;
        this.track(upstream);
        if (client.destroyed) {
          upstream.destroy();
          return;
        }
        // Either side ending or failing ends both: the client sees the server's close as its own.
        upstream.on('error', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      },
      (error: unknown) => {
        this.lastFailure = error instanceof DialError ? error : new DialError('CONNECTION_LOSS', String(error));
        client.destroy();
      },
    );
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  close(): void {
    this.server.close();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}
