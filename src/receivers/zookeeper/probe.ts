import type { FourLetterWord } from './config.js';
import { ProbeError } from './four-letter-word.js';
import type { Replies, Transport } from './transport.js';

export type { Replies } from './transport.js';

export interface CommandFailure {
  readonly command: FourLetterWord;
  readonly error: ProbeError;
}

/** What one probe of one endpoint found: the parsed replies of the commands that worked, and why the others failed. */
export interface ProbeOutcome {
  readonly replies: Replies;
  readonly failures: readonly CommandFailure[];
  readonly durationMs: number;
}

export interface ProbeOptions {
  readonly commands: readonly FourLetterWord[];
  readonly timeoutMs: number;
  readonly maxBytes: number;
  /** Aborted when the receiver stops: every exchange in flight ends at once. */
  readonly signal: AbortSignal;
  /** How commands reach the server (four-letter words or the AdminServer); its owner closes it. */
  readonly transport: Transport;
}

/** The abort reason of a passed deadline: one shared object, so aborting a probe builds no DOMException. */
const DEADLINE_PASSED = Object.freeze(new ProbeError('timeout', 'the probe deadline passed'));

/**
 * Sends every command concurrently (four-letter words: each on its own connection), all under one deadline. Never rejects.
 * One AbortController and one timer per probe: the receiver's stop signal is forwarded by a listener removed at the
 * end (AbortSignal.any would build a dependent signal per probe, and an abort() without a reason a DOMException).
 * Each command is one transport Promise and its two callbacks: no async wrapper or Promise.all per probe.
 */
export function probeEndpoint(options: ProbeOptions): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const deadline = new AbortController();
    const stopped = options.signal;
    const forwardStop = () => deadline.abort(stopped.reason);
    if (stopped.aborted) forwardStop();
    else stopped.addEventListener('abort', forwardStop, ONCE);
    const timer = setTimeout(expireAfterPendingReads, options.timeoutMs, deadline);
    const request = { signal: deadline.signal, maxBytes: options.maxBytes };
    const replies: Replies = {};
    const failures: CommandFailure[] = [];
    const { commands, transport } = options;
    let pending = commands.length;
    const settled = () => {
      if (--pending > 0) return;
      clearTimeout(timer);
      stopped.removeEventListener('abort', forwardStop);
      // Report failures in the configured command order so the first-listed cause is the one shown.
      if (failures.length > 1) failures.sort((a, b) => commands.indexOf(a.command) - commands.indexOf(b.command));
      resolve({ replies, failures, durationMs: performance.now() - started });
    };
    pending++;
    for (const command of commands) {
      const failed = (error: unknown) => {
        failures.push({ command, error: error instanceof ProbeError ? error : new ProbeError('bad_response', `${command}: ${String(error)}`) });
        settled();
      };
      let reply;
      try {
        reply = transport.request(command, request);
      } catch (error) {
        failed(error);
        continue;
      }
      reply.then((value) => {
        (replies as Record<string, unknown>)[command] = value;
        settled();
      }, failed);
    }
    settled();
  });
}

const ONCE = Object.freeze({ once: true });

/**
 * The deadline passes two event-loop turns late on purpose: timers run before the loop polls for I/O, so after a
 * stall of the agent (a long scrape, a starved CPU) a deadline timer would fire while the reply sits unread in the
 * socket, and a server that answered in time would be reported down. setImmediate runs after a poll; two, because
 * libuv stops reading a socket at a short read, so a reply and the server's close are read in two polls.
 */
function expireAfterPendingReads(deadline: AbortController): void {
  setImmediate(expireNextTurn, deadline);
}
function expireNextTurn(deadline: AbortController): void {
  setImmediate(expire, deadline);
}
function expire(deadline: AbortController): void {
  deadline.abort(DEADLINE_PASSED);
}
