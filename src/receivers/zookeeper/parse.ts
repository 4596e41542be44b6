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

/** Parses `mntr`: `zk_key<TAB>value` per line. Any line can be odd without losing the others. */
export function parseMntr(reply: string): MntrReply {
  checkCommonReplies('mntr', reply);
  const numbers = new Map<string, number>();
  const strings = new Map<string, string>();
  const oddLines: string[] = [];
  let start = 0;
  while (start < reply.length) {
    let end = reply.indexOf('\n', start);
    if (end === -1) end = reply.length;
    const line = reply.charCodeAt(end - 1) === 13 ? reply.slice(start, end - 1) : reply.slice(start, end);
    start = end + 1;
    if (line.length === 0) continue;
    const tab = line.indexOf('\t');
    if (tab <= 3 || !line.startsWith('zk_')) {
      oddLines.push(line);
      continue;
    }
    const key = line.slice(3, tab);
    const value = line.slice(tab + 1).trim();
    if (NUMBER.test(value)) numbers.set(key, Number(value));
    else strings.set(key, value);
  }
  if (numbers.size === 0) throw new ProbeError('bad_response', `mntr: no zk_<key><TAB><number> line in a ${reply.length}-byte reply`);
  return { numbers, strings, oddLines };
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
