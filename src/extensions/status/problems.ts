/**
 * The alert rules' conditions, evaluated in the agent from its own latest view, so a user without Prometheus sees
 * what is wrong. Names and labels (severity, zk_cluster, zk_endpoint) are the alert rules' own.
 */
import { ALERTS, type AlertDefinition, type Severity } from '../../alerting/definition.js';

export type { Severity };
export type QuorumState = 'ok' | 'at_risk' | 'lost';

export interface ServerView {
  readonly endpoint: string;
  /** undefined: no source reports the server's health (only client-session figures). */
  readonly up: boolean | undefined;
  readonly role: string | undefined;
  /** A server not probed for three of its intervals: the view is out of date. */
  readonly stale: boolean;
  readonly reasons: readonly string[];
  readonly fdsOpen: number | undefined;
  readonly fdsLimit: number | undefined;
  readonly quorumSize: number | undefined;
}

export interface Problem {
  readonly alert: string;
  readonly severity: Severity;
  readonly zk_cluster: string;
  readonly zk_endpoint?: string;
  readonly summary: string;
}

export interface ClusterVerdict {
  readonly quorum: QuorumState;
  readonly leaders: readonly string[];
  readonly votersServing: number;
  readonly votersTotal: number;
  readonly problems: readonly Problem[];
}

function alertNamed(name: string): AlertDefinition {
  const alert = ALERTS.find((candidate) => candidate.name === name);
  if (!alert) throw new Error(`status: no alert rule named ${name}`);
  return alert;
}

/** Severities and thresholds come from the alert rules' one definition, so the page and Prometheus agree. */
function problem(alert: string, cluster: string, summary: string, endpoint?: string): Problem {
  return { alert, severity: alertNamed(alert).severity, zk_cluster: cluster, ...(endpoint === undefined ? {} : { zk_endpoint: endpoint }), summary };
}

/** Above this share of its descriptor limit, a server is about to refuse connections and fail writes. */
export const FD_WARNING_RATIO = alertNamed('ZooKeeperFileDescriptorsNearLimit').params!['threshold']!.value;

const REASON_WORDS: Readonly<Record<string, string>> = {
  refused: 'nothing listens on the port',
  timeout: 'no complete reply before the deadline (hung or overloaded server)',
  unreachable: 'unreachable: DNS failure or no route',
  connection_error: 'connection reset or another socket error',
  not_serving: 'not serving requests: it has no quorum',
  not_whitelisted: "a command is not in the server's 4lw.commands.whitelist",
  bad_response: 'an empty or unparseable reply (not ZooKeeper?)',
  too_large: 'the reply exceeded max_response_bytes',
  unknown_command: 'the AdminServer does not know the command',
  server_error: 'the AdminServer answered with an error',
};

/** A failure reason in words, e.g. `refused` → "nothing listens on the port". */
export function describeReason(reason: string): string {
  if (REASON_WORDS[reason]) return REASON_WORDS[reason];
  if (reason.startsWith('tls_')) return `TLS handshake failed (${reason.slice(4).replaceAll('_', ' ')})`;
  return reason.replaceAll('_', ' ');
}

export function judgeCluster(cluster: string, servers: readonly ServerView[]): ClusterVerdict {
  const problems: Problem[] = [];
  const serving = (server: ServerView) => server.up === true && !server.stale;
  for (const server of servers) {
    if (server.up === false) {
      const why = server.reasons.length > 0 ? server.reasons.map((reason) => `${reason} (${describeReason(reason)})`).join('; ') : 'the probe failed';
      problems.push(problem('ZooKeeperServerDown', cluster, `${server.endpoint} is down: ${why}`, server.endpoint));
    }
    if (serving(server) && server.fdsOpen !== undefined && server.fdsLimit && server.fdsOpen / server.fdsLimit > FD_WARNING_RATIO) {
      problems.push(
        problem(
          'ZooKeeperFileDescriptorsNearLimit',
          cluster,
          `${server.endpoint} uses ${server.fdsOpen} of ${server.fdsLimit} file descriptors`,
          server.endpoint,
        ),
      );
    }
  }
  const standalone = servers.length === 1 && servers[0]!.role === 'standalone';
  const voters = servers.filter((server) => server.role !== 'observer');
  const votersServing = voters.filter((server) => serving(server) && server.role !== 'read_only').length;
  const reportedSize = Math.max(0, ...servers.map((server) => server.quorumSize ?? 0));
  const votersTotal = Math.max(reportedSize, voters.length);
  const majority = Math.floor(votersTotal / 2) + 1;
  const leaders = servers.filter((server) => serving(server) && server.role === 'leader').map((server) => server.endpoint);
  let quorum: QuorumState;
  if (standalone) {
    quorum = serving(servers[0]!) ? 'ok' : 'lost';
  } else {
    quorum = votersServing < majority || leaders.length === 0 ? 'lost' : votersServing === majority || leaders.length > 1 ? 'at_risk' : 'ok';
    if (votersServing < majority) {
      problems.push(problem('ZooKeeperQuorumLost', cluster, `${votersServing} of ${votersTotal} voting members serve; a quorum needs ${majority}`));
    } else if (votersServing === majority && votersTotal > 1) {
      problems.push(problem('ZooKeeperQuorumAtRisk', cluster, `${votersServing} of ${votersTotal} voting members serve: one more failure loses the quorum`));
    }
    if (leaders.length === 0 && servers.some(serving)) {
      problems.push(problem('ZooKeeperNoLeader', cluster, 'no serving member reports itself leader'));
    } else if (leaders.length > 1) {
      problems.push(problem('ZooKeeperMultipleLeaders', cluster, `${leaders.length} members report themselves leader: ${leaders.join(', ')}`));
    }
  }
  return { quorum, leaders, votersServing, votersTotal, problems };
}
