import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEnsemble, type Ensemble } from '../harness/ensemble.js';
import { select, type Series } from '../harness/exposition.js';
import { pollUntil } from '../harness/process.js';
import { promtoolLint } from '../harness/promtool.js';
import { startPrometheus } from '../harness/prometheus.js';
import { prometheusPipeline, startAgent, type RunningAgent } from './agent.js';

const INTERVAL_MS = 500;
const TIMEOUT_MS = 1000;
/** A change must show by the scrape after the next probe: one interval plus one probe deadline, plus slack. */
const ONE_ROUND_MS = INTERVAL_MS + TIMEOUT_MS + 2000;

// zookeeper.fsync.exceeded_threshold.count is missing: ZooKeeper 3.6+ no longer prints zk_fsync_threshold_exceed_count.
const OTEL_METRICS = [
  'zookeeper_latency_avg',
  'zookeeper_latency_min',
  'zookeeper_latency_max',
  'zookeeper_connection_active',
  'zookeeper_request_active',
  'zookeeper_znode_count',
  'zookeeper_watch_count',
  'zookeeper_data_tree_ephemeral_node_count',
  'zookeeper_data_tree_size',
  'zookeeper_file_descriptor_open',
  'zookeeper_file_descriptor_limit',
  'zookeeper_packet_count_total',
  'zookeeper_ruok',
];

function roleOf(series: readonly Series[], endpoint: string): string | undefined {
  return select(series, 'zookeeper_server_state', { zk_endpoint: endpoint }).find((s) => s.value === 1)?.labels.state;
}

describe('a real 3-node ensemble, monitored end to end', () => {
  let ensemble: Ensemble;
  let agent: RunningAgent;
  let endpoints: string[];

  before(async () => {
    ensemble = await startEnsemble({ size: 3 });
    await ensemble.waitReady();
    endpoints = ensemble.nodes.map((node) => node.endpoint);
    agent = await startAgent(`
receivers:
  zookeeper:
    endpoints: [${endpoints.join(', ')}]
    collection_interval: ${INTERVAL_MS}ms
    timeout: ${TIMEOUT_MS}ms
    cluster: e2e
exporters:
  prometheus:
    endpoint: \${METRICS_ENDPOINT}
service:
  pipelines:
    metrics: { receivers: [zookeeper], exporters: [prometheus] }
`);
  });
  after(async () => {
    await agent?.stop();
    await ensemble?.stop();
  });

  const scrapeWhen = (what: string, predicate: (series: Series[]) => boolean, timeoutMs = ONE_ROUND_MS) =>
    pollUntil(
      async () => {
        const { series } = await agent.scrape();
        return predicate(series) ? series : undefined;
      },
      { timeoutMs, what, intervalMs: 100 },
    );

  it('shows every node up with its role and the Collector-named metrics', async () => {
    const series = await scrapeWhen('all three nodes up', (s) => select(s, 'zookeeper_up').filter((u) => u.value === 1).length === 3, 15_000);
    const roles = endpoints.map((endpoint) => roleOf(series, endpoint)).sort();
    assert.deepEqual(roles, ['follower', 'follower', 'leader']);
    const leader = (await ensemble.leader()).endpoint;
    assert.equal(roleOf(series, leader), 'leader', 'the role matches what srvr says');
    for (const endpoint of endpoints) {
      for (const name of OTEL_METRICS) assert.ok(select(series, name, { zk_endpoint: endpoint, zk_cluster: 'e2e' }).length > 0, `${name} for ${endpoint}`);
      // Leader-only series appear only on the leader.
      assert.equal(select(series, 'zookeeper_follower_count', { zk_endpoint: endpoint }).length > 0, endpoint === leader, `follower_count on ${endpoint}`);
      assert.equal(select(series, 'zookeeper_sync_pending', { zk_endpoint: endpoint }).length > 0, endpoint === leader, `sync_pending on ${endpoint}`);
    }
    assert.equal(select(series, 'zookeeper_follower_count', { zk_endpoint: leader, state: 'synced' })[0]?.value, 2);
    assert.ok(!series.some((s) => Object.keys(s.labels).some((label) => label.startsWith('otel_scope'))), 'no otel_scope_* labels');
  });

  it('serves output that promtool check metrics accepts without a single complaint', async () => {
    const { text, contentType } = await agent.scrape();
    assert.match(contentType ?? '', /^text\/plain; version=0\.0\.4/);
    assert.deepEqual(promtoolLint(text), []);
  });

  it('is scraped by a real Prometheus: target up and one zookeeper_up series per node', async () => {
    const prometheus = await startPrometheus({ scrapeTargets: [agent.metricsEndpoint], scrapeInterval: '1s' });
    try {
      const samples = await prometheus.waitFor(
        async () => {
          const result = await prometheus.query('zookeeper_up{zk_cluster="e2e"} == 1');
          return result.length === 3 ? result : undefined;
        },
        30_000,
        'Prometheus to see three zookeeper_up series at 1',
      );
      assert.deepEqual(samples.map((s) => s.metric.zk_endpoint).sort(), [...endpoints].sort());
      const targets = await prometheus.targets();
      assert.equal(targets.length, 1);
      assert.equal(targets[0]!.health, 'up');
    } finally {
      await prometheus.stop();
    }
  });

  it('reports a killed leader down within one round, a new leader, and the node back after a restart', async () => {
    const oldLeader = await ensemble.leader();
    await ensemble.stopNode(oldLeader.id, 'SIGKILL');
    const down = await scrapeWhen(
      'the killed leader to show zookeeper_up 0',
      (s) => select(s, 'zookeeper_up', { zk_endpoint: oldLeader.endpoint })[0]?.value === 0,
    );
    // A probe in flight when the node died fails with connection_error (ECONNRESET), and may still have had its mntr
    // reply (then it reports that reply's figures with zookeeper_up 0); every probe after it is refused.
    const reasons = (series: Series[]) =>
      select(series, 'zookeeper_probe_failure', { zk_endpoint: oldLeader.endpoint })
        .map((s) => s.labels.reason)
        .sort();
    assert.ok(
      reasons(down).every((reason) => reason === 'refused' || reason === 'connection_error'),
      `unexpected reasons: ${reasons(down).join(', ')}`,
    );
    const refused = await scrapeWhen('every command to the killed leader refused by the next round', (s) => reasons(s).join() === 'refused,refused,refused');
    assert.deepEqual(select(refused, 'zookeeper_latency_avg', { zk_endpoint: oldLeader.endpoint }), [], 'a dead endpoint keeps no last-known latency');

    const survivors = endpoints.filter((endpoint) => endpoint !== oldLeader.endpoint);
    await scrapeWhen('a new leader among the survivors', (s) => survivors.some((endpoint) => roleOf(s, endpoint) === 'leader'), 30_000);

    await ensemble.startNode(oldLeader.id);
    await ensemble.waitReady();
    const back = await scrapeWhen(
      'the restarted node to be up again',
      (s) => select(s, 'zookeeper_up', { zk_endpoint: oldLeader.endpoint })[0]?.value === 1,
      30_000,
    );
    assert.equal(roleOf(back, oldLeader.endpoint), 'follower');
  });

  it('says "not serving" when a node loses its quorum, while ruok still answers', async () => {
    const [lonely, ...others] = ensemble.nodes;
    for (const node of others) await ensemble.stopNode(node.id);
    const series = await scrapeWhen(
      'the lonely node to report not_serving',
      (s) => select(s, 'zookeeper_probe_failure', { zk_endpoint: lonely!.endpoint, command: 'mntr' })[0]?.labels.reason === 'not_serving',
      15_000,
    );
    assert.equal(select(series, 'zookeeper_up', { zk_endpoint: lonely!.endpoint })[0]?.value, 0);
    assert.equal(select(series, 'zookeeper_ruok', { zk_endpoint: lonely!.endpoint })[0]?.value, 1);
  });
});

describe('a server whose whitelist lacks mntr', () => {
  it('reports not_whitelisted for mntr and still the role from srvr', async () => {
    const ensemble = await startEnsemble({ size: 1, fourLetterWhitelist: 'ruok,srvr' });
    let agent: RunningAgent | undefined;
    try {
      await ensemble.waitReady();
      const endpoint = ensemble.nodes[0]!.endpoint;
      agent = await startAgent(prometheusPipeline(`  zookeeper: { endpoint: ${endpoint}, collection_interval: 1h }`));
      const series = await pollUntil(
        async () => {
          const { series } = await agent!.scrape();
          return select(series, 'zookeeper_up').length > 0 ? series : undefined;
        },
        { timeoutMs: 10_000, what: 'a first probe' },
      );
      assert.deepEqual(
        select(series, 'zookeeper_probe_failure').map((s) => `${s.labels.command}:${s.labels.reason}`),
        ['mntr:not_whitelisted'],
      );
      assert.equal(select(series, 'zookeeper_up')[0]?.value, 0);
      assert.equal(roleOf(series, endpoint), 'leader');
    } finally {
      await agent?.stop();
      await ensemble.stop();
    }
  });
});
