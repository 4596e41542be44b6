/**
 * Why a server does not give us a session. node-zookeeper-client only sees "connection lost" when a server
 * closes the connection during the handshake, which is what a server without quorum does, and also what a
 * server in read-only mode does to a client that does not accept read-only sessions (this library cannot).
 *
 * So we ask ourselves, on a separate connection: a ZooKeeper ConnectRequest that accepts a read-only session
 * (the `readOnly` flag, protocol 3.4+). A read-write server answers with a session (closed again at once); a
 * read-only one answers with a read-only session or with the NOTREADONLY error (-119, what 3.8 sends when it
 * cannot create a global session); a server without quorum closes without a word.
 */
import type { SchedulerLike } from 'rxjs';
import type { HostPort } from '../../core/config/schema.js';
import { DialError, type Dial } from '../../internal/zkclient/dial.js';

/** ZooKeeper's NOTREADONLY error code. */
const NOT_READ_ONLY = -119;
const CLOSE_SESSION_OP = -11;

export type ServerVerdict =
  /** It gave a read-write session: the server serves; the failure was something else. */
  { readonly kind: 'serving' } | { readonly kind: 'failed'; readonly code: string; readonly message: string };

/** Asks within `timeoutMs` (dial and handshake together) on `scheduler`'s clock. */
export async function askServer(dial: Dial, address: HostPort, sessionTimeoutMs: number, timeoutMs: number, scheduler: SchedulerLike): Promise<ServerVerdict> {
  const deadline = scheduler.now() + timeoutMs;
  let socket;
  try {
    socket = await dial(address, timeoutMs);
  } catch (error) {
    const dialError = error instanceof DialError ? error : new DialError('CONNECTION_LOSS', String(error));
    return { kind: 'failed', code: dialError.code, message: dialError.message };
  }
  return new Promise<ServerVerdict>((resolve) => {
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (verdict: ServerVerdict) => {
      if (settled) return;
      settled = true;
      timer.unsubscribe();
      socket.removeAllListeners('data');
      if (verdict.kind === 'serving') {
        // Close the session we were given rather than leave it to expire; end() flushes the request first.
        socket.end(frame(closeSessionRequest()));
        // A server that does not close its side within a second loses the socket; the timer ends with the socket, so
        // it keeps nothing alive that the socket does not.
        const drop = scheduler.schedule(() => socket.destroy(), 1000);
        socket.once('close', () => drop.unsubscribe());
      } else {
        socket.destroy();
      }
      resolve(verdict);
    };
    const timer = scheduler.schedule(
      () =>
        finish({ kind: 'failed', code: 'OPERATION_TIMEOUT', message: 'the server accepted the connection but did not answer the session handshake in time' }),
      Math.max(0, deadline - scheduler.now()),
    );
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
      finish(readReply(received.subarray(4, 4 + received.readInt32BE(0))));
    });
    socket.once('close', () =>
      finish({
        kind: 'failed',
        code: 'NO_QUORUM',
        message: 'the server closed the connection without a session: it is not serving requests (no quorum, or still starting)',
      }),
    );
    socket.write(frame(connectRequest(sessionTimeoutMs)));
  });
}

const READ_ONLY: ServerVerdict = { kind: 'failed', code: 'READ_ONLY', message: 'the server is in read-only mode (no quorum): it refuses read-write sessions' };

function readReply(body: Buffer): ServerVerdict {
  // A reply header instead of a ConnectResponse: xid, zxid, err.
  if (body.length === 16)
    return body.readInt32BE(12) === NOT_READ_ONLY
      ? READ_ONLY
      : { kind: 'failed', code: 'CONNECTION_LOSS', message: `handshake refused with error ${body.readInt32BE(12)}` };
  // ConnectResponse: protocolVersion, timeOut, sessionId, passwd (length-prefixed), readOnly.
  if (body.length < 20) return { kind: 'failed', code: 'CONNECTION_LOSS', message: 'unexpected handshake reply' };
  const passwordLength = body.readInt32BE(16);
  const readOnly = body[20 + Math.max(0, passwordLength)] === 1;
  return readOnly ? READ_ONLY : { kind: 'serving' };
}

function connectRequest(sessionTimeoutMs: number): Buffer {
  const body = Buffer.alloc(4 + 8 + 4 + 8 + 4 + 16 + 1);
  let offset = body.writeInt32BE(0, 0); // protocolVersion
  offset += 8; // lastZxidSeen 0
  offset = body.writeInt32BE(sessionTimeoutMs, offset);
  offset += 8; // sessionId 0: a new session
  offset = body.writeInt32BE(16, offset); // passwd: 16 zero bytes
  offset += 16;
  body.writeUInt8(1, offset); // readOnly: we accept a read-only session
  return body;
}

function closeSessionRequest(): Buffer {
  const body = Buffer.alloc(8);
  body.writeInt32BE(1, 0); // xid
  body.writeInt32BE(CLOSE_SESSION_OP, 4);
  return body;
}

function frame(body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length, 0);
  return Buffer.concat([length, body]);
}
