/**
 * The metric namings the rules are rendered for. Alerts are written against signals (PromQL fragments) and labels
 * named here, so one definition serves zkotel's default names and the Go zookeeper-exporter's (`zk_*`, `zk_host`,
 * pipelines/compat-zookeeper-exporter.yaml). An alert that needs a signal a naming lacks is left out of that
 * naming's file (the file's header lists them).
 */
export type NamingId = 'default' | 'compat';

export type Signal =
  | 'up'
  | 'probeFailure'
  | 'leader'
  | 'votingServing'
  | 'observer'
  | 'standalone'
  | 'quorumSize'
  | 'syncedFollowers'
  | 'unsyncedFollowers'
  | 'electionCount'
  | 'requestLatencyMs'
  | 'clientOperationBucket'
  | 'replicationLagBucket'
  | 'sessionErrors'
  | 'sessionCreates'
  | 'outstandingRequests'
  | 'pendingSyncs'
  | 'fsyncSum'
  | 'fsyncCount'
  | 'fdOpen'
  | 'fdLimit'
  | 'connections'
  | 'connectionsPerAddress'
  | 'maxClientCnxns'
  | 'znodes'
  | 'dataSize'
  | 'watches'
  | 'zxidSequence'
  | 'buildInfo'
  | 'uptime';

export interface Naming {
  readonly id: NamingId;
  /** Prefix of recorded series: `<cluster label>:<prefix>_voting_members:max`. */
  readonly recordPrefix: string;
  /** The label that tells clusters apart, and the one naming a server. */
  readonly cluster: string;
  readonly endpoint: string;
  /** PromQL per signal; `$window` is replaced by the rule's range. */
  readonly signals: Partial<Record<Signal, string>>;
}

const DEFAULT_NAMING: Naming = {
  id: 'default',
  recordPrefix: 'zookeeper',
  cluster: 'zk_cluster',
  endpoint: 'zk_endpoint',
  signals: {
    up: 'zookeeper_up',
    probeFailure: 'zookeeper_probe_failure',
    leader: 'zookeeper_server_state{state="leader"}',
    votingServing: 'zookeeper_server_state{state=~"leader|follower"} == 1',
    observer: 'zookeeper_server_state{state="observer"}',
    standalone: 'zookeeper_server_state{state="standalone"}',
    quorumSize: 'zookeeper_quorum_size',
    syncedFollowers: 'zookeeper_follower_count{state="synced"}',
    unsyncedFollowers: 'zookeeper_follower_count{state="unsynced"}',
    electionCount: 'zookeeper_election_time_count_total',
    requestLatencyMs:
      'sum by (zk_cluster, zk_endpoint) (rate(zookeeper_readlatency_sum_total[$window]) + rate(zookeeper_updatelatency_sum_total[$window]))' +
      ' / (sum by (zk_cluster, zk_endpoint) (rate(zookeeper_readlatency_count_total[$window]) + rate(zookeeper_updatelatency_count_total[$window])) > 0)' +
      ' or on (zk_cluster, zk_endpoint) (max by (zk_cluster, zk_endpoint) (zookeeper_latency_avg) unless on (zk_cluster, zk_endpoint) zookeeper_readlatency_count_total)',
    clientOperationBucket: 'zookeeper_client_operation_duration_bucket',
    replicationLagBucket: 'zookeeper_client_replication_lag_bucket',
    sessionErrors: 'zookeeper_client_operation_errors_total',
    sessionCreates: 'zookeeper_client_operation_duration_count{operation="create"}',
    outstandingRequests: 'zookeeper_request_active',
    pendingSyncs: 'zookeeper_sync_pending',
    fsyncSum: 'zookeeper_fsynctime_sum_total',
    fsyncCount: 'zookeeper_fsynctime_count_total',
    fdOpen: 'zookeeper_file_descriptor_open',
    fdLimit: 'zookeeper_file_descriptor_limit',
    connections: 'zookeeper_connection_active',
    connectionsPerAddress: 'zookeeper_client_connections{client_address!="other"}',
    maxClientCnxns: 'zookeeper_config_max_client_cnxns',
    znodes: 'zookeeper_znode_count',
    dataSize: 'zookeeper_data_tree_size',
    watches: 'zookeeper_watch_count',
    zxidSequence: 'zookeeper_zxid_sequence',
    buildInfo: 'zookeeper_build_info',
    uptime: 'zookeeper_uptime',
  },
};

/**
 * The Go exporter's names keep only `zk_host` (and `version`): the cluster is the Prometheus `job` (one job per
 * ensemble, as that exporter is deployed). The role is only `zk_server_leader`, so every answering server counts as
 * serving (observers cannot be told apart), and mntr's string keys, the reasons of failures, srvr/conf/cons and the
 * session probe do not exist there.
 */
const COMPAT_NAMING: Naming = {
  id: 'compat',
  recordPrefix: 'zk',
  cluster: 'job',
  endpoint: 'zk_host',
  signals: {
    up: 'zk_up',
    leader: 'zk_server_leader',
    votingServing: 'zk_up == 1',
    quorumSize: 'zk_quorum_size',
    syncedFollowers: 'zk_synced_followers',
    unsyncedFollowers: 'zk_learners - zk_synced_followers - zk_synced_observers',
    electionCount: 'zk_cnt_election_time',
    requestLatencyMs:
      'sum by (job, zk_host) (rate(zk_sum_readlatency[$window]) + rate(zk_sum_updatelatency[$window]))' +
      ' / (sum by (job, zk_host) (rate(zk_cnt_readlatency[$window]) + rate(zk_cnt_updatelatency[$window])) > 0)' +
      ' or on (job, zk_host) (max by (job, zk_host) (zk_avg_latency) unless on (job, zk_host) zk_cnt_readlatency)',
    outstandingRequests: 'zk_outstanding_requests',
    pendingSyncs: 'zk_pending_syncs',
    fsyncSum: 'zk_sum_fsynctime',
    fsyncCount: 'zk_cnt_fsynctime',
    fdOpen: 'zk_open_file_descriptor_count',
    fdLimit: 'zk_max_file_descriptor_count',
    connections: 'zk_num_alive_connections',
    znodes: 'zk_znode_count',
    dataSize: 'zk_approximate_data_size',
    watches: 'zk_watch_count',
    buildInfo: 'zk_version',
    uptime: 'zk_uptime',
  },
};

export const NAMINGS: Readonly<Record<NamingId, Naming>> = { default: DEFAULT_NAMING, compat: COMPAT_NAMING };
