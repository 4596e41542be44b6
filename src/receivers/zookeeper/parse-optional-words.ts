/**
 * Parsers for the opt-in four-letter words: stat, isro, wchs, envi, conf, cons.
 * Like parse.ts, each either returns a reply or throws a ProbeError; never anything else.
 */
import { checkCommonReplies, ProbeError } from './four-letter-word.js';
import { parseSrvr, type SrvrReply } from './parse.js';

/** Longest attribute value kept from envi/conf: paths and versions fit, a runaway line does not. */
const MAX_VALUE_LENGTH = 256;

/** Default bound on distinct `client_address` values from cons; the rest are summed under `other`. */
export const DEFAULT_CONS_MAX_ADDRESSES = 100;
export const OTHER_ADDRESS = 'other';

function badResponse(command: string, what: string, reply: string): ProbeError {
  return new ProbeError('bad_response', `${command}: ${what}, got ${JSON.stringify(reply.slice(0, 40))}`);
}

function lines(reply: string): string[] {
  return reply.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

function bounded(value: string): string {
  return value.length > MAX_VALUE_LENGTH ? value.slice(0, MAX_VALUE_LENGTH) : value;
}

/** `stat` starts like `srvr`, then lists clients (indented lines) that this parser leaves out. */
export function parseStat(reply: string): SrvrReply {
  checkCommonReplies('stat', reply);
  try {
    return parseSrvr(
      lines(reply)
        .filter((line) => !/^\s/.test(line))
        .join('\n'),
    );
  } catch (error) {
    if (error instanceof ProbeError) throw new ProbeError(error.reason, error.message.replace(/^srvr:/, 'stat:'));
    throw new ProbeError('bad_response', `stat: ${String(error)}`);
  }
}

export type IsroReply = 'ro' | 'rw';

/** `isro`: `rw` or `ro` without a newline; `null` when the server is not serving (no quorum). */
export function parseIsro(reply: string): IsroReply {
  const trimmed = reply.trim();
  if (trimmed === 'rw' || trimmed === 'ro') return trimmed;
  checkCommonReplies('isro', reply);
  if (trimmed === 'null') throw new ProbeError('not_serving', 'isro: server is not serving requests (no quorum?)');
  throw badResponse('isro', 'expected "rw" or "ro"', reply);
}

export interface WchsReply {
  readonly connections: number;
  readonly paths: number;
  /** `Total watches:`; absent if the line is missing. */
  readonly total?: number;
}

const WCHS_SUMMARY = /^(\d+) connections watching (\d+) paths$/;
const WCHS_TOTAL = /^Total watches:\s*(\d+)$/;

/** `wchs`: `1 connections watching 2 paths` then `Total watches:3`. */
export function parseWchs(reply: string): WchsReply {
  checkCommonReplies('wchs', reply);
  let summary: RegExpExecArray | null = null;
  let total: RegExpExecArray | null = null;
  for (const line of lines(reply)) {
    const text = line.trim();
    summary ??= WCHS_SUMMARY.exec(text);
    total ??= WCHS_TOTAL.exec(text);
  }
  if (!summary) throw badResponse('wchs', 'expected "<n> connections watching <m> paths"', reply);
  return { connections: Number(summary[1]), paths: Number(summary[2]), ...(total ? { total: Number(total[1]) } : {}) };
}

/** envi properties kept as attributes of `zookeeper.environment.info`, by attribute name. */
export const ENVI_ATTRIBUTES: Readonly<Record<string, string>> = {
  'zookeeper.version': 'zookeeper_version',
  'java.version': 'java_version',
  'java.vendor': 'java_vendor',
  'os.name': 'os_name',
  'os.arch': 'os_arch',
};

export interface EnviReply {
  /** Only the properties of ENVI_ATTRIBUTES that the server printed, under their attribute names. */
  readonly attributes: Readonly<Record<string, string>>;
}

/** `envi`: `Environment:` then `key=value` lines. Paths, user and host names are left out on purpose. */
export function parseEnvi(reply: string): EnviReply {
  checkCommonReplies('envi', reply);
  const all = lines(reply);
  if (all[0]?.trim() !== 'Environment:') throw badResponse('envi', 'expected "Environment:" first', reply);
  const attributes: Record<string, string> = {};
  for (const line of all) {
    const equals = line.indexOf('=');
    if (equals <= 0) continue;
    const name = ENVI_ATTRIBUTES[line.slice(0, equals).trim()];
    if (name === undefined) continue;
    const value = line.slice(equals + 1).trim();
    // zookeeper.version: `3.8.0-<commit>, built on <date>`: the version only, as zookeeper.build.info.
    attributes[name] = bounded(name === 'zookeeper_version' ? value.split(',')[0]!.trim() : value);
  }
  return { attributes };
}

/** conf settings kept as attributes of `zookeeper.config.info`, by attribute name. */
export const CONF_ATTRIBUTES: Readonly<Record<string, string>> = {
  clientPort: 'client_port',
  dataDir: 'data_dir',
  dataLogDir: 'data_log_dir',
  tickTime: 'tick_time',
  maxClientCnxns: 'max_client_cnxns',
  minSessionTimeout: 'min_session_timeout',
  maxSessionTimeout: 'max_session_timeout',
  initLimit: 'init_limit',
  syncLimit: 'sync_limit',
  electionAlg: 'election_alg',
  electionPort: 'election_port',
  quorumPort: 'quorum_port',
  peerType: 'peer_type',
};
/** `version=` after the `membership:` line: the dynamic configuration's version. */
export const MEMBERSHIP_VERSION_ATTRIBUTE = 'membership_version';

/** conf settings that also become gauges `zookeeper.config.<attribute name>`. */
export const CONF_NUMBERS = ['tickTime', 'maxClientCnxns', 'minSessionTimeout', 'maxSessionTimeout', 'initLimit', 'syncLimit'] as const;
export type ConfNumber = (typeof CONF_NUMBERS)[number];

export interface ConfReply {
  /** Only the settings of CONF_ATTRIBUTES (plus membership_version) that the server printed. */
  readonly attributes: Readonly<Record<string, string>>;
  /** The CONF_NUMBERS settings that are finite numbers. */
  readonly numbers: ReadonlyMap<ConfNumber, number>;
}

/** `conf`: `key=value` lines (no trailing newline); `membership:` then `server.N=...` and `version=...`. */
export function parseConf(reply: string): ConfReply {
  checkCommonReplies('conf', reply);
  const attributes: Record<string, string> = {};
  const numbers = new Map<ConfNumber, number>();
  let inMembership = false;
  for (const line of lines(reply)) {
    if (line.trim() === 'membership:') {
      inMembership = true;
      continue;
    }
    const equals = line.indexOf('=');
    if (equals <= 0) continue;
    const key = line.slice(0, equals).trim();
    const value = line.slice(equals + 1).trim();
    if (inMembership && key === 'version') {
      attributes[MEMBERSHIP_VERSION_ATTRIBUTE] = bounded(value);
      continue;
    }
    const name = CONF_ATTRIBUTES[key];
    if (name === undefined) continue;
    attributes[name] = bounded(value);
    if ((CONF_NUMBERS as readonly string[]).includes(key) && /^-?\d+$/.test(value)) numbers.set(key as ConfNumber, Number(value));
  }
  if (Object.keys(attributes).length === 0) throw badResponse('conf', 'no known key=value setting', reply);
  return { attributes, numbers };
}

export interface ClientAddressStats {
  /** The client's IP, or OTHER_ADDRESS for the addresses past the bound. */
  readonly address: string;
  readonly connections: number;
  readonly queued: number;
  readonly received: number;
}

/** One connection with a session, as `cons_max_connections` exports it. */
export interface ConnectionDetail {
  /** The client's IP, IPv6 without brackets. */
  readonly address: string;
  readonly port: number;
  /** Hex with `0x`, as ZooKeeper prints session ids (`0x100008837190000`). */
  readonly sessionId: string;
  /** Requests received but not answered yet (cons `queued`, AdminServer `outstanding_requests`). */
  readonly queued: number;
  readonly received: number;
  readonly sent: number;
  /** Request latency on this connection, ms; absent when the server did not give it. */
  readonly latencyMin?: number;
  readonly latencyAvg?: number;
  readonly latencyMax?: number;
}

export interface ConsReply {
  /** One entry per client address, most connections first; at most the bound plus one `other`. */
  readonly addresses: readonly ClientAddressStats[];
  /** With `maxConnections` > 0 only: the busiest connections with a session (most packets received first). */
  readonly connections?: readonly ConnectionDetail[];
  /** With `maxConnections` > 0 only: connections with a session left out of `connections` by the bound. */
  readonly untracked?: number;
}

/** ` /127.0.0.1:54321[1](queued=0,recved=5,...)`, or with a host name before the slash, or an IPv6 address. */
const CONS_LINE = /^\s*[^\s/]*\/(\S+):(\d+)\[\d+\]\((.*)\)\s*$/;
const HEX_SESSION_ID = /^0x[0-9a-f]+$/i;

/**
 * `cons`: one line per connection (ServerCnxn.dumpConnectionInfo; `sid=` and the latencies only once the
 * connection has a session), aggregated per client IP. Addresses past `maxAddresses` are summed under `other`;
 * the `maxConnections` busiest connections with a session also get series of their own.
 */
export function parseCons(reply: string, maxAddresses = DEFAULT_CONS_MAX_ADDRESSES, maxConnections = 0): ConsReply {
  checkCommonReplies('cons', reply);
  const connections: ClientConnection[] = [];
  for (const line of lines(reply)) {
    const match = CONS_LINE.exec(line);
    if (!match) continue;
    const fields = new Map<string, string>();
    for (const field of match[3]!.split(',')) {
      const equals = field.indexOf('=');
      if (equals > 0) fields.set(field.slice(0, equals), field.slice(equals + 1));
    }
    const sid = fields.get('sid');
    connections.push({
      address: match[1]!,
      port: Number(match[2]),
      ...(sid !== undefined && HEX_SESSION_ID.test(sid) ? { sessionId: sid.toLowerCase() } : {}),
      queued: counter(fields.get('queued')),
      received: counter(fields.get('recved')),
      sent: counter(fields.get('sent')),
      ...latencies(fields.get('minlat'), fields.get('avglat'), fields.get('maxlat')),
    });
  }
  // The server always lists the connection that asked: no connection line at all is not a cons reply.
  if (connections.length === 0) throw badResponse('cons', 'no "/<address>:<port>[<n>](...)" connection line', reply);
  return aggregateConnections(connections, maxAddresses, maxConnections);
}

/** One open client connection, as cons or the AdminServer's /commands/connections lists it. */
export interface ClientConnection {
  /** The client's IP, IPv6 possibly in brackets. */
  readonly address: string;
  readonly queued: number;
  readonly received: number;
  /** The rest is only needed for per-connection detail; a connection without `sessionId` never gets any. */
  readonly port?: number;
  readonly sessionId?: string;
  readonly sent?: number;
  readonly latencyMin?: number;
  readonly latencyAvg?: number;
  readonly latencyMax?: number;
}

/** The latencies that are finite numbers (cons prints integers; the AdminServer gives JSON numbers). */
export function latencies(min: unknown, avg: unknown, max: unknown): Pick<ClientConnection, 'latencyMin' | 'latencyAvg' | 'latencyMax'> {
  const value = (given: unknown): number | undefined => {
    const parsed = typeof given === 'string' && /^-?\d+(\.\d+)?$/.test(given) ? Number(given) : given;
    return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : undefined;
  };
  const [latencyMin, latencyAvg, latencyMax] = [value(min), value(avg), value(max)];
  return {
    ...(latencyMin !== undefined ? { latencyMin } : {}),
    ...(latencyAvg !== undefined ? { latencyAvg } : {}),
    ...(latencyMax !== undefined ? { latencyMax } : {}),
  };
}

const unbracketed = (address: string): string => address.replace(/^\[(.*)\]$/, '$1');
const compare = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Sums connections per client IP; addresses past `maxAddresses` (fewest connections first) become `other`.
 * With `maxConnections` > 0, the connections with a session, busiest first (packets received, then address,
 * port), are kept one by one up to the bound; the number left out is `untracked`.
 */
export function aggregateConnections(connections: Iterable<ClientConnection>, maxAddresses = DEFAULT_CONS_MAX_ADDRESSES, maxConnections = 0): ConsReply {
  const all = [...connections];
  const byAddress = new Map<string, { connections: number; queued: number; received: number }>();
  for (const connection of all) {
    const address = unbracketed(connection.address);
    const stats = byAddress.get(address) ?? { connections: 0, queued: 0, received: 0 };
    stats.connections += 1;
    stats.queued += connection.queued;
    stats.received += connection.received;
    byAddress.set(address, stats);
  }
  const sorted = [...byAddress].sort(([a, x], [b, y]) => y.connections - x.connections || compare(a, b));
  const limit = Math.max(0, Math.floor(maxAddresses));
  const addresses: ClientAddressStats[] = sorted.slice(0, limit).map(([address, stats]) => ({ address, ...stats }));
  const rest = sorted.slice(limit);
  if (rest.length > 0) {
    const other = { address: OTHER_ADDRESS, connections: 0, queued: 0, received: 0 };
    for (const [, stats] of rest) {
      other.connections += stats.connections;
      other.queued += stats.queued;
      other.received += stats.received;
    }
    addresses.push(other);
  }
  if (maxConnections <= 0) return { addresses };
  const withSession = all
    .filter((connection) => connection.sessionId !== undefined && connection.port !== undefined)
    .map((connection): ConnectionDetail => ({
      ...connection,
      address: unbracketed(connection.address),
      port: connection.port!,
      sessionId: connection.sessionId!,
      sent: connection.sent ?? 0,
    }))
    .sort((a, b) => b.received - a.received || compare(a.address, b.address) || a.port - b.port);
  const kept = withSession.slice(0, Math.floor(maxConnections));
  return { addresses, connections: kept, untracked: withSession.length - kept.length };
}

function counter(text: string | undefined): number {
  if (text === undefined || !/^\d+$/.test(text)) return 0;
  return Number(text);
}
