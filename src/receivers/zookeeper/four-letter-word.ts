import net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
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
  return exchange(command, options.host, options.port, options.signal, options.maxBytes, asText, options.tls);
}

const asText = (text: string): string => text;

/**
 * One command on a new connection, its reply parsed by `parse` (a parse error rejects): one Promise per command.
 * Plain connections read through `onread` into one static buffer, without a Buffer per chunk or the stream's
 * 'data' machinery; the socket's listeners are module functions that find their exchange on the socket.
 */
export function exchange<T>(
  command: string,
  host: string,
  port: number,
  signal: AbortSignal,
  maxBytes: number,
  parse: (reply: string) => T,
  secure?: TlsExchange,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const state = new Exchange(command, maxBytes, signal, parse, resolve, reject, secure?.options);
    if (signal.aborted) return state.handleEvent();
    let socket: net.Socket;
    if (secure) {
      socket = tls.connect({ ...secure.options, host, port, ...(secure.session ? { session: secure.session } : {}) });
      socket.on('secureConnect', onSecureConnect);
      if (secure.onSession) socket.on('session', secure.onSession);
      socket.on('data', onData);
    } else {
      socket = net.connect({ host, port, onread: { buffer: READ_BUFFER, callback: onRead } });
      socket.on('connect', onConnect);
    }
    (socket as ExchangeSocket)[EXCHANGE] = state as Exchange<unknown>;
    state.socket = socket;
    // No half-close after the command: some servers drop the reply of a client that shut its side down.
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
    signal.addEventListener('abort', state);
  });
}

/**
 * Where every plain connection's reads land: onread callbacks run one at a time on the event loop, and each
 * decodes its bytes before returning, so one buffer serves every exchange. 64 KB: a whole mntr reply in one read.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
const EXCHANGE = Symbol('fourLetterWordExchange');
type ExchangeSocket = net.Socket & { [EXCHANGE]: Exchange<unknown> };
/** Each command's bytes, encoded once. */
const COMMAND_BYTES = new Map<string, Buffer>();

function onConnect(this: ExchangeSocket): void {
  const { command } = this[EXCHANGE];
  let bytes = COMMAND_BYTES.get(command);
  if (!bytes) COMMAND_BYTES.set(command, (bytes = Buffer.from(command, 'latin1')));
  this.write(bytes);
}
function onSecureConnect(this: ExchangeSocket): void {
  this[EXCHANGE].handshaken = true;
  this.write(this[EXCHANGE].command);
}
function onRead(this: ExchangeSocket, length: number, buffer: Buffer): boolean {
  return this[EXCHANGE].take(buffer, length);
}
function onData(this: ExchangeSocket, chunk: Buffer): void {
  this[EXCHANGE].take(chunk, chunk.length);
}
function onEnd(this: ExchangeSocket): void {
  this[EXCHANGE].ended();
}
function onError(this: ExchangeSocket, error: NodeJS.ErrnoException): void {
  this[EXCHANGE].failed(error);
}

/** The state of one exchange; it is also its abort listener (handleEvent), so no closure is made per exchange. */
class Exchange<T> {
  socket: net.Socket | undefined;
  handshaken = false;
  private text = '';
  private received = 0;
  /** Only when a chunk ended inside a multi-byte character: UTF-8 decoded chunk by chunk, as one whole reply would be. */
  private decoder: StringDecoder | undefined;
  private settled = false;

  constructor(
    readonly command: string,
    private readonly maxBytes: number,
    private readonly signal: AbortSignal,
    private readonly parse: (reply: string) => T,
    private readonly resolve: (value: T) => void,
    private readonly reject: (error: ProbeError) => void,
    /** With TLS: the connection options, to name handshake failures. */
    private readonly tlsOptions: tls.ConnectionOptions | undefined,
  ) {}

  /** Takes `length` bytes of `buffer`; false once the exchange is over (stops reading). */
  take(buffer: Buffer, length: number): boolean {
    if (this.settled) return false;
    this.received += length;
    if (this.received > this.maxBytes) {
      this.finish(new ProbeError('too_large', `${this.command}: reply exceeds max_response_bytes (${this.maxBytes})`));
      return false;
    }
    if (this.decoder) this.text += this.decoder.write(buffer.subarray(0, length));
    else if (buffer[length - 1]! < 0x80) this.text += buffer.toString('utf8', 0, length);
    else this.text += (this.decoder = new StringDecoder('utf8')).write(buffer.subarray(0, length));
    return true;
  }

  /** The server closed the connection: the reply is complete, unless the TLS handshake never finished. */
  ended(): void {
    // A close during the TLS handshake is a TLS failure (a plain port, a rejected client), not an empty reply.
    this.finish(
      this.tlsOptions && !this.handshaken
        ? new ProbeError(
            'tls_handshake',
            `${this.command}: the server closed the connection during the TLS handshake (not a TLS port, or it rejected the client?)`,
          )
        : undefined,
    );
  }

  failed(error: NodeJS.ErrnoException): void {
    this.finish((this.tlsOptions && tlsProbeError(this.command, error, this.tlsOptions)) || classifySocketError(this.command, error));
  }

  /** The probe's deadline passed, or the receiver stopped. */
  handleEvent(): void {
    this.finish(new ProbeError('timeout', `${this.command}: no complete reply before the deadline`));
  }

  private finish(error: ProbeError | undefined): void {
    if (this.settled) return;
    this.settled = true;
    this.signal.removeEventListener('abort', this);
    this.socket?.destroy();
    // The exchange outlives its reply by a good while (the socket closes on a later turn): let the reply go now.
    // Kept, the ~16 KB mntr text of every probe was promoted to the old generation (load bench, 1,000 targets:
    // 26 -> 11 MB/s promoted, a third fewer full collections).
    this.socket = undefined;
    const text = this.text;
    this.text = '';
    if (error) return this.reject(error);
    let value: T;
    try {
      value = this.parse(this.decoder ? text + this.decoder.end() : text);
    } catch (parseError) {
      return this.reject(parseError instanceof ProbeError ? parseError : new ProbeError('bad_response', `${this.command}: ${String(parseError)}`));
    }
    this.resolve(value);
  }
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
      return new ProbeError(
        'descriptors_exhausted',
        `${command}: the agent has no file descriptor left for a connection (${error.code}): raise its open-files limit (ulimit -n, LimitNOFILE) or lower the number of targets`,
      );
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
