import type { HostPort } from '../../core/config/schema.js';
import type { FourLetterWord } from './config.js';
import { ProbeError, sendFourLetterWord } from './four-letter-word.js';
import { parseMntr, parseRuok, parseSrvr, type MntrReply, type SrvrReply } from './parse.js';

export interface Replies {
  mntr?: MntrReply;
  ruok?: boolean;
  srvr?: SrvrReply;
}

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
}

const PARSERS = { mntr: parseMntr, ruok: parseRuok, srvr: parseSrvr } as const;

/** Sends every command concurrently, each on its own connection, all under one deadline. Never rejects. */
export async function probeEndpoint(endpoint: HostPort, options: ProbeOptions): Promise<ProbeOutcome> {
  const started = performance.now();
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), options.timeoutMs);
  const signal = AbortSignal.any([deadline.signal, options.signal]);
  const replies: Replies = {};
  const failures: CommandFailure[] = [];
  try {
    await Promise.all(
      options.commands.map(async (command) => {
        try {
          const text = await sendFourLetterWord(command, { ...endpoint, signal, maxBytes: options.maxBytes });
          (replies as Record<string, unknown>)[command] = PARSERS[command](text);
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
