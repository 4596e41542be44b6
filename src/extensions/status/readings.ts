/**
 * What one batch says about each ZooKeeper server in it, read through the batch's samples only (metric name as
 * Prometheus shows it, attributes, value), so the status page reads what `/metrics` shows, after the processors.
 */
import type { Batch, Sample } from '../../core/batch.js';
import { prometheusMetricName } from '../../internal/prometheus/names.js';

export const FIGURES = [
  'latency_avg_ms',
  'client_p99_ms',
  'requests_active',
  'connections',
  'connections_limit',
  'znodes',
  'watches',
  'fds_open',
  'fds_limit',
  'quorum_size',
  'synced_followers',
] as const;
export type FigureName = (typeof FIGURES)[number];

/** Prometheus name → figure, for the gauges read as they are. */
const GAUGES: Readonly<Record<string, FigureName>> = {
  zookeeper_latency_avg: 'latency_avg_ms',
  zookeeper_request_active: 'requests_active',
  zookeeper_connection_active: 'connections',
  zookeeper_config_max_client_cnxns: 'connections_limit',
  zookeeper_znode_count: 'znodes',
  zookeeper_watch_count: 'watches',
  zookeeper_file_descriptor_open: 'fds_open',
  zookeeper_file_descriptor_limit: 'fds_limit',
  zookeeper_quorum_size: 'quorum_size',
};

export interface Failure {
  readonly command: string;
  readonly reason: string;
}

export interface ClientLatencyBuckets {
  readonly boundaries: readonly number[];
  /** Per bucket, summed over operations; cumulative since the session probe started. */
  readonly counts: readonly number[];
}

/** One source's latest word on one server; fields the source does not report stay undefined. */
export interface Reading {
  readonly timeMs: number;
  up?: boolean;
  role?: string;
  failures: Failure[];
  figures: Partial<Record<FigureName, number>>;
  zxidEpoch?: number;
  zxidCounter?: number;
  clientLatency?: ClientLatencyBuckets;
}

export interface ServerKey {
  readonly cluster: string;
  readonly endpoint: string;
}

/**
 * Groups a batch's samples by the server they describe (`zk.cluster`, `zk.endpoint`, or their Prometheus spelling
 * after a relabel stage); samples without one are skipped.
 */
export function readBatch(batch: Batch): Map<string, { key: ServerKey; reading: Reading }> {
  const servers = new Map<string, { key: ServerKey; reading: Reading }>();
  for (const sample of batch.samples) {
    const endpoint = sample.attributes['zk.endpoint'] ?? sample.attributes['zk_endpoint'];
    if (endpoint === undefined) continue;
    const cluster = sample.attributes['zk.cluster'] ?? sample.attributes['zk_cluster'] ?? '';
    const id = serverId({ cluster, endpoint });
    let entry = servers.get(id);
    if (!entry) servers.set(id, (entry = { key: { cluster, endpoint }, reading: { timeMs: batch.timeMs, failures: [], figures: {} } }));
    apply(entry.reading, sample);
  }
  return servers;
}

export function serverId(key: ServerKey): string {
  return `${key.cluster}\u0000${key.endpoint}`;
}

function apply(reading: Reading, sample: Sample): void {
  const name = prometheusMetricName(sample.metric);
  const figure = GAUGES[name];
  if (figure !== undefined) {
    reading.figures[figure] = sample.value;
    return;
  }
  switch (name) {
    case 'zookeeper_up':
      reading.up = sample.value === 1;
      break;
    case 'zookeeper_server_state':
      if (sample.value === 1 && sample.attributes['state']) reading.role = sample.attributes['state'];
      break;
    case 'zookeeper_probe_failure':
      if (sample.value === 1) reading.failures.push({ command: sample.attributes['command'] ?? '', reason: sample.attributes['reason'] ?? 'unknown' });
      break;
    case 'zookeeper_follower_count':
      if (sample.attributes['state'] === 'synced') reading.figures.synced_followers = sample.value;
      break;
    case 'zookeeper_zxid_epoch':
      reading.zxidEpoch = sample.value;
      break;
    case 'zookeeper_zxid_counter':
      reading.zxidCounter = sample.value;
      break;
    case 'zookeeper_client_operation_duration':
      if (sample.histogram) reading.clientLatency = addBuckets(reading.clientLatency, sample.histogram.boundaries, sample.histogram.counts);
      break;
  }
}

function addBuckets(into: ClientLatencyBuckets | undefined, boundaries: readonly number[], counts: readonly number[]): ClientLatencyBuckets {
  if (!into || into.boundaries.length !== boundaries.length) return { boundaries, counts: [...counts] };
  return { boundaries, counts: into.counts.map((count, i) => count + (counts[i] ?? 0)) };
}

/**
 * The 99th percentile of what was observed between two cumulative readings, interpolated inside its bucket as
 * PromQL's histogram_quantile does; undefined when nothing was observed in between.
 */
export function recentP99Seconds(previous: ClientLatencyBuckets | undefined, current: ClientLatencyBuckets): number | undefined {
  const delta = current.counts.map((count, i) => Math.max(0, count - (previous?.counts[i] ?? 0)));
  const total = delta.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = 0.99 * total;
  let seen = 0;
  for (let i = 0; i < delta.length; i++) {
    const inBucket = delta[i]!;
    if (seen + inBucket >= rank && inBucket > 0) {
      const lower = i === 0 ? 0 : current.boundaries[i - 1]!;
      const upper = current.boundaries[i];
      if (upper === undefined) return lower;
      return lower + ((upper - lower) * (rank - seen)) / inBucket;
    }
    seen += inBucket;
  }
  return current.boundaries[current.boundaries.length - 1];
}
