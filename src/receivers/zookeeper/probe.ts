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

/** Sends every command concurrently (four-letter words: each on its own connection), all under one deadline. Never rejects. */
export async function probeEndpoint(options: ProbeOptions): Promise<ProbeOutcome> {
  const started = performance.now();
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), options.timeoutMs);
  const signal = AbortSignal.any([deadline.signal, options.signal]);
  const replies: Replies = {};
  const failures: CommandFailure[] = [];
  const { transport } = options;
  try {
    await Promise.all(
      options.commands.map(async (command) => {
        try {
          (replies as Record<string, unknown>)[command] = await transport.request(command, { signal, maxBytes: options.maxBytes });
        } catch (error) {
          failures.push({ command, error: error instanceof ProbeError ? error : new ProbeError('bad_response', `${command}: ${String(error)}`) });
        }
      }),
    );
  } finally {
    clearTimeout(timer);
  }
  // Report failures in the configured command order so the first-listed cause is the one shown.
  failures.sort((a, b) => options.commands.indexOf(a.command) - options.commands.indexOf(b.command));
  return { replies, failures, durationMs: performance.now() - started };
}
