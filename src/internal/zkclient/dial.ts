/**
 * How a ZooKeeper client reaches a server's client port: plain TCP, or TLS to a `secureClientPort`.
 * A {@link SocketOpener} starts a connection (the ZooKeeper client waits for it itself); a {@link Dial} also waits
 * until it is established (and, for TLS, handshaken), for callers that speak to the socket themselves.
 */
import net from 'node:net';
import tls from 'node:tls';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { HostPort } from '../../core/config/schema.js';
import { ClientTlsLoader, describeTlsError, type ClientTlsConfig } from '../tls/client-tls.js';

/** A failure to reach the server, with a code in ZooKeeper's style (`CONNECTION_REFUSED`, `TLS_...`). */
export class DialError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A connection ready to be started: `start()` creates the socket. Callers attach their listeners in the same
 * synchronous block as `start()`, because a connection that fails at once (ENETUNREACH to an unroutable address)
 * emits `error` on the next tick, before any promise callback could attach one, and would crash the process.
 */
export interface Connector {
  start(): net.Socket;
  /** The socket is usable once this event fired; `error` events are explained by {@link dialError}. */
  readonly readyEvent: 'connect' | 'secureConnect';
  /** The name the server certificate must carry (TLS), to explain a mismatch. */
  readonly expectedName?: string | undefined;
}

/** Opens sockets to client ports (plain or TLS); the zookeeper receiver's `Transport` sends commands over them. */
export interface SocketOpener {
  readonly secure: boolean;
  /** Prepares a connection to `address`; rejects (with a {@link DialError}) only when it cannot even start (TLS files). */
  open(address: HostPort): Promise<Connector>;
}

/** Plain TCP without `tls`, else TLS with the (re-read when rotated) material of `tls`. */
export function socketOpener(tlsConfig: ClientTlsConfig | undefined): SocketOpener {
  if (!tlsConfig)
    return { secure: false, open: async (address) => ({ start: () => net.connect({ host: address.host, port: address.port }), readyEvent: 'connect' }) };
  const loader = new ClientTlsLoader(tlsConfig);
  return {
    secure: true,
    open: async (address) => {
      let options;
      try {
        ({ options } = await loader.connectionOptions(address.host));
      } catch (error) {
        throw new DialError('TLS_CONFIG', (error as Error).message);
      }
      return {
        start: () => tls.connect({ ...options, host: address.host, port: address.port }),
        readyEvent: 'secureConnect',
        expectedName: options.servername ?? address.host,
      };
    },
  };
}

/** Opens a connected (and, for TLS, handshaken) socket to `address`, or rejects with a {@link DialError}. */
export type Dial = (address: HostPort, timeoutMs: number) => Promise<net.Socket>;

/** A {@link Dial} whose timeouts run on `scheduler` (virtual time in tests). */
export function dialer(via: SocketOpener, scheduler: SchedulerLike = asyncScheduler): Dial {
  return async (address, timeoutMs) => {
    const opening = await via.open(address);
    return new Promise((resolve, reject) => {
      const { readyEvent } = opening;
      const socket = opening.start();
      const fail = (error: DialError) => {
        timer.unsubscribe();
        socket.destroy();
        reject(error);
      };
      const timer = scheduler.schedule(
        () => fail(new DialError('OPERATION_TIMEOUT', `no connection to ${address.host}:${address.port} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onError = (error: NodeJS.ErrnoException) => fail(dialError(error, address, opening.expectedName));
      socket.once(readyEvent, () => {
        timer.unsubscribe();
        // From here the caller watches 'close'; an error must still never be unhandled.
        socket.removeListener('error', onError);
        socket.on('error', () => socket.destroy());
        resolve(socket);
      });
      socket.once('error', onError);
    });
  };
}

/** A socket error in words and a code: TLS failures by kind, a refused connection, anything else as a lost one. */
export function dialError(error: NodeJS.ErrnoException, address: HostPort, expectedName: string | undefined): DialError {
  const tlsFailure = describeTlsError(error, expectedName);
  if (tlsFailure) return new DialError(`TLS_${tlsFailure.kind.toUpperCase()}`, tlsFailure.message);
  if (error.code === 'ECONNREFUSED') return new DialError('CONNECTION_REFUSED', `connection to ${address.host}:${address.port} refused`);
  return new DialError('CONNECTION_LOSS', `${address.host}:${address.port}: ${error.message}`);
}
