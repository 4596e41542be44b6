import type { HostPort } from '../../core/config/schema.js';
import type { FourLetterWord } from './config.js';
import { ProbeError, sendFourLetterWord } from './four-letter-word.js';
import { parseMntr, parseRuok, parseSrvr, type MntrReply, type SrvrReply } from './parse.js';
import { DEFAULT_CONS_MAX_ADDRESSES, parseConf, parseCons, parseEnvi, parseIsro, parseStat, parseWchs, type ConfReply, type ConsReply, type EnviReply, type IsroReply, type WchsReply } from './parse-extra.js';

export interface Replies {
  mntr?: MntrReply;
  ruok?: boolean;
  srvr?: SrvrReply;
  stat?: SrvrReply;
  isro?: IsroReply;
  wchs?: WchsReply;
  envi?: EnviReply;
  conf?: ConfReply;
  cons?: ConsReply;
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
  /** `cons`: client addresses kept before the rest are summed as "other". */
  readonly consMaxAddresses?: number;
  /** Aborted when the receiver stops: every exchange in flight ends at once. */
  readonly signal: AbortSignal;
}

type Parsers = { readonly [C in FourLetterWord]-?: (reply: string) => NonNullable<Replies[C]> };

const parsersFor = (consMaxAddresses: number): Parsers => ({
  mntr: parseMntr,
  ruok: parseRuok,
  srvr: parseSrvr,
  stat: parseStat,
  isro: parseIsro,
  wchs: parseWchs,
  envi: parseEnvi,
  conf: parseConf,
  cons: (reply) => parseCons(reply, consMaxAddresses),
});
const DEFAULT_PARSERS = parsersFor(DEFAULT_CONS_MAX_ADDRESSES);

/** Sends every command concurrently, each on its own connection, all under one deadline. Never rejects. */
export async function probeEndpoint(endpoint: HostPort, options: ProbeOptions): Promise<ProbeOutcome> {
  const started = performance.now();
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), options.timeoutMs);
  const signal = AbortSignal.any([deadline.signal, options.signal]);
  const replies: Replies = {};
  const failures: CommandFailure[] = [];
  const parsers = options.consMaxAddresses === undefined || options.consMaxAddresses === DEFAULT_CONS_MAX_ADDRESSES ? DEFAULT_PARSERS : parsersFor(options.consMaxAddresses);
  try {
    await Promise.all(
      options.commands.map(async (command) => {
        try {
          const text = await sendFourLetterWord(command, { ...endpoint, signal, maxBytes: options.maxBytes });
          (replies as Record<string, unknown>)[command] = parsers[command](text);
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
