/**
 * Fake ZooKeeper client ports on loopback (127.0.0.1 unless told) for what a real ZooKeeper cannot do on demand:
 * hang forever, answer garbage, answer an endless reply, or answer canned four-letter replies.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import { freePort } from './ports.js';

export type FakeZkBehaviour =
  /** Accepts connections, reads and ignores what is sent, never answers nor closes. */
  | { kind: 'hang' }
  /** After the command arrives, answers `bytes` (default 512) random binary bytes, then closes. */
  | { kind: 'garbage'; bytes?: number }
  /** After the command arrives, streams `bytes` bytes of `zk_x\t1\n`-like lines (respecting backpressure), then closes. */
  | { kind: 'huge'; bytes: number }
  /** Reads the 4-letter command, answers `replies[cmd]` (empty reply when unknown, like ZooKeeper), closes. */
  | { kind: 'reply'; replies: Record<string, string> };

export interface FakeZkOptions {
  /**
   * The loopback address to listen on. A test that counts connections listens on an address of its own
   * (`privateLoopbackAddress()`): a port freed by one test process can be handed to another while a receiver or a
   * ZooKeeper peer of the first still dials it on 127.0.0.1, and those strays would count.
   */
  readonly host?: string;
}

export interface FakeZk {
  readonly host: string;
  readonly port: number;
  /** 'host:port' */
  readonly endpoint: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Connections currently open. */
  readonly open: number;
  /** Bytes written to clients so far (over all connections). */
  readonly bytesSent: number;
  /** The commands received so far (first 4 bytes of each connection that sent something). */
  readonly commands: readonly string[];
  /** Destroys open sockets and stops listening. */
  close(): Promise<void>;
}

const HUGE_CHUNK = buildHugeChunk(64 * 1024);

function buildHugeChunk(size: number): Buffer {
  const lines: string[] = [];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const line = `zk_x_${i}\t1\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, size);
}

function waitDrainOrClose(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}

/** A random address in 127.64.0.0/10 that no other test dials (they use 127.0.0.1, and DNS tests 127.0.0.x). */
export function privateLoopbackAddress(): string {
  const byte = () => 1 + crypto.randomInt(254);
  return `127.${64 + crypto.randomInt(64)}.${byte()}.${byte()}`;
}

export async function startFakeZk(behaviour: FakeZkBehaviour, options: FakeZkOptions = {}): Promise<FakeZk> {
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<net.Socket>();
  const commands: string[] = [];
  let connections = 0;
  let bytesSent = 0;

  const write = (socket: net.Socket, data: Buffer | string): boolean => {
    if (socket.destroyed) return false;
    bytesSent += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    return socket.write(data);
  };

  const streamHuge = async (socket: net.Socket, total: number): Promise<void> => {
    let remaining = total;
    while (remaining > 0 && !socket.destroyed && socket.writable) {
      const chunk = remaining >= HUGE_CHUNK.length ? HUGE_CHUNK : HUGE_CHUNK.subarray(0, remaining);
      remaining -= chunk.length;
      if (!write(socket, chunk)) await waitDrainOrClose(socket);
    }
    if (!socket.destroyed) socket.end();
  };

  const onCommand = (socket: net.Socket, cmd: string): void => {
    commands.push(cmd);
    switch (behaviour.kind) {
      case 'hang':
        return;
      case 'garbage':
        write(socket, crypto.randomBytes(behaviour.bytes ?? 512));
        socket.end();
        return;
      case 'huge':
        void streamHuge(socket, behaviour.bytes);
        return;
      case 'reply': {
        const reply = Object.hasOwn(behaviour.replies, cmd) ? behaviour.replies[cmd] : undefined;
        if (reply !== undefined && reply.length > 0) write(socket, reply);
        socket.end();
        return;
      }
    }
  };

  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {
      // clients going away mid-reply is part of the game
    });
    let received = Buffer.alloc(0);
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      received = Buffer.concat([received, chunk]);
      // Four-letter commands are 4 bytes; 'garbage'/'huge'/'hang' answer on the first chunk whatever it is.
      if (behaviour.kind === 'reply' && received.length < 4) return;
      answered = true;
      onCommand(socket, received.subarray(0, 4).toString('latin1'));
    });
  });

  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort(host);
    const ok = await new Promise<boolean>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        if (err.code === 'EADDRINUSE' && attempt < 10) resolve(false);
        else reject(err);
      };
      server.once('error', onError);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', onError);
        resolve(true);
      });
    });
    if (ok) break;
  }

  let closed: Promise<void> | undefined;
  return {
    host,
    port,
    endpoint: `${host}:${port}`,
    get connections() {
      return connections;
    },
    get open() {
      return sockets.size;
    },
    get bytesSent() {
      return bytesSent;
    },
    commands,
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}
