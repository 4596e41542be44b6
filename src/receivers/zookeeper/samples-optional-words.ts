/**
 * Samples of the opt-in four-letter words (isro, wchs, envi, conf, cons; stat goes through the srvr mapping).
 * Same catalog whatever the command: `zookeeper.watch.count` is the metric mntr's zk_watch_count gives.
 */
import type { MetricDescriptor } from '../../core/batch.js';
import type { MntrReply } from './parse.js';
import { CONF_NUMBERS, type ConfNumber, type ConsReply } from './parse-optional-words.js';
import type { Replies } from './probe.js';
import { OTEL_MNTR_METRICS } from './catalog.js';
import { describeOnce, keyedDescriptor, type AddSample } from './descriptors.js';

const CONF_GAUGES: Readonly<Record<ConfNumber, { name: string; unit: string; description: string }>> = {
  tickTime: { name: 'tick_time', unit: 'ms', description: "The server's tickTime setting, from conf." },
  maxClientCnxns: { name: 'max_client_cnxns', unit: '{connections}', description: "The server's maxClientCnxns setting (per client IP), from conf." },
  minSessionTimeout: { name: 'min_session_timeout', unit: 'ms', description: "The server's minSessionTimeout setting, from conf." },
  maxSessionTimeout: { name: 'max_session_timeout', unit: 'ms', description: "The server's maxSessionTimeout setting, from conf." },
  initLimit: { name: 'init_limit', unit: '{ticks}', description: "The server's initLimit setting, from conf." },
  syncLimit: { name: 'sync_limit', unit: '{ticks}', description: "The server's syncLimit setting, from conf." },
};

interface ExtraMetrics {
  readonly readOnly: MetricDescriptor;
  readonly watchConnections: MetricDescriptor;
  readonly watchPaths: MetricDescriptor;
  readonly watchCount: MetricDescriptor;
  readonly environmentInfo: MetricDescriptor;
  readonly configInfo: MetricDescriptor;
  readonly config: Readonly<Record<ConfNumber, MetricDescriptor>>;
  readonly clientConnections: MetricDescriptor;
  readonly clientQueued: MetricDescriptor;
  readonly clientReceived: MetricDescriptor;
  readonly connection: ConnectionMetrics;
}

interface ConnectionMetrics {
  readonly queued: MetricDescriptor;
  readonly received: MetricDescriptor;
  readonly sent: MetricDescriptor;
  readonly latencyMin: MetricDescriptor;
  readonly latencyAvg: MetricDescriptor;
  readonly latencyMax: MetricDescriptor;
  readonly untracked: MetricDescriptor;
}

const PER_CONNECTION = 'one connection with a session, from cons (cons_max_connections)';

/** Built on first use: samples.ts imports this module, so its exports are not ready while this one loads. */
function metrics(): ExtraMetrics {
  return (extraMetrics ??= {
    readOnly: describeOnce('zookeeper.read_only', 'gauge', {
      valueType: 'int',
      description: 'Whether the server is in read-only mode (isro): 1 for ro, 0 for rw.',
    }),
    watchConnections: describeOnce('zookeeper.watch.connections', 'gauge', {
      valueType: 'int',
      unit: '{connections}',
      description: 'Connections with at least one watch, from wchs.',
    }),
    watchPaths: describeOnce('zookeeper.watch.paths', 'gauge', { valueType: 'int', unit: '{paths}', description: 'Paths with at least one watch, from wchs.' }),
    // The same descriptor object as mntr's zk_watch_count (describeOnce keys by name).
    watchCount: describeOnce(OTEL_MNTR_METRICS.watch_count!.name, OTEL_MNTR_METRICS.watch_count!.kind, OTEL_MNTR_METRICS.watch_count),
    environmentInfo: describeOnce('zookeeper.environment.info', 'gauge', {
      valueType: 'int',
      description: "The server's Java and OS environment (envi), as attributes; value 1.",
    }),
    configInfo: describeOnce('zookeeper.config.info', 'gauge', { valueType: 'int', description: 'Key settings of the server (conf), as attributes; value 1.' }),
    config: Object.fromEntries(
      CONF_NUMBERS.map((key) => {
        const { name, unit, description } = CONF_GAUGES[key];
        return [key, describeOnce(`zookeeper.config.${name}`, 'gauge', { valueType: 'int', unit, description })];
      }),
    ) as Record<ConfNumber, MetricDescriptor>,
    clientConnections: describeOnce('zookeeper.client.connections', 'gauge', {
      valueType: 'int',
      unit: '{connections}',
      description: 'Open connections per client address, from cons.',
    }),
    clientQueued: describeOnce('zookeeper.client.packets.queued', 'gauge', {
      valueType: 'int',
      unit: '{packets}',
      description: 'Packets queued for the open connections of a client address, from cons.',
    }),
    clientReceived: describeOnce('zookeeper.client.packets.received', 'gauge', {
      valueType: 'int',
      unit: '{packets}',
      description: "Packets received on the open connections of a client address, from cons (a gauge: a closed connection's count is gone).",
    }),
    connection: {
      queued: describeOnce('zookeeper.connection.requests.outstanding', 'gauge', {
        valueType: 'int',
        unit: '{requests}',
        description: `Requests not answered yet on ${PER_CONNECTION}.`,
      }),
      received: describeOnce('zookeeper.connection.packets.received', 'gauge', {
        valueType: 'int',
        unit: '{packets}',
        description: `Packets received on ${PER_CONNECTION}.`,
      }),
      sent: describeOnce('zookeeper.connection.packets.sent', 'gauge', {
        valueType: 'int',
        unit: '{packets}',
        description: `Packets sent on ${PER_CONNECTION}.`,
      }),
      latencyMin: describeOnce('zookeeper.connection.latency.min', 'gauge', {
        valueType: 'double',
        unit: 'ms',
        description: `Minimum request latency on ${PER_CONNECTION}.`,
      }),
      latencyAvg: describeOnce('zookeeper.connection.latency.avg', 'gauge', {
        valueType: 'double',
        unit: 'ms',
        description: `Average request latency on ${PER_CONNECTION}.`,
      }),
      latencyMax: describeOnce('zookeeper.connection.latency.max', 'gauge', {
        valueType: 'double',
        unit: 'ms',
        description: `Maximum request latency on ${PER_CONNECTION}.`,
      }),
      untracked: describeOnce('zookeeper.connection.untracked', 'gauge', {
        valueType: 'int',
        unit: '{connections}',
        description: 'Connections with a session that have no per-connection series because of cons_max_connections (they still count per client address).',
      }),
    },
  });
}
let extraMetrics: ExtraMetrics | undefined;

/** The samples of isro, wchs, envi, conf and cons replies; `mntr` decides whether wchs's total is needed. */
export function extraSamples(replies: Replies, mntr: MntrReply | undefined, add: AddSample): void {
  const { isro, wchs, envi, conf, cons } = replies;
  if (!(isro || wchs || envi || conf || cons)) return;
  const m = metrics();
  if (isro) add(m.readOnly, isro === 'ro' ? 1 : 0);
  if (wchs) {
    add(m.watchConnections, wchs.connections);
    add(m.watchPaths, wchs.paths);
    if (wchs.total !== undefined && !mntr?.numbers.has('watch_count')) add(keyedDescriptor(m.watchCount, 'watch_count'), wchs.total);
  }
  if (envi) add(m.environmentInfo, 1, envi.attributes);
  if (conf) {
    add(m.configInfo, 1, conf.attributes);
    conf.numbers.forEach((value, key) => add(m.config[key], value));
  }
  if (cons) {
    for (const { address, connections, queued, received } of cons.addresses) {
      const extra = { client_address: address };
      add(m.clientConnections, connections, extra);
      add(m.clientQueued, queued, extra);
      add(m.clientReceived, received, extra);
    }
    connectionSamples(cons, m.connection, add);
  }
}

function connectionSamples({ connections, untracked }: ConsReply, m: ConnectionMetrics, add: AddSample): void {
  if (connections === undefined) return;
  for (const connection of connections) {
    const extra = { client_address: connection.address, client_port: String(connection.port), session_id: connection.sessionId };
    add(m.queued, connection.queued, extra);
    add(m.received, connection.received, extra);
    add(m.sent, connection.sent, extra);
    if (connection.latencyMin !== undefined) add(m.latencyMin, connection.latencyMin, extra);
    if (connection.latencyAvg !== undefined) add(m.latencyAvg, connection.latencyAvg, extra);
    if (connection.latencyMax !== undefined) add(m.latencyMax, connection.latencyMax, extra);
  }
  add(m.untracked, untracked ?? 0);
}
