import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startEnsemble, type Ensemble } from '../harness/ensemble.js';
import { select, type Series } from '../harness/exposition.js';
import { pollUntil } from '../harness/process.js';
import { withClient, zk } from '../receivers/zookeeper_session/run.js';
import { startAgent, type RunningAgent } from './agent.js';

describe('the agent with a zookeeper_session receiver on a real 3-node ensemble, scraped by Prometheus text', () => {
  let ensemble: Ensemble;
  let agent: RunningAgent | undefined;
  let endpoints: string[];
  let series: Series[];
  let text: string;

  before(async () => {
    ensemble = await startEnsemble({ size: 3 });
    await ensemble.waitReady();
    endpoints = ensemble.nodes.map((node) => node.endpoint);
    agent = await startAgent(
      `receivers:\n  zookeeper_session: { endpoints: [${endpoints.join(', ')}], collection_interval: 300ms, timeout: 2s, cluster: e2e }\n` +
        'exporters:\n  prometheus: { endpoint: ${METRICS_ENDPOINT} }\n' +
        'service:\n  pipelines:\n    metrics: { receivers: [zookeeper_session], exporters: [prometheus] }\n',
    );
    ({ series, text } = await pollUntil(
      async () => {
        const scraped = await agent!.scrape();
        const lags = select(scraped.series, 'zookeeper_client_replication_lag_count');
        return lags.length === endpoints.length * (endpoints.length - 1) && lags.every((lag) => lag.value > 0) ? scraped : undefined;
      },
      { timeoutMs: 30_000, what: 'replication lag between every pair of servers' },
    ));
  });
  after(async () => {
    await agent?.stop();
    await ensemble?.stop();
  });

  it('serves a latency histogram per server and operation, in seconds from 100 µs to 10 s', () => {
    for (const endpoint of endpoints) {
      for (const operation of ['create', 'set', 'get', 'exists', 'children', 'delete']) {
        const labels = { zk_endpoint: endpoint, zk_cluster: 'e2e', operation };
        assert.ok(select(series, 'zookeeper_client_operation_duration_count', labels)[0]!.value > 0, `${endpoint} ${operation}`);
        const buckets = select(series, 'zookeeper_client_operation_duration_bucket', labels).map((s) => s.labels.le);
        assert.equal(buckets[0], '0.0001');
        assert.deepEqual(buckets.slice(-2), ['10', '+Inf']);
      }
      assert.ok(select(series, 'zookeeper_client_connect_duration_count', { zk_endpoint: endpoint })[0]!.value >= 1);
      assert.deepEqual(
        select(series, 'zookeeper_client_reconnects_total', { zk_endpoint: endpoint }).map((s) => s.value),
        [0],
      );
      assert.deepEqual(
        select(series, 'zookeeper_client_session_expirations_total', { zk_endpoint: endpoint }).map((s) => s.value),
        [0],
      );
      const sources = select(series, 'zookeeper_client_replication_lag_count', { zk_endpoint: endpoint })
        .map((s) => s.labels.source)
        .sort();
      assert.deepEqual(sources, endpoints.filter((other) => other !== endpoint).sort());
    }
    assert.deepEqual(select(series, 'zookeeper_client_operation_errors_total'), []);
  });

  it('serves output that promtool accepts without a single complaint', () => {
    const lint = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    assert.equal(lint.trim(), '');
  });

  it('leaves no znode under /zkotel once stopped', async () => {
    await agent!.stop();
    agent = undefined;
    const left = await pollUntil(
      () =>
        withClient(endpoints[0]!, (client) => zk<string[]>((done) => client.getChildren('/zkotel', done))).then((children) =>
          children.length === 0 ? children : undefined,
        ),
      { timeoutMs: 5000, what: 'an empty /zkotel' },
    );
    assert.deepEqual(left, []);
  });
});
