import { connect } from 'node:net';

/** Why a probe failed; each becomes the `reason` attribute of `zookeeper.probe.failure`. */
export type FailureReason =
  | 'refused'
  | 'timeout'
  | 'unreachable'
  | 'connection_error'
  | 'not_serving'
  | 'not_whitelisted'
  | 'bad_response'
  | 'too_large';

export class ProbeError extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'ProbeError';
  }
}

export interface FourLetterWordOptions {
  readonly host: string;
  readonly port: number;
  /** Aborting ends the exchange at once; the caller aborts when the probe's deadline passes. */
  readonly signal: AbortSignal;
  readonly maxBytes: number;
}

const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests';
const NOT_WHITELISTED = /is not executed because it is not in the whitelist/;

/** Sends one four-letter word on a new connection and reads the reply until the server closes it. */
export function sendFourLetterWord(command: string, options: FourLetterWordOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const socket = connect({ host: options.host, port: options.port });
    const finish = (error: ProbeError | undefined) => {
      if (settled) return;
      settled = true;
      options.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, received).toString('utf8'));
    };
    const onAbort = () => finish(new ProbeError('timeout', `${command}: no complete reply before the deadline`));
    if (options.signal.aborted) return onAbort();
    options.signal.addEventListener('abort', onAbort, { once: true });
    // No half-close after the command: some servers drop the reply of a client that shut its side down.
    socket.on('connect', () => socket.write(command));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > options.maxBytes) return finish(new ProbeError('too_large', `${command}: reply exceeds max_response_bytes (${options.maxBytes})`));
      chunks.push(chunk);
    });
    socket.on('end', () => finish(undefined));
    socket.on('close', () => finish(undefined));
    socket.on('error', (error: NodeJS.ErrnoException) => finish(classifySocketError(command, error)));
  });
}

function classifySocketError(command: string, error: NodeJS.ErrnoException): ProbeError {
  switch (error.code) {
    case 'ECONNREFUSED':
      return new ProbeError('refused', `${command}: connection refused`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return new ProbeError('unreachable', `${command}: ${error.code} ${error.message}`);
    default:
      return new ProbeError('connection_error', `${command}: ${error.code ?? ''} ${error.message}`.trim());
  }
}

/** Replies every command can get instead of its own: they mean the same whatever was asked. */
export function checkCommonReplies(command: string, reply: string): void {
  if (reply.length === 0) throw new ProbeError('bad_response', `${command}: empty reply (unknown command, or not a ZooKeeper server)`);
  if (reply.startsWith(NOT_SERVING)) throw new ProbeError('not_serving', `${command}: server is not serving requests (no quorum?)`);
  if (NOT_WHITELISTED.test(reply)) throw new ProbeError('not_whitelisted', `${command}: not in the server's 4lw.commands.whitelist`);
}
