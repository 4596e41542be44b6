import { readFileSync } from 'node:fs';
import type { Server as HttpServer, ServerOptions } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { HostPort } from '../../core/config/schema.js';

type Server = HttpServer | HttpsServer;

/** Default of each server's `max_connections`: far more than the scrapers and probes of one agent. */
export const DEFAULT_MAX_CONNECTIONS = 64;
/** A client has this long to send its request headers (and, over TLS, to finish the handshake): slowloris defence. */
export const HEADERS_TIMEOUT_MS = 5000;
/** A whole request (headers and body) must arrive within this. */
export const REQUEST_TIMEOUT_MS = 30_000;
/**
 * Each HTTP server may hold at most this share of the process's open-files limit, so that connections to it,
 * however many, leave descriptors for the probes (and the other servers).
 */
export const DESCRIPTOR_SHARE = 1 / 8;

/**
 * Options for `http.createServer`/`https.createServer`: header and request deadlines, checked every second (Node's
 * default check runs every 30 s, which lets a slowloris client hold a connection that long).
 */
export function serverOptions(): ServerOptions & { handshakeTimeout: number } {
  return { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1000, handshakeTimeout: HEADERS_TIMEOUT_MS };
}

/**
 * Caps the connections `server` holds at once at `configured`, and lower if the open-files limit is low (see
 * DESCRIPTOR_SHARE); connections past the cap are closed as soon as they are accepted. A connection idle for
 * REQUEST_TIMEOUT_MS is destroyed, so a client that never reads the 408 it was sent cannot keep its descriptor.
 * Returns the cap applied.
 */
export function limitConnections(server: Server, configured: number, openFilesLimit: number | undefined = softOpenFilesLimit()): number {
  const cap = openFilesLimit === undefined ? configured : Math.min(configured, Math.max(4, Math.floor(openFilesLimit * DESCRIPTOR_SHARE)));
  server.maxConnections = cap;
  server.setTimeout(REQUEST_TIMEOUT_MS);
  return cap;
}

/** The soft RLIMIT_NOFILE of this process (Linux), or undefined where it cannot be read. */
export function softOpenFilesLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return line && line[1] !== 'unlimited' ? Number(line[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts listening, turning the usual failures into one clear sentence. */
export async function listen(server: Server, address: HostPort, written: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(new Error(`cannot listen on ${written}: ${describeListenError(error)}`));
    server.once('error', onError);
    server.listen(address.port, address.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Closes a server and every connection it holds, keep-alive ones included. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function describeListenError(error: NodeJS.ErrnoException): string {
  if (error.code === 'EADDRINUSE') return 'address already in use (is another agent running?)';
  if (error.code === 'EACCES') return 'permission denied';
  if (error.code === 'EADDRNOTAVAIL') return 'address not available on this machine';
  return error.message;
}
