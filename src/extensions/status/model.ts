/**
 * The status page's state: the latest reading of every server from every source, a bounded history for the
 * sparklines, and the document `GET /api/v1/status` serves (schema in README, "Dashboards and status page").
 */
import type { Batch } from '../../core/batch.js';
import type { ServiceInfo } from '../../core/component.js';
import { readAgentGroups, type AgentGroupStatus } from './groups.js';
import { HISTORY_POINTS, HISTORY_STEP_MS, HISTORY_WINDOW_MS, roundTo3, Sparkline } from './history.js';
import { describeReason, judgeCluster, type Problem, type QuorumState, type ServerView } from './problems.js';
import { readBatch, recentP99Seconds, type ClientLatencyBuckets, type FigureName, type Reading, type ServerKey } from './readings.js';

/** Servers tracked at most: with the history's fixed rings this bounds the page's memory (see README). */
export const MAX_SERVERS = 2000;
export const SPARKLINES = ['latency_avg_ms', 'client_p99_ms', 'requests_active'] as const satisfies readonly FigureName[];
/** A server not probed for this many of its own intervals is shown as stale. */
const STALE_INTERVALS = 3;
/** Until a second probe shows a server's interval. */
const DEFAULT_INTERVAL_MS = 60_000;

interface TrackedServer {
  readonly key: ServerKey;
  /** Per source: its latest reading and the gap between its last two. */
  readonly readings: Map<string, { reading: Reading; intervalMs: number }>;
  readonly history: Record<(typeof SPARKLINES)[number], Sparkline>;
  lastProbeMs: number;
  lastRole: string | undefined;
}

export interface ServerStatus {
  endpoint: string;
  up: boolean | null;
  stale: boolean;
  role: string | null;
  /** The role it had when last up, for a server that is down now. */
  last_role: string | null;
  failures: { command: string; reason: string; description: string }[];
  last_probe_ms: number;
  interval_ms: number;
  figures: Partial<Record<FigureName, number>> & { zxid?: string };
  history: Record<(typeof SPARKLINES)[number], (number | null)[]>;
}

export interface ClusterStatus {
  name: string;
  quorum: QuorumState;
  leader: string | null;
  members_up: number;
  members_total: number;
  voters_serving: number;
  voters_total: number;
  problems: number;
  servers: ServerStatus[];
}

export interface StatusDocument {
  schema: 'zkotel.status/v1';
  generated_ms: number;
  history: { window_ms: number; step_ms: number; points: number };
  agent: {
    version: string;
    started_ms: number;
    pipelines: ServiceInfo['pipelines'];
    extensions: ServiceInfo['extensions'];
    last_reload: { at_ms: number; ok: boolean; error?: string } | null;
    targets: number;
    targets_up: number;
    servers_not_tracked: number;
  };
  /** The agent groups this agent is a member of (extension agent_group); empty without one. */
  agent_groups: AgentGroupStatus[];
  problems: (Problem & { since_ms: number })[];
  clusters: ClusterStatus[];
}

export class StatusModel {
  private readonly servers = new Map<string, TrackedServer>();
  /** Per source and server: the previous cumulative client-latency buckets, for a recent p99. */
  private readonly previousClientLatency = new Map<string, ClientLatencyBuckets>();
  private readonly problemsSince = new Map<string, number>();
  private notTracked = new Set<string>();

  constructor(private readonly version: string) {}

  ingest(batch: Batch): void {
    for (const [id, { key, reading }] of readBatch(batch)) {
      const server = this.track(id, key, batch.timeMs);
      if (!server) continue;
      if (reading.clientLatency) {
        const latencyKey = `${batch.source}\u0000${id}`;
        const p99 = recentP99Seconds(this.previousClientLatency.get(latencyKey), reading.clientLatency);
        this.previousClientLatency.set(latencyKey, reading.clientLatency);
        if (p99 !== undefined) reading.figures.client_p99_ms = p99 * 1000;
      }
      const previous = server.readings.get(batch.source);
      server.readings.set(batch.source, {
        reading,
        intervalMs:
          previous && reading.timeMs > previous.reading.timeMs ? reading.timeMs - previous.reading.timeMs : (previous?.intervalMs ?? DEFAULT_INTERVAL_MS),
      });
      if (reading.up === true && reading.role) server.lastRole = reading.role;
      for (const name of SPARKLINES) {
        const value = reading.figures[name];
        if (value !== undefined) server.history[name].record(batch.timeMs, value);
      }
    }
  }

  /**
   * The source is gone (its target was removed, or a reload dropped it): its readings go, as its series go from
   * exporters, and so does a server no other source reports.
   */
  forget(source: string): void {
    for (const [id, server] of this.servers) {
      if (!server.readings.delete(source)) continue;
      this.previousClientLatency.delete(`${source}\u0000${id}`);
      if (server.readings.size === 0) this.servers.delete(id);
    }
  }

  /** `telemetry`: a snapshot of the agent's own metrics, where the agent groups are read. */
  document(nowMs: number, info: ServiceInfo, telemetry?: Batch): StatusDocument {
    this.forgetGone(nowMs);
    const byCluster = new Map<string, TrackedServer[]>();
    for (const server of this.servers.values()) {
      const list = byCluster.get(server.key.cluster) ?? [];
      list.push(server);
      byCluster.set(server.key.cluster, list);
    }
    const problems: StatusDocument['problems'] = [];
    const seen = new Set<string>();
    const clusters = [...byCluster].map(([name, tracked]) => {
      const servers = tracked
        .map((server) => this.serverStatus(server, nowMs))
        .sort((a, b) => severityOf(b) - severityOf(a) || a.endpoint.localeCompare(b.endpoint));
      const verdict = judgeCluster(name, servers.map(toView));
      for (const problem of verdict.problems) {
        const key = `${problem.alert}\u0000${problem.zk_cluster}\u0000${problem.zk_endpoint ?? ''}`;
        seen.add(key);
        if (!this.problemsSince.has(key)) this.problemsSince.set(key, nowMs);
        problems.push({ ...problem, since_ms: this.problemsSince.get(key)! });
      }
      const cluster: ClusterStatus = {
        name,
        quorum: verdict.quorum,
        leader: verdict.leaders[0] ?? null,
        members_up: servers.filter((server) => server.up === true && !server.stale).length,
        members_total: servers.length,
        voters_serving: verdict.votersServing,
        voters_total: verdict.votersTotal,
        problems: verdict.problems.length,
        servers,
      };
      return cluster;
    });
    for (const key of this.problemsSince.keys()) if (!seen.has(key)) this.problemsSince.delete(key);
    clusters.sort((a, b) => quorumRank(b.quorum) - quorumRank(a.quorum) || b.problems - a.problems || a.name.localeCompare(b.name));
    problems.sort((a, b) => (a.severity === b.severity ? a.since_ms - b.since_ms : a.severity === 'critical' ? -1 : 1));
    const all = clusters.flatMap((cluster) => cluster.servers);
    return {
      schema: 'zkotel.status/v1',
      generated_ms: nowMs,
      history: { window_ms: HISTORY_WINDOW_MS, step_ms: HISTORY_STEP_MS, points: HISTORY_POINTS },
      agent: {
        version: this.version,
        started_ms: info.startedAtMs,
        pipelines: info.pipelines,
        extensions: info.extensions,
        last_reload: info.lastReload
          ? { at_ms: info.lastReload.atMs, ok: info.lastReload.ok, ...(info.lastReload.error ? { error: info.lastReload.error } : {}) }
          : null,
        targets: all.length,
        targets_up: all.filter((server) => server.up === true && !server.stale).length,
        servers_not_tracked: this.notTracked.size,
      },
      agent_groups: telemetry ? readAgentGroups(telemetry) : [],
      problems,
      clusters,
    };
  }

  private track(id: string, key: ServerKey, timeMs: number): TrackedServer | undefined {
    let server = this.servers.get(id);
    if (!server) {
      if (this.servers.size >= MAX_SERVERS) {
        this.notTracked.add(id);
        return undefined;
      }
      server = {
        key,
        readings: new Map(),
        history: { latency_avg_ms: new Sparkline(), client_p99_ms: new Sparkline(), requests_active: new Sparkline() },
        lastProbeMs: timeMs,
        lastRole: undefined,
      };
      this.servers.set(id, server);
    }
    server.lastProbeMs = Math.max(server.lastProbeMs, timeMs);
    return server;
  }

  /** A server nobody probed for the whole history window is gone (removed by a reload or by discovery). */
  private forgetGone(nowMs: number): void {
    for (const [id, server] of this.servers) {
      if (nowMs - server.lastProbeMs <= HISTORY_WINDOW_MS) continue;
      this.servers.delete(id);
      for (const key of this.previousClientLatency.keys()) if (key.endsWith(`\u0000${id}`)) this.previousClientLatency.delete(key);
    }
    if (this.servers.size < MAX_SERVERS) this.notTracked = new Set();
  }

  private serverStatus(server: TrackedServer, nowMs: number): ServerStatus {
    const sources = [...server.readings.values()];
    const readings = sources.map((source) => source.reading).sort((a, b) => a.timeMs - b.timeMs);
    const stale = sources.every((source) => nowMs - source.reading.timeMs > STALE_INTERVALS * source.intervalMs);
    const merged: Reading = { timeMs: server.lastProbeMs, failures: [], figures: {} };
    for (const reading of readings) {
      if (reading.up !== undefined) merged.up = reading.up;
      if (reading.role !== undefined) merged.role = reading.role;
      merged.failures.push(...reading.failures);
      Object.assign(merged.figures, reading.figures);
      if (reading.zxidEpoch !== undefined) merged.zxidEpoch = reading.zxidEpoch;
      if (reading.zxidCounter !== undefined) merged.zxidCounter = reading.zxidCounter;
    }
    const figures: ServerStatus['figures'] = {};
    for (const [name, value] of Object.entries(merged.figures)) figures[name as FigureName] = roundTo3(value);
    if (merged.up !== false && merged.zxidEpoch !== undefined && merged.zxidCounter !== undefined) {
      figures.zxid = `0x${((BigInt(merged.zxidEpoch) << 32n) | BigInt(merged.zxidCounter)).toString(16)}`;
    }
    const down = merged.up === false;
    return {
      endpoint: server.key.endpoint,
      up: merged.up ?? null,
      stale,
      role: down ? null : (merged.role ?? null),
      last_role: server.lastRole ?? null,
      failures: merged.failures.map(({ command, reason }) => ({ command, reason, description: describeReason(reason) })),
      last_probe_ms: server.lastProbeMs,
      interval_ms: Math.min(...sources.map((source) => source.intervalMs)),
      figures: down ? {} : figures,
      history: {
        latency_avg_ms: server.history.latency_avg_ms.points(nowMs),
        client_p99_ms: server.history.client_p99_ms.points(nowMs),
        requests_active: server.history.requests_active.points(nowMs),
      },
    };
  }
}

function toView(server: ServerStatus): ServerView {
  return {
    endpoint: server.endpoint,
    up: server.up ?? undefined,
    role: server.role ?? server.last_role ?? undefined,
    stale: server.stale,
    reasons: [...new Set(server.failures.map((failure) => failure.reason))],
    fdsOpen: server.figures.fds_open,
    fdsLimit: server.figures.fds_limit,
    quorumSize: server.figures.quorum_size,
  };
}

function severityOf(server: ServerStatus): number {
  return server.up === false ? 2 : server.stale ? 1 : 0;
}

function quorumRank(state: QuorumState): number {
  return state === 'lost' ? 2 : state === 'at_risk' ? 1 : 0;
}
