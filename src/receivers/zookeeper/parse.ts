import { checkCommonReplies, ProbeError } from './four-letter-word.js';

export interface MntrReply {
  /** Numeric keys without the `zk_` prefix, in reply order. */
  readonly numbers: ReadonlyMap<string, number>;
  /** Non-numeric keys without the `zk_` prefix (version, server_state, peer_state, ...). */
  readonly strings: ReadonlyMap<string, string>;
  /** Lines that are not `zk_<key><TAB><value>`. */
  readonly oddLines: readonly string[];
}

const NUMBER = /^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|NaN|Infinity)$/;

/**
 * Whitespace as String.prototype.trim sees it, within ASCII and within a line (other whitespace takes the slow path).
 * Not the line feed: MntrParser trims values between line heads, and a line feed there means another line.
 */
const isAsciiSpace = (code: number): boolean => code === 32 || code === 9 || (code >= 11 && code <= 13);
/** The first place at or after `from` (up to `to`) that is not ASCII whitespace. */
export function skipSpaceForward(text: string, from: number, to: number): number {
  while (from < to && isAsciiSpace(text.charCodeAt(from))) from++;
  return from;
}
/** The end of `text` between `from` and `to` without its trailing ASCII whitespace. */
export function skipSpaceBack(text: string, from: number, to: number): number {
  while (to > from && isAsciiSpace(text.charCodeAt(to - 1))) to--;
  return to;
}
const MAX_FAST_DIGITS = 15;

/**
 * Parses `mntr`: `zk_key<TAB>value` per line. Any line can be odd without losing the others. The hot path makes
 * one string per line (the key): integer values, nearly all of them, are read digit by digit from the reply.
 * `keys`, when given, receives the key of every `zk_` line in reply order (MntrParser remembers them; mntr-parser.ts).
 */
export function parseMntr(reply: string, keys?: string[]): MntrReply {
  checkCommonReplies('mntr', reply);
  const numbers = new Map<string, number>();
  const strings = new Map<string, string>();
  const oddLines: string[] = [];
  let start = 0;
  while (start < reply.length) {
    let end = reply.indexOf('\n', start);
    if (end === -1) end = reply.length;
    const lineEnd = reply.charCodeAt(end - 1) === 13 && end > start ? end - 1 : end;
    const lineStart = start;
    start = end + 1;
    if (lineEnd === lineStart) continue;
    const tab = reply.indexOf('\t', lineStart);
    // `zk_` then at least one key character, then a tab on this line.
    if (
      tab === -1 ||
      tab >= lineEnd ||
      tab <= lineStart + 3 ||
      reply.charCodeAt(lineStart) !== 122 ||
      reply.charCodeAt(lineStart + 1) !== 107 ||
      reply.charCodeAt(lineStart + 2) !== 95
    ) {
      oddLines.push(reply.slice(lineStart, lineEnd));
      continue;
    }
    const key = reply.slice(lineStart + 3, tab);
    keys?.push(key);
    const from = skipSpaceForward(reply, tab + 1, lineEnd);
    const to = skipSpaceBack(reply, from, lineEnd);
    const number = numberAt(reply, from, to);
    if (number !== undefined) numbers.set(key, number);
    else strings.set(key, detached(reply.slice(from, to).trim()));
  }
  if (numbers.size === 0) throw new ProbeError('bad_response', `mntr: no zk_<key><TAB><number> line in a ${reply.length}-byte reply`);
  return { numbers, strings, oddLines };
}

/**
 * A copy of `text` that does not point into the reply: V8 slices of 13+ characters keep their whole parent alive,
 * and string values (version, state) end up in attribute sets cached per endpoint — one 17 KB reply held per
 * target otherwise. A JSON round trip is lossless and makes a flat string of its own.
 */
export function detached(text: string): string {
  return text.length < 13 ? text : (JSON.parse(JSON.stringify(text)) as string);
}

/**
 * The number between `from` and `to` (no surrounding whitespace), or undefined when it is not one: plain decimals,
 * nearly all values, digit by digit; anything else as a slice checked against the number syntax.
 */
export function numberAt(text: string, from: number, to: number): number | undefined {
  const plain = readPlainNumber(text, from, to);
  if (plain !== undefined) return plain;
  const value = text.slice(from, to).trim();
  return NUMBER.test(value) ? Number(value) : undefined;
}

/**
 * `[-+]?\d+(\.\d*)?` with at most 15 digits between `from` and `to` as a number, else undefined. Exact as Number()
 * reads it: the digits make an integer below 2^53 and 10^15 is a double, so dividing one by the other is the one
 * correctly rounded step Number() also takes.
 */
export function readPlainNumber(text: string, from: number, to: number): number | undefined {
  let sign = 1;
  const first = text.charCodeAt(from);
  if (first === 45 || first === 43) {
    if (first === 45) sign = -1;
    from++;
  }
  if (from >= to || text.charCodeAt(from) === 46) return undefined;
  let value = 0;
  let digits = 0;
  let fractionDigits = -1; // -1: no decimal point yet
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code === 46) {
      if (fractionDigits !== -1) return undefined;
      fractionDigits = 0;
      continue;
    }
    const digit = code - 48;
    if (digit < 0 || digit > 9 || ++digits > MAX_FAST_DIGITS) return undefined;
    value = value * 10 + digit;
    if (fractionDigits !== -1) fractionDigits++;
  }
  return sign * (fractionDigits > 0 ? value / POWERS_OF_TEN[fractionDigits]! : value);
}
const POWERS_OF_TEN = Array.from({ length: MAX_FAST_DIGITS + 1 }, (_, exponent) => Number(`1e${exponent}`));

export function parseRuok(reply: string): boolean {
  if (reply.trim() === 'imok') return true;
  checkCommonReplies('ruok', reply);
  throw new ProbeError('bad_response', `ruok: expected "imok", got ${JSON.stringify(reply.slice(0, 40))}`);
}

export interface SrvrReply {
  readonly version?: string;
  readonly mode: string;
  readonly latencyMin?: number;
  readonly latencyAvg?: number;
  readonly latencyMax?: number;
  readonly received?: number;
  readonly sent?: number;
  readonly connections?: number;
  readonly outstanding?: number;
  readonly zxid?: bigint;
  readonly nodeCount?: number;
  /** Leader only: `Proposal sizes last/min/max` in bytes (-1 until the first proposal). */
  readonly proposalSizeLast?: number;
  readonly proposalSizeMin?: number;
  readonly proposalSizeMax?: number;
}

/** Parses `srvr` (also the first lines of `stat`): `Name: value` lines. */
export function parseSrvr(reply: string): SrvrReply {
  checkCommonReplies('srvr', reply);
  const fields = new Map<string, string>();
  for (const line of reply.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const mode = fields.get('Mode');
  if (!mode) throw new ProbeError('bad_response', 'srvr: no "Mode:" line in the reply');
  const latency = fields.get('Latency min/avg/max')?.split('/').map(optionalNumber);
  const zxid = fields.get('Zxid');
  const proposals = fields.get('Proposal sizes last/min/max')?.split('/').map(optionalNumber);
  return {
    version: fields.get('Zookeeper version')?.split(',')[0],
    mode,
    latencyMin: latency?.[0],
    latencyAvg: latency?.[1],
    latencyMax: latency?.[2],
    received: optionalNumber(fields.get('Received')),
    sent: optionalNumber(fields.get('Sent')),
    connections: optionalNumber(fields.get('Connections')),
    outstanding: optionalNumber(fields.get('Outstanding')),
    zxid: zxid && /^0x[0-9a-fA-F]+$/.test(zxid) ? BigInt(zxid) : undefined,
    nodeCount: optionalNumber(fields.get('Node count')),
    ...(proposals ? { proposalSizeLast: proposals[0], proposalSizeMin: proposals[1], proposalSizeMax: proposals[2] } : {}),
  };
}

function optionalNumber(text: string | undefined): number | undefined {
  // Number('') is 0: a blank value is no value.
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}
