import { connect } from 'node:net';
import tls from 'node:tls';
import { describeTlsError, type TlsFailureKind } from '../../internal/tls/client-tls.js';

/** Why a probe failed; each becomes the `reason` attribute of `zookeeper.probe.failure`. */
export type FailureReason =
  | 'refused'
  | 'timeout'
  | 'unreachable'
  | 'connection_error'
  /** The agent itself ran out of file descriptors (EMFILE/ENFILE): not the server's fault. */
  | 'descriptors_exhausted'
  | 'not_serving'
  | 'not_whitelisted'
  | 'bad_response'
  | 'too_large'
  /** AdminServer: the command is not known to this server (`"error": "Unknown command: ..."`). */
  | 'unknown_command'
  /** AdminServer: any other `"error"` the server put in its JSON reply. */
  | 'server_error'
  /** TLS handshake failures, by kind (see internal/tls/client-tls.ts). */
  | `tls_${TlsFailureKind}`;

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
  /** Speak TLS (ZooKeeper's secure client port). */
  readonly tls?: TlsExchange;
  /** Aborting ends the exchange at once; the caller aborts when the probe's deadline passes. */
  readonly signal: AbortSignal;
  readonly maxBytes: number;
}

export interface TlsExchange {
  /** From ClientTlsLoader.connectionOptions: secure context, SNI name, verification. */
  readonly options: tls.ConnectionOptions;
  /** A session of an earlier connection to resume (skips the full handshake). */
  readonly session?: Buffer;
  /** Called with the session (ticket) the server issued, for the next connection. */
  readonly onSession?: (session: Buffer) => void;
}

const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests';
const NOT_WHITELISTED = /is not executed because it is not in the whitelist/;

/** Sends one four-letter word on a new connection and reads the reply until the server closes it. */
export function sendFourLetterWord(command: string, options: FourLetterWordOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const secure = options.tls;
    const socket = secure
      ? tls.connect({ ...secure.options, host: options.host, port: options.port, ...(secure.session ? { session: secure.session } : {}) })
      : connect({ host: options.host, port: options.port });
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
    let handshaken = false;
    if (secure) {
      socket.on('secureConnect', () => {
        handshaken = true;
        socket.write(command);
      });
      if (secure.onSession) socket.on('session', secure.onSession);
    } else {
      socket.on('connect', () => socket.write(command));
    }
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > options.maxBytes) return finish(new ProbeError('too_large', `${command}: reply exceeds max_response_bytes (${options.maxBytes})`));
      chunks.push(chunk);
    });
    // A close during the TLS handshake is a TLS failure (a plain port, a rejected client), not an empty reply.
    const ended = () => finish(secure && !handshaken ? new ProbeError('tls_handshake', `${command}: the server closed the connection during the TLS handshake (not a TLS port, or it rejected the client?)`) : undefined);
    socket.on('end', ended);
    socket.on('close', ended);
    socket.on('error', (error: NodeJS.ErrnoException) => finish((secure && tlsProbeError(command, error, secure.options)) || classifySocketError(command, error)));
  });
}

/** A TLS failure as a ProbeError with reason `tls_<kind>`, or undefined when the error is not about TLS. */
export function tlsProbeError(command: string, error: unknown, options: tls.ConnectionOptions): ProbeError | undefined {
  const failure = describeTlsError(error, options.servername ?? options.host, options.cert !== undefined);
  return failure ? new ProbeError(`tls_${failure.kind}`, `${command}: ${failure.message}`) : undefined;
}

export function classifySocketError(command: string, error: NodeJS.ErrnoException): ProbeError {
  switch (error.code) {
    case 'ECONNREFUSED':
      return new ProbeError('refused', `${command}: connection refused`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return new ProbeError('unreachable', `${command}: ${error.code} ${error.message}`);
    case 'EMFILE':
    case 'ENFILE':
      // Node's own message names a local address that was never bound ("Local (undefined:undefined)").
      return new ProbeError('descriptors_exhausted', `${command}: the agent has no file descriptor left for a connection (${error.code}): raise its open-files limit (ulimit -n, LimitNOFILE) or lower the number of targets`);
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
