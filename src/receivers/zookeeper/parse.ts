import { checkCommonReplies, ProbeError } from './four-letter-word.js';

export interface MntrReply {
  /** Numeric keys without the `zk_` prefix, in reply order. */
  readonly numbers: Map<string, number>;
  /** Non-numeric keys without the `zk_` prefix (version, server_state, peer_state, ...). */
  readonly strings: Map<string, string>;
  /** Lines that are not `zk_<key><TAB><value>`. */
  readonly oddLines: string[];
}

const NUMBER = /^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|NaN|Infinity)$/;

/** Whitespace as String.prototype.trim sees it, within ASCII (other whitespace takes the slow path). */
const isAsciiSpace = (code: number): boolean => code === 32 || (code >= 9 && code <= 13);
const MAX_FAST_DIGITS = 15;

/**
 * Parses `mntr`: `zk_key<TAB>value` per line. Any line can be odd without losing the others. The hot path makes
 * one string per line (the key): integer values, nearly all of them, are read digit by digit from the reply.
 */
export function parseMntr(reply: string): MntrReply {
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
    let from = tab + 1;
    let to = lineEnd;
    while (from < to && isAsciiSpace(reply.charCodeAt(from))) from++;
    while (to > from && isAsciiSpace(reply.charCodeAt(to - 1))) to--;
    const integer = readInteger(reply, from, to);
    if (integer !== undefined) {
      numbers.set(key, integer);
      continue;
    }
    const value = reply.slice(from, to).trim();
    if (NUMBER.test(value)) numbers.set(key, Number(value));
    else strings.set(key, detached(value));
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

/** `[-+]?\d{1,15}` between `from` and `to` as a number (exact: below 2^53), else undefined. */
function readInteger(text: string, from: number, to: number): number | undefined {
  let sign = 1;
  const first = text.charCodeAt(from);
  if (first === 45 || first === 43) {
    if (first === 45) sign = -1;
    from++;
  }
  if (from >= to || to - from > MAX_FAST_DIGITS) return undefined;
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return sign * value;
}

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
