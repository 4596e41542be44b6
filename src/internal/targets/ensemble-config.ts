/**
 * ZooKeeper's dynamic membership as stored in the `/zookeeper/config` znode (3.5+), e.g.
 *
 *   server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181
 *   server.4=10.0.0.4:2888:3888:observer;2181
 *   version=100000003
 *
 * Each member's client address is `[host:]port` after the `;`; a wildcard or missing host means "the server's host".
 */
import { parseHostPort } from '../../core/config/schema.js';
import { endpointOf } from './target.js';

export const MEMBER_ROLES = ['participant', 'observer'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

export interface EnsembleMember {
  /** The server id N of `server.N`. */
  readonly id: string;
  readonly role: MemberRole;
  /** `host:port` of the client port. */
  readonly endpoint: string;
}

export interface EnsembleMembership {
  /** The `version=` line (hex zxid of the reconfig that made this membership), when present. */
  readonly version: string | undefined;
  /** Members ordered by server id. */
  readonly members: readonly EnsembleMember[];
  /** Lines that could not be used, with why; never fatal. */
  readonly problems: readonly string[];
}

const SERVER_LINE = /^server\.(\d+)=(.*)$/;
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0']);

export interface ParseOptions {
  /** Probe every member on this port instead of the client port its line lists (which may be absent). */
  readonly memberPort?: number | undefined;
}

export function parseEnsembleConfig(text: string, options: ParseOptions = {}): EnsembleMembership {
  let version: string | undefined;
  const members: EnsembleMember[] = [];
  const problems: string[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '') continue;
    if (line.startsWith('version=')) {
      version = line.slice('version='.length);
      continue;
    }
    const server = SERVER_LINE.exec(line);
    if (!server) {
      problems.push(`unexpected line ${JSON.stringify(line)}`);
      continue;
    }
    const member = probeable(parseMember(server[1]!, server[2]!, options.memberPort));
    if (typeof member === 'string') problems.push(`server.${server[1]}: ${member}`);
    else members.push(member);
  }
  members.sort((a, b) => Number(a.id) - Number(b.id));
  return { version, members, problems };
}

/** `host:quorumPort:electionPort[:role][|more addresses][;[clientHost:]clientPort]` → a member, or why not. */
function parseMember(id: string, spec: string, memberPort: number | undefined): EnsembleMember | string {
  const [quorumPart = '', clientPart] = spec.split(';', 2);
  // ZooKeeper 3.6+ may list several quorum addresses separated by `|`: the first one names the host.
  const first = splitHost(quorumPart.split('|')[0]!);
  if (!first) return `cannot read the server address ${JSON.stringify(quorumPart)}`;
  const fields = first.rest.split(':');
  const role = fields[2] ?? 'participant';
  if (!isRole(role)) return `unknown role ${JSON.stringify(role)}`;
  const hasClientPart = clientPart !== undefined && clientPart.trim() !== '';
  // A TLS-only server lists no client address; member_port says where to probe it.
  if (!hasClientPart && memberPort !== undefined) return { id, role, endpoint: endpointOf(first.host, memberPort) };
  if (!hasClientPart) return 'no client address (nothing after ";"): cannot probe it; set discovery.member_port';
  const client = parseClientAddress(clientPart.trim());
  if (!client) return `cannot read the client address ${JSON.stringify(clientPart)}`;
  const host = client.host === undefined || WILDCARD_HOSTS.has(client.host) ? first.host : client.host;
  return { id, role, endpoint: endpointOf(host, memberPort ?? client.port) };
}

/** A member the probes can dial: its endpoint must read back as host:port (no spaces, brackets only around IPv6). */
function probeable(member: EnsembleMember | string): EnsembleMember | string {
  if (typeof member === 'string' || parseHostPort(member.endpoint) !== undefined) return member;
  return `the client address ${JSON.stringify(member.endpoint)} is no host:port`;
}

function isRole(text: string): text is MemberRole {
  return (MEMBER_ROLES as readonly string[]).includes(text);
}

/** `[v6]:rest` or `host:rest` → host and the rest after the first `:`. */
function splitHost(text: string): { host: string; rest: string } | undefined {
  const match = /^\[([^\]]+)\]:(.*)$/.exec(text) ?? /^([^:[\]]+):(.*)$/.exec(text);
  return match ? { host: match[1]!, rest: match[2]! } : undefined;
}

function parseClientAddress(text: string): { host: string | undefined; port: number } | undefined {
  if (/^\d+$/.test(text)) return validPort(undefined, text);
  const withHost = splitHost(text);
  return withHost && /^\d+$/.test(withHost.rest) ? validPort(withHost.host, withHost.rest) : undefined;
}

function validPort(host: string | undefined, digits: string): { host: string | undefined; port: number } | undefined {
  const port = Number(digits);
  return port >= 1 && port <= 65535 ? { host, port } : undefined;
}
