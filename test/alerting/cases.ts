/**
 * promtool unit tests of the rules, as data: for every alert at least one case where it fires and one where it does
 * not. Series use promtool's expanding notation (`1x30` = 31 samples of 1, one a minute; `0+60x30` grows by 60).
 * A series that stops (a server that went away) simply ends: after Prometheus's 5m lookback it is gone.
 */

export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

export interface AlertCase {
  readonly name: string;
  readonly alert: string;
  readonly evalTime: string;
  readonly series: readonly InputSeries[];
  /** The labels of each expected alert (severity included); empty: the alert must not fire. */
  readonly expect: readonly Record<string, string>[];
}

const AGENT = { job: 'zkotel', instance: 'agent:9464' };

function selector(name: string, labels: Record<string, string>): string {
  return `${name}{${Object.entries({ ...AGENT, ...labels })
    .map(([key, value]) => `${key}="${value}"`)
    .join(', ')}}`;
}

/** zkotel's default names. */
export function series(name: string, labels: Record<string, string>, values: string): InputSeries {
  return { series: selector(name, labels), values };
}

type Role = 'leader' | 'follower' | 'observer' | 'standalone';
const STATES: readonly Role[] = ['leader', 'follower', 'observer', 'standalone'];

interface MemberOptions {
  readonly cluster?: string;
  /** Minutes the server answers; afterwards it is down (up 0, reason refused) for `down` more minutes. */
  readonly serving?: number;
  readonly down?: number;
  readonly synced?: number;
  readonly quorumSize?: number | undefined;
}

/** The series zkotel exports for one server: answering for `serving` minutes, then down with reason `refused`. */
export function member(endpoint: string, role: Role, options: MemberOptions = {}): InputSeries[] {
  const serving = options.serving ?? 30;
  const down = options.down ?? 0;
  const labels = { zk_cluster: options.cluster ?? 'prod', zk_endpoint: endpoint };
  const out: InputSeries[] = [
    series('zookeeper_up', labels, down > 0 ? `1x${serving} 0x${down}` : `1x${serving}`),
    ...STATES.map((state) => series('zookeeper_server_state', { ...labels, state }, `${state === role ? 1 : 0}x${serving}`)),
  ];
  if (options.quorumSize !== undefined || !('quorumSize' in options)) {
    if (role !== 'standalone') out.push(series('zookeeper_quorum_size', labels, `${options.quorumSize ?? 3}x${serving}`));
  }
  if (role === 'leader') {
    out.push(series('zookeeper_follower_count', { ...labels, state: 'synced' }, `${options.synced ?? 2}x${serving}`));
    out.push(series('zookeeper_follower_count', { ...labels, state: 'unsynced' }, `0x${serving}`));
  }
  if (down > 0) {
    out.push(series('zookeeper_probe_failure', { ...labels, command: 'mntr', reason: 'refused' }, `_x${serving} 1x${down}`));
  }
  return out;
}

const P = { zk_cluster: 'prod' };
const A = { zk_cluster: 'prod', zk_endpoint: 'a:2181' };
const B = { zk_cluster: 'prod', zk_endpoint: 'b:2181' };
const critical = (labels: Record<string, string>) => ({ ...labels, severity: 'critical' });
const warning = (labels: Record<string, string>) => ({ ...labels, severity: 'warning' });

/** A healthy 3-node cluster: a leads, b and c follow. */
const healthy3 = (minutes = 30): InputSeries[] => [
  ...member('a:2181', 'leader', { serving: minutes }),
  ...member('b:2181', 'follower', { serving: minutes }),
  ...member('c:2181', 'follower', { serving: minutes }),
];

/** A 5-voter cluster (quorum at 3) with `downCount` followers down after 5 minutes. */
const five = (downCount: number): InputSeries[] => [
  ...member('a:2181', 'leader', { quorumSize: 5, synced: 4 - downCount }),
  ...['b', 'c', 'd', 'e'].flatMap((name, index) =>
    member(`${name}:2181`, 'follower', index < downCount ? { quorumSize: 5, serving: 5, down: 25 } : { quorumSize: 5 }),
  ),
];

/** 3 voters and 2 observers (zk_quorum_size 3): `downVoters` followers down after 5 minutes, observers up. */
const withObservers = (downVoters: number, quorumSize: number | undefined = 3): InputSeries[] => [
  ...member('a:2181', 'leader', { quorumSize, synced: 2 - downVoters }),
  ...['b', 'c'].flatMap((name, index) => member(`${name}:2181`, 'follower', index < downVoters ? { quorumSize, serving: 5, down: 25 } : { quorumSize })),
  ...member('o1:2181', 'observer', { quorumSize }),
  ...member('o2:2181', 'observer', { quorumSize }),
];

/** A gauge on server a (and a quiet one on b) for the single-threshold alerts. */
const gaugeCase = (alert: string, metric: string, high: string, low: string, minutes = 30): AlertCase[] => [
  {
    name: `${alert}: ${metric} ${high} fires`,
    alert,
    evalTime: `${minutes}m`,
    series: [series(metric, A, `${high}x${minutes}`), series(metric, B, `${low}x${minutes}`)],
    expect: [warning(A)],
  },
  { name: `${alert}: ${metric} ${low} does not fire`, alert, evalTime: `${minutes}m`, series: [series(metric, A, `${low}x${minutes}`)], expect: [] },
];

export const DEFAULT_CASES: readonly AlertCase[] = [
  // Quorum: majority of the voting members, from the ensemble's own zk_quorum_size.
  {
    name: 'QuorumLost: 2 of 3 down, the last one stops serving',
    alert: 'ZooKeeperQuorumLost',
    evalTime: '20m',
    series: [
      ...member('a:2181', 'leader', { serving: 5, down: 25 }),
      ...member('b:2181', 'follower', { serving: 5, down: 25 }),
      ...member('c:2181', 'follower', { serving: 5, down: 25 }),
    ],
    expect: [critical(P)],
  },
  {
    name: 'QuorumLost: 1 of 3 down keeps the quorum',
    alert: 'ZooKeeperQuorumLost',
    evalTime: '20m',
    series: [...member('a:2181', 'leader', { synced: 1 }), ...member('b:2181', 'follower'), ...member('c:2181', 'follower', { serving: 5, down: 25 })],
    expect: [],
  },
  { name: 'QuorumLost: 5 members, 2 down keeps the quorum of 3', alert: 'ZooKeeperQuorumLost', evalTime: '20m', series: five(2), expect: [] },
  { name: 'QuorumLost: 5 members, 3 down loses it', alert: 'ZooKeeperQuorumLost', evalTime: '20m', series: five(3), expect: [critical(P)] },
  {
    name: 'QuorumLost: observers do not vote (2 of 3 voters down, both observers up)',
    alert: 'ZooKeeperQuorumLost',
    evalTime: '20m',
    series: withObservers(2),
    expect: [critical(P)],
  },
  {
    name: 'QuorumLost: observers do not vote, also without zk_quorum_size (3.4)',
    alert: 'ZooKeeperQuorumLost',
    evalTime: '20m',
    series: withObservers(2, undefined).filter((s) => !s.series.startsWith('zookeeper_quorum_size')),
    expect: [critical(P)],
  },
  { name: 'QuorumLost: healthy cluster with observers', alert: 'ZooKeeperQuorumLost', evalTime: '20m', series: withObservers(0), expect: [] },
  {
    name: 'QuorumAtRisk: 1 of 3 down',
    alert: 'ZooKeeperQuorumAtRisk',
    evalTime: '20m',
    series: [...member('a:2181', 'leader', { synced: 1 }), ...member('b:2181', 'follower'), ...member('c:2181', 'follower', { serving: 5, down: 25 })],
    expect: [warning(P)],
  },
  { name: 'QuorumAtRisk: 5 members, 2 down', alert: 'ZooKeeperQuorumAtRisk', evalTime: '20m', series: five(2), expect: [warning(P)] },
  { name: 'QuorumAtRisk: 5 members, 1 down is not at risk', alert: 'ZooKeeperQuorumAtRisk', evalTime: '20m', series: five(1), expect: [] },
  { name: 'QuorumAtRisk: 1 voter of 3 down, observers up', alert: 'ZooKeeperQuorumAtRisk', evalTime: '20m', series: withObservers(1), expect: [warning(P)] },
  { name: 'QuorumAtRisk: healthy', alert: 'ZooKeeperQuorumAtRisk', evalTime: '20m', series: healthy3(), expect: [] },

  // Leaders.
  {
    name: 'NoLeader: every server follows nobody',
    alert: 'ZooKeeperNoLeader',
    evalTime: '20m',
    series: ['a', 'b', 'c'].flatMap((name) => member(`${name}:2181`, 'follower')),
    expect: [critical(P)],
  },
  { name: 'NoLeader: healthy', alert: 'ZooKeeperNoLeader', evalTime: '20m', series: healthy3(), expect: [] },
  {
    name: 'NoLeader: a standalone server has no leader by design',
    alert: 'ZooKeeperNoLeader',
    evalTime: '20m',
    series: member('s:2181', 'standalone'),
    expect: [],
  },
  {
    name: 'MultipleLeaders: a partitioned old leader still says leader, without followers: not split brain',
    alert: 'ZooKeeperMultipleLeaders',
    evalTime: '20m',
    series: [...member('a:2181', 'leader', { synced: 0 }), ...member('b:2181', 'leader', { synced: 1 }), ...member('c:2181', 'follower')],
    expect: [],
  },
  {
    name: 'NoLeader: the partitioned old leader does not hide the new one, nor stand in for a missing one',
    alert: 'ZooKeeperNoLeader',
    evalTime: '20m',
    series: [...member('a:2181', 'leader', { synced: 0 }), ...member('b:2181', 'follower'), ...member('c:2181', 'follower')],
    expect: [critical(P)],
  },
  {
    name: 'MultipleLeaders: two leaders each followed by a majority of 5',
    alert: 'ZooKeeperMultipleLeaders',
    evalTime: '20m',
    series: [
      ...member('a:2181', 'leader', { quorumSize: 5, synced: 2 }),
      ...member('b:2181', 'leader', { quorumSize: 5, synced: 2 }),
      ...['c', 'd', 'e'].flatMap((name) => member(`${name}:2181`, 'follower', { quorumSize: 5 })),
    ],
    expect: [critical(P)],
  },
  {
    name: 'MultipleLeaders: a second leader without follower counts but whose writes commit counts',
    alert: 'ZooKeeperMultipleLeaders',
    evalTime: '20m',
    series: [
      ...member('a:2181', 'leader'),
      ...member('b:2181', 'leader').filter((s) => !s.series.startsWith('zookeeper_follower_count')),
      series('zookeeper_client_operation_duration_count', { ...B, operation: 'create' }, '0+6x30'),
      ...member('c:2181', 'follower'),
    ],
    expect: [critical(P)],
  },
  { name: 'MultipleLeaders: healthy', alert: 'ZooKeeperMultipleLeaders', evalTime: '20m', series: healthy3(), expect: [] },

  // Server health.
  {
    name: 'ServerDown: refused',
    alert: 'ZooKeeperServerDown',
    evalTime: '20m',
    series: [...member('a:2181', 'leader', { synced: 1 }), ...member('b:2181', 'follower', { serving: 5, down: 25 })],
    expect: [warning(B)],
  },
  {
    name: 'ServerDown: up 0 without a reason series',
    alert: 'ZooKeeperServerDown',
    evalTime: '20m',
    series: [series('zookeeper_up', B, '0x30')],
    expect: [warning(B)],
  },
  {
    name: 'ServerDown: not whitelisted is not down',
    alert: 'ZooKeeperServerDown',
    evalTime: '20m',
    series: [series('zookeeper_up', B, '0x30'), series('zookeeper_probe_failure', { ...B, command: 'conf', reason: 'not_whitelisted' }, '1x30')],
    expect: [],
  },
  { name: 'ServerDown: healthy', alert: 'ZooKeeperServerDown', evalTime: '20m', series: healthy3(), expect: [] },
  {
    name: 'ServerDown: down for less than its for: 1m',
    alert: 'ZooKeeperServerDown',
    evalTime: '10m',
    series: [series('zookeeper_up', B, '1x9 0x5')],
    expect: [],
  },
  {
    name: 'ProbeMisconfigured: mntr not whitelisted',
    alert: 'ZooKeeperProbeMisconfigured',
    evalTime: '20m',
    series: [series('zookeeper_up', B, '0x30'), series('zookeeper_probe_failure', { ...B, command: 'mntr', reason: 'not_whitelisted' }, '1x30')],
    expect: [warning({ ...B, command: 'mntr', reason: 'not_whitelisted' })],
  },
  {
    name: 'ProbeMisconfigured: TLS unknown authority',
    alert: 'ZooKeeperProbeMisconfigured',
    evalTime: '20m',
    series: [series('zookeeper_probe_failure', { ...B, command: 'mntr', reason: 'tls_unknown_authority' }, '1x30')],
    expect: [warning({ ...B, command: 'mntr', reason: 'tls_unknown_authority' })],
  },
  {
    name: 'ProbeMisconfigured: session NO_AUTH',
    alert: 'ZooKeeperProbeMisconfigured',
    evalTime: '20m',
    series: [series('zookeeper_client_operation_errors_total', { ...B, operation: 'create', code: 'NO_AUTH' }, '0+1x30')],
    expect: [warning({ ...B, code: 'NO_AUTH' })],
  },
  {
    name: 'ProbeMisconfigured: refused is the server, not the probe',
    alert: 'ZooKeeperProbeMisconfigured',
    evalTime: '20m',
    series: member('b:2181', 'follower', { serving: 5, down: 25 }),
    expect: [],
  },
  {
    name: 'SessionProbeFailing: CONNECTION_LOSS every minute',
    alert: 'ZooKeeperSessionProbeFailing',
    evalTime: '30m',
    series: [series('zookeeper_client_operation_errors_total', { ...B, operation: 'create', code: 'CONNECTION_LOSS' }, '0+1x30')],
    expect: [warning({ ...B, code: 'CONNECTION_LOSS' })],
  },
  {
    name: 'SessionProbeFailing: NO_AUTH is a misconfiguration',
    alert: 'ZooKeeperSessionProbeFailing',
    evalTime: '30m',
    series: [series('zookeeper_client_operation_errors_total', { ...B, operation: 'create', code: 'NO_AUTH' }, '0+1x30')],
    expect: [],
  },
  {
    name: 'SessionProbeFailing: an agent restart resets the counter, no new error',
    alert: 'ZooKeeperSessionProbeFailing',
    evalTime: '30m',
    series: [series('zookeeper_client_operation_errors_total', { ...B, operation: 'create', code: 'CONNECTION_LOSS' }, '7x15 0x15')],
    expect: [],
  },
  {
    name: 'ServerRestarted: uptime went back',
    alert: 'ZooKeeperServerRestarted',
    evalTime: '20m',
    series: [series('zookeeper_uptime', B, '600000+60000x14 1000+60000x15')],
    expect: [{ ...B, severity: 'info' }],
  },
  {
    name: 'ServerRestarted: uptime grows',
    alert: 'ZooKeeperServerRestarted',
    evalTime: '20m',
    series: [series('zookeeper_uptime', B, '600000+60000x30')],
    expect: [],
  },
  {
    name: 'AgentDown: its scrape fails; it fed cluster prod',
    alert: 'ZooKeeperAgentDown',
    evalTime: '20m',
    series: [series('up', {}, '1x10 0x20'), series('zookeeper_up', A, '1x10')],
    expect: [warning({ ...P, ...AGENT })],
  },
  {
    name: 'AgentDown: no target at all',
    alert: 'ZooKeeperAgentDown',
    evalTime: '20m',
    series: [series('zookeeper_up', A, '1x30')],
    expect: [warning({ job: 'zkotel' })],
  },
  {
    name: 'AgentDown: scraped',
    alert: 'ZooKeeperAgentDown',
    evalTime: '20m',
    series: [series('up', {}, '1x30'), series('zookeeper_up', A, '1x30')],
    expect: [],
  },

  // Replication and elections.
  {
    name: 'FollowersNotSynced: one learner stays unsynced',
    alert: 'ZooKeeperFollowersNotSynced',
    evalTime: '20m',
    series: [series('zookeeper_follower_count', { ...A, state: 'unsynced' }, '1x30')],
    expect: [warning(A)],
  },
  { name: 'FollowersNotSynced: all synced', alert: 'ZooKeeperFollowersNotSynced', evalTime: '20m', series: healthy3(), expect: [] },
  {
    name: 'FrequentLeaderElections: 4 elections in the hour, across a counter reset',
    alert: 'ZooKeeperFrequentLeaderElections',
    evalTime: '60m',
    series: [series('zookeeper_election_time_count_total', A, '1x20 2x5 0x5 1x5 2x5 3x20')],
    expect: [warning(P)],
  },
  {
    name: 'FrequentLeaderElections: a restart alone (counter back to 0) is no election',
    alert: 'ZooKeeperFrequentLeaderElections',
    evalTime: '60m',
    series: [series('zookeeper_election_time_count_total', A, '5x30 0x30')],
    expect: [],
  },
  {
    name: 'FrequentLeaderElections: steady',
    alert: 'ZooKeeperFrequentLeaderElections',
    evalTime: '60m',
    series: [series('zookeeper_election_time_count_total', A, '1x60')],
    expect: [],
  },
  ...['client_operation_duration', 'client_replication_lag'].flatMap((histogram): AlertCase[] => {
    const alert = histogram === 'client_operation_duration' ? 'ZooKeeperClientLatencyHigh' : 'ZooKeeperReplicationLagHigh';
    const extra: Record<string, string> = histogram === 'client_operation_duration' ? { operation: 'get' } : { source: 'a:2181' };
    const buckets = (fast: string, slow: string) => [
      series(`zookeeper_${histogram}_bucket`, { ...B, ...extra, le: '0.1' }, fast),
      series(`zookeeper_${histogram}_bucket`, { ...B, ...extra, le: '5' }, slow),
      series(`zookeeper_${histogram}_bucket`, { ...B, ...extra, le: '+Inf' }, slow),
    ];
    return [
      { name: `${alert}: every observation between 0.1 s and 5 s`, alert, evalTime: '30m', series: buckets('0x30', '0+10x30'), expect: [warning(B)] },
      { name: `${alert}: every observation under 0.1 s`, alert, evalTime: '30m', series: buckets('0+10x30', '0+10x30'), expect: [] },
      {
        name: `${alert}: a counter reset (agent restart) is not latency`,
        alert,
        evalTime: '30m',
        series: buckets('0+10x15 0+10x15', '0+10x15 0+10x15'),
        expect: [],
      },
    ];
  }),

  // Load and limits.
  {
    name: 'HighRequestLatency: reads and updates take 150 ms on average',
    alert: 'ZooKeeperHighRequestLatency',
    evalTime: '20m',
    series: [
      series('zookeeper_readlatency_sum_total', B, '0+9000x30'),
      series('zookeeper_readlatency_count_total', B, '0+60x30'),
      series('zookeeper_updatelatency_sum_total', B, '0+9000x30'),
      series('zookeeper_updatelatency_count_total', B, '0+60x30'),
    ],
    expect: [warning(B)],
  },
  {
    name: 'HighRequestLatency: 10 ms',
    alert: 'ZooKeeperHighRequestLatency',
    evalTime: '20m',
    series: [
      series('zookeeper_readlatency_sum_total', B, '0+600x30'),
      series('zookeeper_readlatency_count_total', B, '0+60x30'),
      series('zookeeper_updatelatency_sum_total', B, '0+600x30'),
      series('zookeeper_updatelatency_count_total', B, '0+60x30'),
      series('zookeeper_latency_avg', B, '500x30'),
    ],
    expect: [],
  },
  {
    name: 'HighRequestLatency: 3.4/3.5 without latency summaries: avg_latency 150',
    alert: 'ZooKeeperHighRequestLatency',
    evalTime: '20m',
    series: [series('zookeeper_latency_avg', B, '150x30')],
    expect: [warning(B)],
  },
  ...gaugeCase('ZooKeeperOutstandingRequestsHigh', 'zookeeper_request_active', '50', '5'),
  ...gaugeCase('ZooKeeperPendingSyncsHigh', 'zookeeper_sync_pending', '50', '5'),
  ...gaugeCase('ZooKeeperZnodeCountHigh', 'zookeeper_znode_count', '2000000', '1000'),
  ...gaugeCase('ZooKeeperDataSizeHigh', 'zookeeper_data_tree_size', '2000000000', '1000000'),
  ...gaugeCase('ZooKeeperWatchCountHigh', 'zookeeper_watch_count', '20000', '100'),
  ...gaugeCase('ZooKeeperZxidNearRollover', 'zookeeper_zxid_sequence', '4000000000', '1000000'),
  {
    name: 'FsyncSlow: 200 ms per fsync',
    alert: 'ZooKeeperFsyncSlow',
    evalTime: '30m',
    series: [series('zookeeper_fsynctime_sum_total', B, '0+2000x30'), series('zookeeper_fsynctime_count_total', B, '0+10x30')],
    expect: [warning(B)],
  },
  {
    name: 'FsyncSlow: 20 ms per fsync, across a server restart',
    alert: 'ZooKeeperFsyncSlow',
    evalTime: '30m',
    series: [series('zookeeper_fsynctime_sum_total', B, '0+200x15 0+200x15'), series('zookeeper_fsynctime_count_total', B, '0+10x15 0+10x15')],
    expect: [],
  },
  {
    name: 'FileDescriptorsNearLimit: 900 of its own limit 1000',
    alert: 'ZooKeeperFileDescriptorsNearLimit',
    evalTime: '20m',
    series: [series('zookeeper_file_descriptor_open', B, '900x30'), series('zookeeper_file_descriptor_limit', B, '1000x30')],
    expect: [warning(B)],
  },
  {
    name: 'FileDescriptorsNearLimit: 900 of its own limit 20000',
    alert: 'ZooKeeperFileDescriptorsNearLimit',
    evalTime: '20m',
    series: [series('zookeeper_file_descriptor_open', B, '900x30'), series('zookeeper_file_descriptor_limit', B, '20000x30')],
    expect: [],
  },
  {
    name: 'ConnectionsNearLimit: one client IP holds 55 of maxClientCnxns 60 (cons + conf)',
    alert: 'ZooKeeperConnectionsNearLimit',
    evalTime: '20m',
    series: [
      series('zookeeper_connection_active', B, '70x30'),
      series('zookeeper_client_connections', { ...B, client_address: '10.0.0.1' }, '55x30'),
      series('zookeeper_client_connections', { ...B, client_address: '10.0.0.2' }, '15x30'),
      series('zookeeper_config_max_client_cnxns', B, '60x30'),
    ],
    expect: [warning(B)],
  },
  {
    name: 'ConnectionsNearLimit: 100 connections over many IPs, none near maxClientCnxns 60',
    alert: 'ZooKeeperConnectionsNearLimit',
    evalTime: '20m',
    series: [
      series('zookeeper_connection_active', B, '100x30'),
      ...[1, 2, 3, 4, 5].map((ip) => series('zookeeper_client_connections', { ...B, client_address: `10.0.0.${ip}` }, '20x30')),
      series('zookeeper_config_max_client_cnxns', B, '60x30'),
    ],
    expect: [],
  },
  {
    name: 'ConnectionsNearLimit: without cons, all 55 connections against maxClientCnxns 60',
    alert: 'ZooKeeperConnectionsNearLimit',
    evalTime: '20m',
    series: [series('zookeeper_connection_active', B, '55x30'), series('zookeeper_config_max_client_cnxns', B, '60x30')],
    expect: [warning(B)],
  },
  {
    name: 'ConnectionsNearLimit: without conf, the fallback 1000',
    alert: 'ZooKeeperConnectionsNearLimit',
    evalTime: '20m',
    series: [series('zookeeper_connection_active', B, '1500x30')],
    expect: [warning(B)],
  },
  {
    name: 'ConnectionsNearLimit: maxClientCnxns 0 is unlimited: the fallback, not a division by 0',
    alert: 'ZooKeeperConnectionsNearLimit',
    evalTime: '20m',
    series: [series('zookeeper_connection_active', B, '500x30'), series('zookeeper_config_max_client_cnxns', B, '0x30')],
    expect: [],
  },
  {
    name: 'ConnectionsNearLimit: 500 connections without a known limit',
    alert: 'ZooKeeperConnectionsNearLimit',
    evalTime: '20m',
    series: [series('zookeeper_connection_active', B, '500x30')],
    expect: [],
  },
  {
    name: 'VersionMismatch: two versions for over an hour',
    alert: 'ZooKeeperVersionMismatch',
    evalTime: '80m',
    series: [series('zookeeper_build_info', { ...A, version: '3.8.0' }, '1x90'), series('zookeeper_build_info', { ...B, version: '3.8.4' }, '1x90')],
    expect: [warning(P)],
  },
  {
    name: 'VersionMismatch: one version',
    alert: 'ZooKeeperVersionMismatch',
    evalTime: '80m',
    series: [series('zookeeper_build_info', { ...A, version: '3.8.4' }, '1x90'), series('zookeeper_build_info', { ...B, version: '3.8.4' }, '1x90')],
    expect: [],
  },
];

/** The Go exporter's names: `zk_*`, `zk_host`, the cluster is the job. */
function compat(name: string, host: string | undefined, values: string, job = 'prod-zk'): InputSeries {
  return { series: `${name}{${[`job="${job}"`, `instance="exporter:9141"`, ...(host ? [`zk_host="${host}"`] : [])].join(', ')}}`, values };
}
const compatMember = (host: string, leader: boolean, serving = 30, down = 0, synced = 2): InputSeries[] => [
  compat('zk_up', host, down > 0 ? `1x${serving} 0x${down}` : `1x${serving}`),
  compat('zk_server_leader', host, `${leader ? 1 : 0}x${serving}`),
  compat('zk_quorum_size', host, `3x${serving}`),
  ...(leader ? [compat('zk_synced_followers', host, `${synced}x${serving}`)] : []),
];
const COMPAT_CLUSTER = { zk_cluster: 'prod-zk' };

export const COMPAT_CASES: readonly AlertCase[] = [
  {
    name: 'compat ServerDown: zk_up 0, labelled zk_cluster (job) and zk_endpoint (zk_host)',
    alert: 'ZooKeeperServerDown',
    evalTime: '20m',
    series: [...compatMember('a:2181', true, 30, 0, 1), ...compatMember('b:2181', false, 5, 25)],
    expect: [{ job: 'prod-zk', zk_host: 'b:2181', ...COMPAT_CLUSTER, zk_endpoint: 'b:2181', severity: 'warning' }],
  },
  {
    name: 'compat ServerDown: healthy',
    alert: 'ZooKeeperServerDown',
    evalTime: '20m',
    series: [...compatMember('a:2181', true), ...compatMember('b:2181', false)],
    expect: [],
  },
  {
    name: 'compat QuorumLost: 2 of 3 down',
    alert: 'ZooKeeperQuorumLost',
    evalTime: '20m',
    series: [...compatMember('a:2181', true, 5, 25), ...compatMember('b:2181', false, 5, 25), ...compatMember('c:2181', false)],
    expect: [{ job: 'prod-zk', ...COMPAT_CLUSTER, severity: 'critical' }],
  },
  {
    name: 'compat QuorumLost: 1 of 3 down',
    alert: 'ZooKeeperQuorumLost',
    evalTime: '20m',
    series: [...compatMember('a:2181', true, 30, 0, 1), ...compatMember('b:2181', false, 5, 25), ...compatMember('c:2181', false)],
    expect: [],
  },
  {
    name: 'compat MultipleLeaders: a partitioned old leader without followers',
    alert: 'ZooKeeperMultipleLeaders',
    evalTime: '20m',
    series: [...compatMember('a:2181', true, 30, 0, 0), ...compatMember('b:2181', true, 30, 0, 1), ...compatMember('c:2181', false)],
    expect: [],
  },
  {
    name: 'compat MultipleLeaders: two followed leaders',
    alert: 'ZooKeeperMultipleLeaders',
    evalTime: '20m',
    series: [...compatMember('a:2181', true, 30, 0, 1), ...compatMember('b:2181', true, 30, 0, 1), ...compatMember('c:2181', false)],
    expect: [{ job: 'prod-zk', ...COMPAT_CLUSTER, severity: 'critical' }],
  },
  {
    name: 'compat FileDescriptorsNearLimit: against zk_max_file_descriptor_count',
    alert: 'ZooKeeperFileDescriptorsNearLimit',
    evalTime: '20m',
    series: [compat('zk_open_file_descriptor_count', 'b:2181', '950x30'), compat('zk_max_file_descriptor_count', 'b:2181', '1000x30')],
    expect: [{ job: 'prod-zk', zk_host: 'b:2181', ...COMPAT_CLUSTER, zk_endpoint: 'b:2181', severity: 'warning' }],
  },
];
