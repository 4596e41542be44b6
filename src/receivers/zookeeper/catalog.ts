/**
 * What the keys of ZooKeeper's `mntr` four-letter word mean. Pure data, no I/O.
 *
 * Sources (read through public mirrors; versions noted per entry where they matter):
 * - OpenTelemetry Collector contrib, zookeeper receiver/scraper:
 *   open-telemetry/opentelemetry-collector-contrib `scraper/zookeeperscraper/metadata.yaml`
 *   (commit 9d81c764ab546b52c81661b1f4e19d58549d56b2; the metric definitions are identical to
 *   `receiver/zookeeperreceiver/metadata.yaml` at e7ad457d7574e0b2ac246c52509f52e06f21b91a, from which the
 *   scraper was extracted in PR #37388) and the key mapping in `scraper/zookeeperscraper/metrics.go`
 *   (commit 68f940774c67106a088fe306f688407010d3ac5b) / `receiver/zookeeperreceiver/metrics.go` (ba96fac1).
 * - Apache ZooKeeper, apache/zookeeper:
 *   `zookeeper-server/src/main/java/org/apache/zookeeper/server/ServerMetrics.java` (3.6-era commit
 *   02c203fa486ac24553d9584768fe97960b6dec24, 3.7/3.8-era commit e4c175fba845d7b765afc0d36db2f5b7145dec5e, plus the
 *   3.9 additions snapshot/restore/observer_sync_time/quota_exceeded_error_per_namespace),
 *   `.../server/ServerStats.java`, `.../server/ZooKeeperServer.java#registerMetrics`,
 *   `.../server/quorum/LeaderZooKeeperServer.java#registerMetrics`,
 *   `.../server/command/MonitorCommand.java` (3.4/3.5: `src/java/main/.../MonitorCommand.java`),
 *   `.../metrics/impl/DefaultMetricsProvider.java` and `.../server/metric/AvgMinMax*Counter*.java`,
 *   `.../server/metric/SimpleCounterSet.java`.
 * - Real `mntr` replies in test/fixtures/mntr (see SOURCES.md there).
 *
 * mntr wire format: one `zk_<key>\t<value>\n` line per metric (MonitorCommand prints "zk_" + key + TAB + value).
 * Longs and ints print as integers, other Numbers as Java doubles (`0.0`, `0.5714`), anything else via toString().
 * 3.4/3.5 print a fixed list from MonitorCommand; 3.6+ print `version`, `server_state` (+ `peer_state` on quorum
 * peers) and then every metric of the DefaultMetricsProvider: gauges, counters, then summaries and summary sets.
 *
 * SUMMARY KEY FORMAT (verified in AvgMinMaxCounter.values() / AvgMinMaxPercentileCounter.values() and in fixtures):
 * the statistic comes FIRST, the family LAST: `zk_<stat>_<family>`, e.g. `zk_p99_readlatency` (NOT `zk_readlatency_p99`).
 * - Every summary (DetailLevel.BASIC -> AvgMinMaxCounter) prints 5 keys:
 *   `avg_<f>` (double, rounded to 4 decimals, 0 when empty), `min_<f>`, `max_<f>` (long, 0 when empty),
 *   `cnt_<f>`, `sum_<f>` (long, cumulative since start or the last `srst`).
 * - DetailLevel.ADVANCED summaries (AvgMinMaxPercentileCounter) add 4 more: `p50_<f>`, `p95_<f>`, `p99_<f>`, `p999_<f>`
 *   (Math.round of a uniform 4096-sample reservoir over everything since the last reset, not a sliding time window).
 *   Example from test/fixtures/mntr/mntr-3.7.0.txt: `zk_p99_readlatency\t5`, `zk_p999_readlatency\t8`.
 * - Summary sets (AvgMinMaxCounterSet / AvgMinMaxPercentileCounterSet) name each member `<label>_<family>`, so the
 *   keys are `zk_<stat>_<label>_<family>`, e.g. `zk_avg_10_learner_handler_qp_size` (server id 10) or
 *   `zk_p99_10_learner_handler_qp_time_ms`, `zk_avg_zookeeper_read_per_namespace` (namespace "zookeeper").
 * - Counter sets (SimpleCounterSet, 3.9+) likewise print `zk_<label>_<family>`; gauge sets (3.9+, quota_*) print
 *   `zk_<label>_<family>` too (DefaultMetricsProvider: `key + "_" + name`).
 *
 * Parsing pitfalls:
 * - `zk_avg_latency`, `zk_min_latency`, `zk_max_latency` look like a summary of a family `latency` but are three
 *   gauges (ServerStats); likewise `zk_max_file_descriptor_count`, `zk_{min,max}_proposal_size`,
 *   `zk_{min,max}_client_response_size` are plain gauges. Only treat `<stat>_<rest>` as a summary key when `<rest>`
 *   is (or ends in) a family below, or when `cnt_<rest>` is present in the same reply.
 * - Look up exact non-set families before suffix-matching set families: `quorum_ack_latency` (a plain summary)
 *   ends in `_ack_latency` (a set family keyed by server id).
 * - Family names ending in `_count` (`inflight_snap_count`, `node_created_watch_count`, ...) are summaries, not counters.
 */
import type { MetricKind, ValueType } from '../../core/batch.js';

/** A metric of the OpenTelemetry Collector zookeeper receiver, keyed by the mntr key WITHOUT the `zk_` prefix. */
export interface OtelMetricSpec {
  name: string;
  kind: MetricKind;
  valueType: ValueType;
  unit: string;
  description: string;
  attributes?: Readonly<Record<string, string>>;
}

function spec(
  name: string,
  kind: MetricKind,
  valueType: ValueType,
  unit: string,
  description: string,
  attributes?: Readonly<Record<string, string>>,
): OtelMetricSpec {
  return Object.freeze(
    attributes ? { name, kind, valueType, unit, description, attributes: Object.freeze({ ...attributes }) } : { name, kind, valueType, unit, description },
  );
}

/**
 * The OTel receiver's metadata.yaml, keyed by the mntr key that feeds each metric (metrics.go `recordDataPointsFunc`).
 * `sum` with `monotonic: true` -> 'counter'; gauges and non-monotonic sums -> 'gauge'.
 *
 * Notes:
 * - `zookeeper.latency.avg` is `value_type: int` in metadata.yaml although ZooKeeper >= 3.6 prints a fractional
 *   `zk_avg_latency` (e.g. `0.5714`). The scraper used to drop the line (strconv.ParseInt fails); since PR #47407
 *   (2026) it parses the float and truncates it to int64. zkotel keeps the same name, kind and unit but makes all three
 *   latency gauges 'double', so 0.0989 stays 0.0989 (the truncation is the bug users report, see README).
 * - `zookeeper.follower.count{state=unsynced}` has no mntr key of its own: the receiver computes it as
 *   `zk_followers - zk_synced_followers` (metrics.go `computeNotSyncedFollowersMetric`), and only when both keys are
 *   present. `zk_followers` exists only in 3.4/3.5 (MonitorCommand); ZooKeeper 3.6+ renamed it `zk_learners`
 *   (ZOOKEEPER-3117; it also counts observers), so the OTel receiver emits no unsynced point for 3.6+ servers.
 * - `zookeeper.ruok` (gauge, int, unit "1", "Response from zookeeper ruok command") comes from the `ruok` command,
 *   not from mntr, so it is not in this table.
 * - `zk_version` and `zk_server_state` become the resource attributes `zk.version` and `server.state`.
 */
export const OTEL_MNTR_METRICS: Readonly<Record<string, OtelMetricSpec>> = Object.freeze({
  approximate_data_size: spec('zookeeper.data_tree.size', 'gauge', 'int', 'By', 'Size of data in bytes that a ZooKeeper server has in its data tree.'),
  avg_latency: spec('zookeeper.latency.avg', 'gauge', 'double', 'ms', 'Average time in milliseconds for requests to be processed.'),
  ephemerals_count: spec(
    'zookeeper.data_tree.ephemeral_node.count',
    'gauge',
    'int',
    '{nodes}',
    'Number of ephemeral nodes that a ZooKeeper server has in its data tree.',
  ),
  fsync_threshold_exceed_count: spec(
    'zookeeper.fsync.exceeded_threshold.count',
    'counter',
    'int',
    '{events}',
    'Number of times fsync duration has exceeded warning threshold.',
  ),
  max_file_descriptor_count: spec(
    'zookeeper.file_descriptor.limit',
    'gauge',
    'int',
    '{file_descriptors}',
    'Maximum number of file descriptors that a ZooKeeper server can open.',
  ),
  max_latency: spec('zookeeper.latency.max', 'gauge', 'double', 'ms', 'Maximum time in milliseconds for requests to be processed.'),
  min_latency: spec('zookeeper.latency.min', 'gauge', 'double', 'ms', 'Minimum time in milliseconds for requests to be processed.'),
  num_alive_connections: spec('zookeeper.connection.active', 'gauge', 'int', '{connections}', 'Number of active clients connected to a ZooKeeper server.'),
  open_file_descriptor_count: spec(
    'zookeeper.file_descriptor.open',
    'gauge',
    'int',
    '{file_descriptors}',
    'Number of file descriptors that a ZooKeeper server has open.',
  ),
  outstanding_requests: spec('zookeeper.request.active', 'gauge', 'int', '{requests}', 'Number of currently executing requests.'),
  packets_received: spec('zookeeper.packet.count', 'counter', 'int', '{packets}', 'The number of ZooKeeper packets received or sent by a server.', {
    direction: 'received',
  }),
  packets_sent: spec('zookeeper.packet.count', 'counter', 'int', '{packets}', 'The number of ZooKeeper packets received or sent by a server.', {
    direction: 'sent',
  }),
  pending_syncs: spec('zookeeper.sync.pending', 'gauge', 'int', '{syncs}', 'The number of pending syncs from the followers. Only exposed by the leader.'),
  // The unsynced point of this metric is computed (see above), not read from a key.
  synced_followers: spec('zookeeper.follower.count', 'gauge', 'int', '{followers}', 'The number of followers. Only exposed by the leader.', {
    state: 'synced',
  }),
  watch_count: spec('zookeeper.watch.count', 'gauge', 'int', '{watches}', 'Number of watches placed on Z-Nodes on a ZooKeeper server.'),
  znode_count: spec('zookeeper.znode.count', 'gauge', 'int', '{znodes}', 'Number of z-nodes that a ZooKeeper server has in its data tree.'),
});

/**
 * Monotonic cumulative mntr keys (reset only by a server restart or the `srst` four-letter word).
 *
 * - Every `metricsContext.getCounter(...)` of ServerMetrics.java (3.6-3.9); they print as plain `zk_<name>`.
 * - `quota_exceeded_error_per_namespace` is a CounterSet (3.9+): it prints as `zk_<namespace>_quota_exceeded_error_per_namespace`,
 *   so match it by suffix, not by exact key.
 * - ServerStats AtomicLongs that only ever increment, although 3.6+ register them as Gauges:
 *   `packets_received`, `packets_sent`, `fsync_threshold_exceed_count` (3.4+) and `auth_failed_count`,
 *   `non_mtls_local_conn_count`, `non_mtls_remote_conn_count` (3.7+).
 * NOT counters despite the name: `znode_count`, `watch_count`, `ephemerals_count`, `open_file_descriptor_count`,
 * `max_file_descriptor_count`, `approximate_data_size`, `num_alive_connections`, `outstanding_requests`,
 * `global_sessions`, `local_sessions`, `learners`, `synced_*`, `pending_syncs`, `quorum_size`, `uptime`, `leader_uptime`
 * (gauges), nor the `cnt_`/`sum_` parts of summaries (monotonic, but handled by SUMMARY_FAMILIES).
 */
export const COUNTER_KEYS: ReadonlySet<string> = new Set([
  'add_dead_watcher_stall_time',
  'auth_failed_count', // 3.7+, ServerStats
  'bytes_received_count',
  'cnxn_closed_without_zk_server_running',
  'commit_count',
  'connection_drop_count',
  'connection_rejected',
  'connection_request_count',
  'connection_revalidate_count',
  'dead_watchers_cleared',
  'dead_watchers_queued',
  'diff_count',
  'digest_mismatches_count',
  'ensemble_auth_fail',
  'ensemble_auth_skip',
  'ensemble_auth_success',
  'fsync_threshold_exceed_count', // 3.4+, ServerStats
  'insecure_admin_count',
  'large_requests_rejected',
  'learner_commit_received_count',
  'learner_proposal_received_count',
  'looking_count',
  'non_mtls_local_conn_count', // 3.7+, ServerStats
  'non_mtls_remote_conn_count', // 3.7+, ServerStats
  'outstanding_changes_queued',
  'outstanding_changes_removed',
  'packets_received', // 3.4+, ServerStats
  'packets_sent', // 3.4+, ServerStats
  'prep_processor_request_queued',
  'proposal_count',
  'quit_leading_due_to_disloyal_voter',
  'quota_exceeded_error_per_namespace', // 3.9+, CounterSet: zk_<namespace>_quota_exceeded_error_per_namespace
  'request_commit_queued',
  'request_throttle_wait_count',
  'requests_not_forwarded_to_commit_processor',
  'response_bytes',
  'response_packet_cache_hits',
  'response_packet_cache_misses',
  'response_packet_get_children_cache_hits',
  'response_packet_get_children_cache_misses',
  'restore_error_count', // 3.9+
  'restore_rate_limited_count', // 3.9+
  'revalidate_count',
  'sessionless_connections_expired',
  'skip_learner_request_to_next_processor_count',
  'snap_count',
  'snapshot_error_count', // 3.9+
  'snapshot_rate_limited_count', // 3.9+
  'stale_replies',
  'stale_requests',
  'stale_requests_dropped',
  'stale_sessions_expired',
  'sync_processor_request_queued',
  'throttled_ops',
  'tls_handshake_exceeded',
  'unrecoverable_error_count',
  'unsuccessful_handshake',
  'watch_bytes',
]);

/**
 * Every summary family of ServerMetrics.java (3.6-3.9), as it appears after `zk_<stat>_` (after `zk_<stat>_<label>_`
 * for the set families, which are also listed in SUMMARY_SET_FAMILIES).
 * [P] = DetailLevel.ADVANCED (percentile: also prints p50/p95/p99/p999); the others are BASIC (avg/min/max/cnt/sum).
 */
export const SUMMARY_FAMILIES: ReadonlySet<string> = new Set([
  'ack_latency', // [P] set, server id
  'close_session_prep_time', // [P]
  'commit_commit_proc_req_queued',
  'commit_process_time',
  'commit_propagation_latency', // [P]
  'concurrent_request_processing_in_commit_processor',
  'connection_token_deficit',
  'dbinittime',
  'dead_watchers_cleaner_latency', // [P]
  'election_time',
  'follower_sync_time',
  'fsynctime',
  'inflight_diff_count',
  'inflight_snap_count',
  'jvm_pause_time_ms', // [P]
  'leader_unavailable_time',
  'learner_handler_qp_size', // set, server id
  'learner_handler_qp_time_ms', // [P] set, server id
  'learner_request_processor_queue_size',
  'local_write_committed_time_ms', // [P]
  'netty_queued_buffer_capacity',
  'node_changed_watch_count',
  'node_children_watch_count',
  'node_created_watch_count',
  'node_deleted_watch_count',
  'observer_sync_time', // 3.8+
  'om_commit_process_time_ms', // [P]
  'om_proposal_process_time_ms', // [P]
  'pending_session_queue_size',
  'prep_process_time',
  'prep_processor_queue_size',
  'prep_processor_queue_time_ms', // [P]
  'propagation_latency', // [P]
  'proposal_ack_creation_latency', // [P]
  'proposal_latency', // [P]
  'proposal_process_time',
  'quorum_ack_latency', // [P]
  'read_commit_proc_issued',
  'read_commit_proc_req_queued',
  'read_commitproc_time_ms', // [P]
  'read_final_proc_time_ms', // [P]
  'read_per_namespace', // set, namespace
  'readlatency', // [P]
  'reads_after_write_in_session_queue',
  'reads_issued_from_session_queue',
  'request_throttle_queue_time_ms', // [P]
  'requests_in_session_queue',
  'restore_time', // 3.9+ (detail level not verified)
  'server_write_committed_time_ms', // [P]
  'session_queues_drained',
  'snapshottime',
  'socket_closing_time',
  'startup_snap_load_time',
  'startup_txns_load_time',
  'startup_txns_loaded',
  'sync_process_time',
  'sync_processor_batch_size',
  'sync_processor_queue_and_flush_time_ms', // [P]
  'sync_processor_queue_flush_time_ms', // [P]
  'sync_processor_queue_size',
  'sync_processor_queue_time_ms', // [P]
  'time_waiting_empty_pool_in_commit_processor_read_ms',
  'unavailable_time',
  'updatelatency', // [P]
  'write_batch_time_in_commit_processor',
  'write_commit_proc_issued',
  'write_commit_proc_req_queued',
  'write_commitproc_time_ms', // [P]
  'write_final_proc_time_ms', // [P]
  'write_per_namespace', // set, namespace
]);

/**
 * ServerMetrics `getSummarySet(...)` families: for `zk_<stat>_<label>_<family>`, what `<label>` is.
 * Server ids are the quorum peers' myid (the leader keys LearnerHandler / ack stats by sid); namespaces are the first
 * path component of the znode (`/clickhouse/...` -> `clickhouse`, `/zookeeper/...` -> `zookeeper`).
 * Note `quorum_ack_latency` ends in `_ack_latency`: check SUMMARY_FAMILIES for the exact name first.
 */
export const SUMMARY_SET_FAMILIES: Readonly<Record<string, string>> = Object.freeze({
  ack_latency: 'server_id',
  learner_handler_qp_size: 'server_id',
  learner_handler_qp_time_ms: 'server_id',
  read_per_namespace: 'namespace',
  write_per_namespace: 'namespace',
});

/**
 * Keys whose value is a string: `version` (`3.7.0-e3704b39..., built on 2021-03-17 09:46 UTC`), `server_state`
 * (`leader`, `follower`, `observer`, `standalone`, `read-only`) and, on 3.6+ quorum peers, `peer_state`
 * (`leading - broadcast`, `following - broadcast`, ...). Other values are numbers; `observer_master_id` (observers)
 * may print `null`.
 */
export const STRING_KEYS: ReadonlySet<string> = new Set(['peer_state', 'server_state', 'version']);
