/**
 * The AdminServer's JSON replies (`GET <base>/commands/<command>`) turned into the same parsed replies as the
 * four-letter words, so that one catalog (samples.ts) serves both transports. Like parse.ts, every function
 * either returns a reply or throws a ProbeError.
 *
 * Replies verified against ZooKeeper 3.8.0 (test/fixtures/admin): mntr keys come without `zk_` and typed
 * (numbers as JSON numbers, strings as strings); no quorum gives an HTTP 500 HTML page for `monitor` and
 * `"error": "This ZooKeeper instance is not currently serving requests"` for the others; an unknown command
 * gives HTTP 200 with `"error": "Unknown command: ..."`.
 */
import type { FourLetterWord } from './config.js';
import { ProbeError } from './four-letter-word.js';
import type { MntrReply, SrvrReply } from './parse.js';
import {
  aggregateConnections,
  CONF_ATTRIBUTES,
  latencies,
  CONF_NUMBERS,
  ENVI_ATTRIBUTES,
  type ClientConnection,
  type ConfNumber,
  type ConfReply,
  type ConsReply,
  type EnviReply,
  type IsroReply,
  type WchsReply,
} from './parse-optional-words.js';

/** The AdminServer command that answers what each four-letter word asks (`srvr` and `stat` are both server_stats). */
export const ADMIN_COMMANDS: Readonly<Record<FourLetterWord, string>> = {
  mntr: 'monitor',
  ruok: 'ruok',
  srvr: 'server_stats',
  stat: 'server_stats',
  isro: 'is_read_only',
  wchs: 'watch_summary',
  envi: 'environment',
  conf: 'configuration',
  cons: 'connections',
};

const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests';
/** Fields every reply carries besides its content. */
const ENVELOPE = new Set(['command', 'error']);
const MAX_VALUE_LENGTH = 256;

type Json = Record<string, unknown>;

export interface AdminResponse {
  readonly status: number;
  readonly body: string;
}

/** Checks status and envelope, parses the JSON object; `command` is the four-letter word, for messages. */
export function readAdminJson(command: FourLetterWord, response: AdminResponse): Json {
  const { status, body } = response;
  if (status === 500) {
    // No quorum: Jetty's error page for a NullPointerException (no ZooKeeperServer yet). Any 500 means the same here.
    throw new ProbeError('not_serving', `${command}: AdminServer answered HTTP 500 ${errorTitle(body)}(no quorum?)`);
  }
  if (status !== 200) throw new ProbeError('bad_response', `${command}: AdminServer answered HTTP ${status} ${errorTitle(body)}`.trim());
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ProbeError('bad_response', `${command}: AdminServer reply is not JSON: ${JSON.stringify(body.slice(0, 40))}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new ProbeError('bad_response', `${command}: AdminServer reply is not a JSON object`);
  const error = (json as Json).error;
  if (typeof error === 'string' && error.length > 0) {
    if (error.startsWith(NOT_SERVING)) throw new ProbeError('not_serving', `${command}: server is not serving requests (no quorum?)`);
    if (/^Unknown command/i.test(error))
      throw new ProbeError('unknown_command', `${command}: the AdminServer does not know /commands/${ADMIN_COMMANDS[command]} (${bounded(error)})`);
    throw new ProbeError('server_error', `${command}: AdminServer error: ${bounded(error)}`);
  }
  return json as Json;
}

function errorTitle(body: string): string {
  const title = /<title>([^<]*)<\/title>/i.exec(body)?.[1];
  return title ? `(${bounded(title.replace(/&quot;/g, '"'))}) ` : '';
}

function bounded(value: string): string {
  return value.length > MAX_VALUE_LENGTH ? value.slice(0, MAX_VALUE_LENGTH) : value;
}

const number = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const object = (value: unknown): Json | undefined => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined);

/** `/commands/monitor`: the mntr keys without `zk_`, typed. */
export function adminMntr(json: Json): MntrReply {
  const numbers = new Map<string, number>();
  const strings = new Map<string, string>();
  for (const [key, value] of Object.entries(json)) {
    if (ENVELOPE.has(key)) continue;
    if (typeof value === 'number') numbers.set(key, value);
    else if (typeof value === 'boolean') numbers.set(key, value ? 1 : 0);
    else if (typeof value === 'string') strings.set(key, value);
    // null (e.g. observer_master_id on a non-observer) and nested values: nothing to export.
  }
  if (numbers.size === 0) throw new ProbeError('bad_response', 'mntr: AdminServer monitor reply has no numeric key');
  return { numbers, strings, oddLines: [] };
}

export function adminRuok(_json: Json): boolean {
  return true;
}

/**
 * `/commands/server_stats` for srvr and stat. The zxid comes as a JSON number that may exceed 2^53: it is read
 * from the raw body so the epoch/counter split stays exact.
 */
export function adminSrvr(command: FourLetterWord, json: Json, body: string): SrvrReply {
  const stats = object(json.server_stats);
  const mode = stats?.server_state;
  if (!stats || typeof mode !== 'string') throw new ProbeError('bad_response', `${command}: AdminServer server_stats reply has no server_stats.server_state`);
  const zxid = /"last_processed_zxid"\s*:\s*(\d+)/.exec(body)?.[1];
  const proposals = object(json.proposal_stats);
  return {
    version: typeof json.version === 'string' ? json.version.split(',')[0] : undefined,
    mode,
    latencyMin: number(stats.min_latency),
    latencyAvg: number(stats.avg_latency),
    latencyMax: number(stats.max_latency),
    received: number(stats.packets_received),
    sent: number(stats.packets_sent),
    connections: number(stats.num_alive_client_connections),
    outstanding: number(stats.outstanding_requests),
    zxid: zxid === undefined ? undefined : BigInt(zxid),
    nodeCount: number(json.node_count),
    // Only the leader has proposal_stats, as only the leader's srvr prints "Proposal sizes".
    ...(proposals
      ? {
          proposalSizeLast: number(proposals.last_buffer_size),
          proposalSizeMin: number(proposals.min_buffer_size),
          proposalSizeMax: number(proposals.max_buffer_size),
        }
      : {}),
  };
}

export function adminIsro(json: Json): IsroReply {
  if (typeof json.read_only !== 'boolean') throw new ProbeError('bad_response', 'isro: AdminServer is_read_only reply has no read_only boolean');
  return json.read_only ? 'ro' : 'rw';
}

export function adminWchs(json: Json): WchsReply {
  const connections = number(json.num_connections);
  const paths = number(json.num_paths);
  const total = number(json.num_total_watches);
  if (connections === undefined || paths === undefined)
    throw new ProbeError('bad_response', 'wchs: AdminServer watch_summary reply lacks num_connections/num_paths');
  return { connections, paths, ...(total !== undefined ? { total } : {}) };
}

/** `/commands/environment`: the same Java system properties as envi, with the same keys. */
export function adminEnvi(json: Json): EnviReply {
  const attributes: Record<string, string> = {};
  for (const [property, name] of Object.entries(ENVI_ATTRIBUTES)) {
    const value = json[property];
    if (typeof value !== 'string') continue;
    attributes[name] = bounded(name === 'zookeeper_version' ? value.split(',')[0]!.trim() : value);
  }
  if (Object.keys(attributes).length === 0) throw new ProbeError('bad_response', 'envi: AdminServer environment reply has none of the expected properties');
  return { attributes };
}

/** The attribute names conf gives: the AdminServer's snake_case `configuration` keys are the same names. */
const CONF_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set(Object.values(CONF_ATTRIBUTES));
/** Attribute name -> the conf setting that also becomes a gauge (`tick_time` -> `tickTime`). */
const CONF_NUMBER_BY_ATTRIBUTE: ReadonlyMap<string, ConfNumber> = new Map(CONF_NUMBERS.map((setting) => [CONF_ATTRIBUTES[setting]!, setting]));

/** `/commands/configuration`: fewer settings than conf (3.8 has no init/sync limits there). */
export function adminConf(json: Json): ConfReply {
  const attributes: Record<string, string> = {};
  const numbers = new Map<ConfNumber, number>();
  for (const [key, value] of Object.entries(json)) {
    if (!CONF_ATTRIBUTE_NAMES.has(key) || (typeof value !== 'string' && typeof value !== 'number')) continue;
    attributes[key] = bounded(String(value));
    const setting = CONF_NUMBER_BY_ATTRIBUTE.get(key);
    if (setting && typeof value === 'number' && Number.isInteger(value)) numbers.set(setting, value);
  }
  if (Object.keys(attributes).length === 0) throw new ProbeError('bad_response', 'conf: AdminServer configuration reply has no known setting');
  return { attributes, numbers };
}

/** A session id as hex (`0x...`): ids above 2^53 lose digits as JSON numbers, so they are read from the raw body. */
const SESSION_ID_FIELD = /("session_id"\s*:\s*)(\d+)/g;

/**
 * `/commands/connections`: plain and secure connections, aggregated per client IP as cons is; with
 * `maxConnections` > 0 the busiest connections with a session also one by one (`body`: the raw reply, for exact
 * session ids).
 */
export function adminCons(json: Json, maxAddresses: number, maxConnections = 0, body?: string): ConsReply {
  const exact = maxConnections > 0 && body !== undefined ? (withExactSessionIds(body) ?? json) : json;
  const lists = [exact.connections, exact.secure_connections];
  if (!Array.isArray(lists[0])) throw new ProbeError('bad_response', 'cons: AdminServer connections reply has no connections list');
  const connections: ClientConnection[] = [];
  for (const entry of lists.flatMap((list) => (Array.isArray(list) ? list : []))) {
    const fields = object(entry);
    const remote = fields?.remote_socket_address;
    if (!fields || typeof remote !== 'string') continue;
    // `127.0.0.1:33068`, `[::1]:33068` or `/127.0.0.1:33068`: the address is everything before the last colon.
    const [, address, port] = /^(?:[^/]*\/)?(.*?)(?::(\d+))?$/.exec(remote)!;
    const session = sessionId(fields.session_id);
    connections.push({
      address: address!,
      queued: number(fields.outstanding_requests) ?? 0,
      received: number(fields.packets_received) ?? 0,
      ...(port !== undefined ? { port: Number(port) } : {}),
      ...(session !== undefined ? { sessionId: session } : {}),
      sent: number(fields.packets_sent) ?? 0,
      ...latencies(fields.min_latency, fields.avg_latency, fields.max_latency),
    });
  }
  return aggregateConnections(connections, maxAddresses, maxConnections);
}

function withExactSessionIds(body: string): Json | undefined {
  try {
    return object(JSON.parse(body.replace(SESSION_ID_FIELD, '$1"$2"')));
  } catch {
    return undefined; // "session_id": <digits> inside a string value: the numbers of the plain parse will do.
  }
}

/** A decimal session id (string from the raw body, or a small JSON number) as ZooKeeper's hex; 0 is no session. */
function sessionId(value: unknown): string | undefined {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !/^\d+$/.test(text) || /^0+$/.test(text)) return undefined;
  return `0x${BigInt(text).toString(16)}`;
}
