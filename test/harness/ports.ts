/**
 * Free TCP ports for test servers. Candidates are drawn at random from 20000–32000 (below Linux's ephemeral
 * range 32768–60999, where client sockets may already hold ports) and verified by actually binding them.
 * Ports handed out by this process are remembered so that one process never gets the same port twice.
 */
import net from 'node:net';

export interface FreePortOptions {
  /** Ports returned are strictly below this (default 32768). */
  below?: number;
  /** Lowest candidate (default 20000). */
  min?: number;
  /** Bind attempts before giving up (default 200). */
  attempts?: number;
}

const RANGE_MIN = 20000;
const RANGE_MAX = 32000;
const handedOut = new Set<number>();

/** Resolves true when `port` can be bound on `host` right now (the test socket is closed again). */
export function canBind(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** A random port in [min, min(32000, below-1)] that `host` can bind now and that this process has not handed out before. */
export async function freePort(host = '127.0.0.1', options: FreePortOptions = {}): Promise<number> {
  const below = options.below ?? 32768;
  const min = options.min ?? RANGE_MIN;
  const max = Math.min(RANGE_MAX, below - 1);
  const attempts = options.attempts ?? 200;
  if (max < min) throw new Error(`freePort: empty port range ${min}..${max}`);
  for (let i = 0; i < attempts; i++) {
    const port = min + Math.floor(Math.random() * (max - min + 1));
    if (handedOut.has(port)) continue;
    if (await canBind(port, host)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`freePort: no bindable port on ${host} in ${min}..${max} after ${attempts} attempts`);
}

/** `n` distinct ports, each verified bindable on `host`. */
export async function freePorts(n: number, host = '127.0.0.1', options: FreePortOptions = {}): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < n) ports.push(await freePort(host, options));
  return ports;
}
