/**
 * The ZooKeeper alerting rules, defined once: recording rules for the cluster-wide facts, and every alert with its
 * condition, tunable parameters, `for`, severity and text. render.ts turns them into Prometheus rule files for each
 * naming (naming.ts). Thresholds are relative to the server's own limits wherever ZooKeeper reports them.
 */
import type { Signal } from './naming.js';

export type Severity = 'critical' | 'warning' | 'info';

export interface Parameter {
  readonly value: number;
  readonly unit: string;
  /** Why this default, for README and `zkotel rules --help`. */
  readonly doc: string;
}

/** What an expression or a text is written against: the naming's labels and signals, the recorded series, the parameters. */
export interface RuleContext {
  readonly cluster: string;
  readonly endpoint: string;
  /** `cluster, endpoint` for `by (...)` and `on (...)`. */
  readonly server: string;
  signal(name: Signal): string;
  has(name: Signal): boolean;
  readonly record: RecordNames;
  param(name: string): number;
  /** The scrape target selector of the agent itself, e.g. `up{job="zkotel"}`. */
  readonly agentUp: string;
  readonly lookback: string;
  /** `$labels.<cluster label>` and `$labels.<endpoint label>` for annotation templates, and the same in `{{ }}`. */
  readonly clusterVar: string;
  readonly endpointVar: string;
  readonly clusterText: string;
  readonly endpointText: string;
}

export interface RecordNames {
  readonly votingMembers: string;
  readonly majority: string;
  readonly servingVoters: string;
  readonly effectiveLeader: string;
  readonly effectiveLeaders: string;
}

export interface RecordingRule {
  readonly record: keyof RecordNames;
  readonly needs: readonly Signal[];
  expr(ctx: RuleContext): string;
}

export interface AlertDefinition {
  readonly name: string;
  readonly severity: Severity;
  /** `server` alerts carry the endpoint label; `cluster` alerts only the cluster. */
  readonly scope: 'cluster' | 'server' | 'agent';
  readonly for: string;
  readonly needs: readonly Signal[];
  readonly params?: Readonly<Record<string, Parameter>>;
  /** One line for README's table. */
  readonly meaning: string;
  expr(ctx: RuleContext): string;
  summary(ctx: RuleContext): string;
  description(ctx: RuleContext): string;
}

/** Reasons that say the agent cannot look, not that the server is down (README, "Health"). */
export const MISCONFIGURED_REASONS = 'not_whitelisted|unknown_command|tls_.+';
/** Session error codes that say the same for the zookeeper_session receiver. */
export const MISCONFIGURED_SESSION_CODES = 'NO_AUTH|AUTH_FAILED|TLS_.+';

export const RECORDING_RULES: readonly RecordingRule[] = [
  {
    // The ensemble's own count of voting members (mntr zk_quorum_size, observers excluded), remembered over the
    // lookback so that it is still known while no member serves; else every probed server that is not an observer.
    // Only for clusters the agent reports now: no data is not a lost quorum (ZooKeeperAgentDown says that).
    record: 'votingMembers',
    needs: ['up'],
    expr: (c) => {
      const known = c.has('quorumSize') ? `max by (${c.cluster}) (max_over_time(${c.signal('quorumSize')}[${c.lookback}]))\nor on (${c.cluster})\n` : '';
      const observers = c.has('observer') ? ` unless on (${c.server}) (max_over_time(${c.signal('observer')}[${c.lookback}]) == 1)` : '';
      return `(\n${known}count by (${c.cluster}) (max by (${c.server}) (${c.signal('up')})${observers})\n)\nand on (${c.cluster}) count by (${c.cluster}) (${c.signal('up')})`;
    },
  },
  { record: 'majority', needs: ['up'], expr: (c) => `floor(${c.record.votingMembers} / 2) + 1` },
  {
    record: 'servingVoters',
    needs: ['up', 'votingServing'],
    expr: (c) => `count by (${c.cluster}) (max by (${c.server}) (${c.signal('votingServing')}))\nor on (${c.cluster})\n0 * ${c.record.votingMembers}`,
  },
  {
    // A server that says "leader" counts only when a majority follows it (its synced followers plus itself) or when
    // writes through it commit: a partitioned old leader that still says "leader" has neither.
    record: 'effectiveLeader',
    needs: ['leader', 'syncedFollowers'],
    expr: (c) => {
      const serves = c.has('sessionCreates') ? `\nor on (${c.server})\nmax by (${c.server}) (increase(${c.signal('sessionCreates')}[2m]) > 0)` : '';
      return `max by (${c.server}) (${c.signal('leader')} == 1)\nand on (${c.server}) (\n(max by (${c.server}) (${c.signal('syncedFollowers')}) + 1) >= on (${c.cluster}) group_left () ${c.record.majority}${serves}\n)`;
    },
  },
  {
    record: 'effectiveLeaders',
    needs: ['leader', 'syncedFollowers', 'up'],
    expr: (c) => `count by (${c.cluster}) (${c.record.effectiveLeader})\nor on (${c.cluster})\n0 * ${c.record.votingMembers}`,
  },
];

const perServer = (c: RuleContext, expr: string): string => `max by (${c.server}) (${expr})`;
const onServer = (c: RuleContext): string => `${c.endpointText} (cluster ${c.clusterText})`;

export const ALERTS: readonly AlertDefinition[] = [
  {
    name: 'ZooKeeperQuorumLost',
    severity: 'critical',
    scope: 'cluster',
    for: '1m',
    needs: ['up', 'votingServing'],
    meaning: 'fewer than a majority of the voting members serve: the ensemble refuses every read and write',
    expr: (c) => `${c.record.servingVoters} < on (${c.cluster}) ${c.record.majority}`,
    summary: (c) => `ZooKeeper cluster ${c.clusterText} has lost its quorum`,
    description: (c) =>
      `Only {{ $value }} voting members of cluster ${c.clusterText} serve requests, fewer than a majority of the ` +
      `{{ with printf "${c.record.votingMembers}{${c.cluster}='%s'}" ${c.clusterVar} | query }}{{ . | first | value }}{{ end }} voting members. Clients can neither read nor write.`,
  },
  {
    name: 'ZooKeeperNoLeader',
    severity: 'critical',
    scope: 'cluster',
    for: '1m',
    needs: ['up', 'leader', 'syncedFollowers'],
    meaning: 'no server leads with a majority behind it: writes cannot commit',
    expr: (c) =>
      `${c.record.effectiveLeaders} == 0` + (c.has('standalone') ? ` unless on (${c.cluster}) max by (${c.cluster}) (${c.signal('standalone')} == 1)` : ''),
    summary: (c) => `ZooKeeper cluster ${c.clusterText} has no leader`,
    description: (c) => `No server of cluster ${c.clusterText} leads with a majority following it. Writes cannot commit until a leader is elected.`,
  },
  {
    name: 'ZooKeeperMultipleLeaders',
    severity: 'critical',
    scope: 'cluster',
    for: '1m',
    needs: ['up', 'leader', 'syncedFollowers'],
    meaning: 'more than one server leads with a majority behind it (split brain); a partitioned old leader that still says "leader" is not counted',
    expr: (c) => `${c.record.effectiveLeaders} > 1`,
    summary: (c) => `ZooKeeper cluster ${c.clusterText} has {{ $value }} leaders`,
    description: (c) =>
      `{{ $value }} servers of cluster ${c.clusterText} each lead with a majority following them or commit writes: split brain. ` +
      `Servers that only say "leader" without followers are not counted.`,
  },
  {
    name: 'ZooKeeperServerDown',
    severity: 'warning',
    scope: 'server',
    for: '1m',
    needs: ['up'],
    meaning: 'a server does not answer the agent, or answers that it does not serve (the reason is in the description)',
    expr: (c) =>
      c.has('probeFailure')
        ? `${perServer(c, `${c.signal('up')} == 0`)}\nand on (${c.server}) (${c.signal('probeFailure')}{reason!~"${MISCONFIGURED_REASONS}"} == 1)\nor\n${perServer(c, `${c.signal('up')} == 0`)} unless on (${c.server}) ${c.signal('probeFailure')}`
        : perServer(c, `${c.signal('up')} == 0`),
    summary: (c) => `ZooKeeper server ${onServer(c)} is down`,
    description: (c) =>
      `ZooKeeper server ${onServer(c)} does not serve: ` +
      (c.has('probeFailure')
        ? `{{ with printf "max by (command, reason) (${c.signal('probeFailure')}{${c.cluster}='%s', ${c.endpoint}='%s'} == 1)" ${c.clusterVar} ${c.endpointVar} | query }}` +
          `{{ range $i, $failure := . }}{{ if $i }}, {{ end }}{{ $failure.Labels.command }}: {{ $failure.Labels.reason }}{{ end }}{{ else }}no reason reported{{ end }}`
        : 'its probe fails') +
      '. The ensemble has one failure less in reserve.',
  },
  {
    name: 'ZooKeeperQuorumAtRisk',
    severity: 'warning',
    scope: 'cluster',
    for: '1m',
    needs: ['up', 'votingServing'],
    meaning: 'exactly a majority of the voting members serve: one more failure loses the quorum (clusters of 3 or more voters)',
    expr: (c) => `${c.record.servingVoters} == on (${c.cluster}) ${c.record.majority}\nand on (${c.cluster}) ${c.record.votingMembers} >= 3`,
    summary: (c) => `ZooKeeper cluster ${c.clusterText} is one failure from losing its quorum`,
    description: (c) => `Only {{ $value }} voting members of cluster ${c.clusterText} serve: exactly a majority. One more failure stops the ensemble.`,
  },
  {
    name: 'ZooKeeperFollowersNotSynced',
    severity: 'warning',
    scope: 'server',
    for: '5m',
    needs: ['unsyncedFollowers'],
    params: { threshold: { value: 0, unit: 'learners', doc: 'learners connected to the leader but not in sync; any for 5m is abnormal' } },
    meaning: 'learners are connected to the leader but not in sync with it',
    expr: (c) => `${perServer(c, c.signal('unsyncedFollowers'))} > ${c.param('threshold')}`,
    summary: (c) => `{{ $value }} learners of ZooKeeper cluster ${c.clusterText} are not in sync`,
    description: (c) =>
      `The leader ${onServer(c)} has {{ $value }} connected learners that are not in sync. They do not count towards the quorum until they sync.`,
  },
  {
    name: 'ZooKeeperFrequentLeaderElections',
    severity: 'warning',
    scope: 'cluster',
    for: '0m',
    needs: ['electionCount'],
    params: { threshold: { value: 2, unit: 'elections per hour', doc: 'a healthy ensemble elects on restarts only' } },
    meaning: 'more leader elections in the last hour than the threshold',
    expr: (c) => `max by (${c.cluster}) (increase(${c.signal('electionCount')}[1h])) > ${c.param('threshold')}`,
    summary: (c) => `ZooKeeper cluster ${c.clusterText} elected a leader {{ $value | printf "%.0f" }} times in an hour`,
    description: (c) =>
      `Servers of cluster ${c.clusterText} took part in {{ $value | printf "%.1f" }} leader elections in the last hour. Each election stops all requests for its duration.`,
  },
  {
    name: 'ZooKeeperHighRequestLatency',
    severity: 'warning',
    scope: 'server',
    for: '5m',
    needs: ['requestLatencyMs'],
    params: {
      threshold: {
        value: 100,
        unit: 'ms',
        doc: "server-side average over 5m (read + update latency; lifetime avg_latency on 3.4/3.5), as ZooKeeper's own rules",
      },
    },
    meaning: 'the server takes longer than the threshold on average to process requests (5m window)',
    expr: (c) => `(${c.signal('requestLatencyMs')}) > ${c.param('threshold')}`,
    summary: (c) => `ZooKeeper server ${onServer(c)} is slow`,
    description: (c) =>
      `ZooKeeper server ${onServer(c)} takes {{ $value | printf "%.1f" }} ms on average to process a request (threshold ${c.param('threshold')} ms).`,
  },
  {
    name: 'ZooKeeperClientLatencyHigh',
    severity: 'warning',
    scope: 'server',
    for: '10m',
    needs: ['clientOperationBucket'],
    params: { threshold: { value: 0.5, unit: 's', doc: 'p99 of every operation of the zookeeper_session probe, 5m window' } },
    meaning: 'the p99 latency a real client sees on this server (zookeeper_session probe) is above the threshold',
    expr: (c) => `histogram_quantile(0.99, sum by (${c.server}, le) (rate(${c.signal('clientOperationBucket')}[5m]))) > ${c.param('threshold')}`,
    summary: (c) => `Clients of ZooKeeper server ${onServer(c)} wait {{ $value | humanizeDuration }} (p99)`,
    description: (c) =>
      `The p99 latency of create/set/get/exists/children/delete measured by zkotel's session on ${onServer(c)} is {{ $value | humanizeDuration }} (threshold ${c.param('threshold')} s).`,
  },
  {
    name: 'ZooKeeperReplicationLagHigh',
    severity: 'warning',
    scope: 'server',
    for: '10m',
    needs: ['replicationLagBucket'],
    params: { threshold: { value: 1, unit: 's', doc: 'p99 time for a write through another server to be seen on this one, 5m window' } },
    meaning: 'writes through other servers take longer than the threshold (p99) to be seen on this server',
    expr: (c) => `histogram_quantile(0.99, sum by (${c.server}, le) (rate(${c.signal('replicationLagBucket')}[5m]))) > ${c.param('threshold')}`,
    summary: (c) => `ZooKeeper server ${onServer(c)} lags {{ $value | humanizeDuration }} behind`,
    description: (c) =>
      `Clients of ${onServer(c)} see writes made through other servers {{ $value | humanizeDuration }} late (p99, threshold ${c.param('threshold')} s).`,
  },
  {
    name: 'ZooKeeperSessionProbeFailing',
    severity: 'warning',
    scope: 'server',
    for: '10m',
    needs: ['sessionErrors'],
    params: { threshold: { value: 0, unit: 'errors per 5m', doc: 'any failed operation of the session probe, sustained for 10m' } },
    meaning: "the operations of zkotel's client session on this server keep failing (error code in the labels)",
    expr: (c) => `sum by (${c.server}, code) (increase(${c.signal('sessionErrors')}{code!~"${MISCONFIGURED_SESSION_CODES}"}[5m])) > ${c.param('threshold')}`,
    summary: (c) => `zkotel's client session on ZooKeeper server ${onServer(c)} fails with {{ $labels.code }}`,
    description: (c) =>
      `{{ $value | printf "%.0f" }} operations of zkotel's session on ${onServer(c)} failed with {{ $labels.code }} in 5 minutes. Real clients of this server likely fail too.`,
  },
  {
    name: 'ZooKeeperOutstandingRequestsHigh',
    severity: 'warning',
    scope: 'server',
    for: '5m',
    needs: ['outstandingRequests'],
    params: { threshold: { value: 10, unit: 'requests', doc: 'ZooKeeper reports no queue limit; a queue that stays above 10 means the server falls behind' } },
    meaning: 'requests queue up on the server',
    expr: (c) => `${perServer(c, c.signal('outstandingRequests'))} > ${c.param('threshold')}`,
    summary: (c) => `Requests queue up on ZooKeeper server ${onServer(c)}`,
    description: (c) => `${onServer(c)} has {{ $value }} outstanding requests (threshold ${c.param('threshold')}).`,
  },
  {
    name: 'ZooKeeperPendingSyncsHigh',
    severity: 'warning',
    scope: 'server',
    for: '5m',
    needs: ['pendingSyncs'],
    params: { threshold: { value: 10, unit: 'syncs', doc: 'sync requests queued on the leader' } },
    meaning: 'sync requests pile up on the leader',
    expr: (c) => `${perServer(c, c.signal('pendingSyncs'))} > ${c.param('threshold')}`,
    summary: (c) => `Syncs pile up on ZooKeeper leader ${onServer(c)}`,
    description: (c) => `The leader ${onServer(c)} has {{ $value }} pending syncs (threshold ${c.param('threshold')}).`,
  },
  {
    name: 'ZooKeeperFsyncSlow',
    severity: 'warning',
    scope: 'server',
    for: '10m',
    needs: ['fsyncSum', 'fsyncCount'],
    params: { threshold: { value: 100, unit: 'ms', doc: 'average fsync of the transaction log over 5m; ZooKeeper itself warns at 1000 ms per fsync' } },
    meaning: "the transaction log's fsync is slow: every write waits for it",
    expr: (c) =>
      `sum by (${c.server}) (rate(${c.signal('fsyncSum')}[5m])) / (sum by (${c.server}) (rate(${c.signal('fsyncCount')}[5m])) > 0) > ${c.param('threshold')}`,
    summary: (c) => `Transaction log fsync is slow on ZooKeeper server ${onServer(c)}`,
    description: (c) =>
      `An fsync of the transaction log on ${onServer(c)} takes {{ $value | printf "%.1f" }} ms on average (threshold ${c.param('threshold')} ms).`,
  },
  {
    name: 'ZooKeeperFileDescriptorsNearLimit',
    severity: 'warning',
    scope: 'server',
    for: '5m',
    needs: ['fdOpen', 'fdLimit'],
    params: { threshold: { value: 0.8, unit: 'ratio of max_file_descriptor_count', doc: "relative to the server's own limit" } },
    meaning: "open file descriptors above the threshold fraction of the server's own limit",
    expr: (c) => `${perServer(c, c.signal('fdOpen'))} / on (${c.server}) ${perServer(c, `${c.signal('fdLimit')} > 0`)} > ${c.param('threshold')}`,
    summary: (c) => `ZooKeeper server ${onServer(c)} nears its file descriptor limit`,
    description: (c) =>
      `${onServer(c)} uses {{ $value | humanizePercentage }} of its file descriptors (threshold ${c.param('threshold')}). At the limit it refuses connections and cannot write snapshots.`,
  },
  {
    name: 'ZooKeeperConnectionsNearLimit',
    severity: 'warning',
    scope: 'server',
    for: '5m',
    needs: ['connections'],
    params: {
      threshold: {
        value: 0.8,
        unit: 'ratio of maxClientCnxns',
        doc: "connections of the busiest client IP (cons), or all connections, against the server's maxClientCnxns (conf)",
      },
      fallback: { value: 1000, unit: 'connections', doc: 'used when maxClientCnxns is unknown (conf not probed) or unlimited (0)' },
    },
    meaning: "connections near the server's maxClientCnxns (per client IP, from conf), or above a fixed count when that limit is unknown",
    expr: (c) => {
      const limit = c.has('maxClientCnxns') ? perServer(c, `${c.signal('maxClientCnxns')} > 0`) : undefined;
      const fallback = `${perServer(c, c.signal('connections'))} > ${c.param('fallback')}`;
      if (!limit) return fallback;
      const busiestAddress = c.has('connectionsPerAddress')
        ? `${perServer(c, c.signal('connectionsPerAddress'))} / on (${c.server}) ${limit}\nor on (${c.server})\n`
        : '';
      return `(\n${busiestAddress}${perServer(c, c.signal('connections'))} / on (${c.server}) ${limit}\n) > ${c.param('threshold')}\nor on (${c.server})\n(${fallback} unless on (${c.server}) ${limit})`;
    },
    summary: (c) => `ZooKeeper server ${onServer(c)} nears its connection limit`,
    description: (c) =>
      `${onServer(c)}: {{ $value | printf "%.2f" }} (a fraction of maxClientCnxns when the server reports it, above ${c.param('threshold')}; ` +
      `else a connection count above ${c.param('fallback')}). At maxClientCnxns the server refuses new connections from that client IP.`,
  },
  {
    name: 'ZooKeeperZnodeCountHigh',
    severity: 'warning',
    scope: 'server',
    for: '10m',
    needs: ['znodes'],
    params: { threshold: { value: 1_000_000, unit: 'znodes', doc: "ZooKeeper has no limit; the whole tree lives in every server's heap" } },
    meaning: 'more znodes than the threshold: heap, snapshots and restarts grow with them',
    expr: (c) => `${perServer(c, c.signal('znodes'))} > ${c.param('threshold')}`,
    summary: (c) => `ZooKeeper cluster ${c.clusterText} holds {{ $value | humanize }} znodes`,
    description: (c) => `${onServer(c)} holds {{ $value | humanize }} znodes (threshold ${c.param('threshold')}).`,
  },
  {
    name: 'ZooKeeperDataSizeHigh',
    severity: 'warning',
    scope: 'server',
    for: '10m',
    needs: ['dataSize'],
    params: { threshold: { value: 1_073_741_824, unit: 'bytes', doc: "1 GiB of data in the tree, as ZooKeeper's own rules" } },
    meaning: 'the data tree is larger than the threshold',
    expr: (c) => `${perServer(c, c.signal('dataSize'))} > ${c.param('threshold')}`,
    summary: (c) => `ZooKeeper server ${onServer(c)} holds {{ $value | humanize1024 }}B of data`,
    description: (c) => `The data tree of ${onServer(c)} is {{ $value | humanize1024 }}B (threshold ${c.param('threshold')} bytes).`,
  },
  {
    name: 'ZooKeeperWatchCountHigh',
    severity: 'warning',
    scope: 'server',
    for: '10m',
    needs: ['watches'],
    params: { threshold: { value: 10_000, unit: 'watches', doc: "as ZooKeeper's own rules; raise it for clusters that serve many watchers by design" } },
    meaning: 'more watches than the threshold on one server',
    expr: (c) => `${perServer(c, c.signal('watches'))} > ${c.param('threshold')}`,
    summary: (c) => `ZooKeeper server ${onServer(c)} holds {{ $value | humanize }} watches`,
    description: (c) => `${onServer(c)} holds {{ $value | humanize }} watches (threshold ${c.param('threshold')}). Each change fires them all.`,
  },
  {
    name: 'ZooKeeperZxidNearRollover',
    severity: 'warning',
    scope: 'server',
    for: '0m',
    needs: ['zxidSequence'],
    params: { threshold: { value: 0.9, unit: 'ratio of 2^32', doc: 'the zxid counter (low 32 bits) at 2^32 forces a leader election' } },
    meaning: 'the zxid counter is close to 2^32, where ZooKeeper forces a leader election',
    expr: (c) => `${perServer(c, c.signal('zxidSequence'))} / 4294967296 > ${c.param('threshold')}`,
    summary: (c) => `ZooKeeper cluster ${c.clusterText} nears a zxid rollover`,
    description: (c) =>
      `The zxid counter of ${onServer(c)} is at {{ $value | humanizePercentage }} of 2^32. At 2^32 the leader steps down and an election starts a new epoch.`,
  },
  {
    name: 'ZooKeeperVersionMismatch',
    severity: 'warning',
    scope: 'cluster',
    for: '1h',
    needs: ['buildInfo'],
    meaning: 'members of one cluster run different ZooKeeper versions (for longer than a rolling upgrade)',
    expr: (c) => `count by (${c.cluster}) (count by (${c.cluster}, version) (${c.signal('buildInfo')})) > 1`,
    summary: (c) => `ZooKeeper cluster ${c.clusterText} runs {{ $value }} versions`,
    description: (c) =>
      `Members of cluster ${c.clusterText} have run {{ $value }} different ZooKeeper versions for over an hour. Finish or roll back the upgrade.`,
  },
  {
    name: 'ZooKeeperProbeMisconfigured',
    severity: 'warning',
    scope: 'server',
    for: '5m',
    needs: ['probeFailure'],
    meaning: 'the agent cannot look (command not whitelisted, TLS or auth failure): not the server being down',
    expr: (c) => {
      const session = c.has('sessionErrors')
        ? `\nor\nsum by (${c.server}, code) (increase(${c.signal('sessionErrors')}{code=~"${MISCONFIGURED_SESSION_CODES}"}[5m])) > 0`
        : '';
      return `max by (${c.server}, command, reason) (${c.signal('probeFailure')}{reason=~"${MISCONFIGURED_REASONS}"} == 1)${session}`;
    },
    summary: (c) => `zkotel cannot probe ZooKeeper server ${onServer(c)}: {{ $labels.reason }}{{ $labels.code }}`,
    description: (c) =>
      `zkotel's probe of ${onServer(c)} is refused for a reason on the agent's side: {{ if $labels.command }}command {{ $labels.command }}: {{ $labels.reason }}{{ else }}session error {{ $labels.code }}{{ end }}. ` +
      'Fix the whitelist, TLS or credentials; the server itself may be fine.',
  },
  {
    name: 'ZooKeeperAgentDown',
    severity: 'warning',
    scope: 'agent',
    for: '1m',
    needs: ['up'],
    meaning: 'Prometheus cannot scrape zkotel (or the target is gone): every ZooKeeper alert it feeds is blind',
    expr: (c) => {
      const fed = `count by (job, instance, ${c.cluster}) (max_over_time(${c.signal('up')}[${c.lookback}]))`.replace(`job, instance, job`, 'job, instance');
      return `0 * ${fed} + on (job, instance) group_left () (${c.agentUp} == 0)\nor on (job, instance)\n${c.agentUp} == 0\nor\nabsent(${c.agentUp})`;
    },
    summary: () => 'zkotel {{ $labels.instance }} is down',
    description: (c) =>
      `Prometheus cannot scrape zkotel {{ $labels.instance }} (job {{ $labels.job }}){{ if ${c.clusterVar} }}, which feeds cluster ${c.clusterText}{{ end }}. ` +
      'The ZooKeeper alerts of what it probes cannot fire.',
  },
  {
    name: 'ZooKeeperServerRestarted',
    severity: 'info',
    scope: 'server',
    for: '0m',
    needs: ['uptime'],
    meaning: 'the server process restarted in the last 15 minutes',
    expr: (c) => `${perServer(c, `resets(${c.signal('uptime')}[15m])`)} > 0`,
    summary: (c) => `ZooKeeper server ${onServer(c)} restarted`,
    description: (c) => `ZooKeeper server ${onServer(c)} restarted {{ $value }} times in the last 15 minutes.`,
  },
];
