import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgentFromFile, type RunningAgent } from '../e2e/agent.js';
import { startEnsemble, type Ensemble } from '../harness/ensemble.js';
import { select, type Series } from '../harness/exposition.js';
import { repoRoot } from '../harness/fixtures.js';
import { pollUntil } from '../harness/process.js';

const pipeline = (name: string) => path.join(repoRoot(), 'pipelines', name);

/** Numeric `zk_<key>` lines of a raw mntr reply, read independently of the agent's parser. */
function numericKeys(mntr: string): Map<string, number> {
  const keys = new Map<string, number>();
  for (const line of mntr.split('\n')) {
    const [key, value] = line.split('\t');
    if (key?.startsWith('zk_') && value !== undefined && value.trim() !== '' && Number.isFinite(Number(value))) keys.set(key, Number(value));
  }
  return keys;
}

describe('ready-made pipelines against a real ZooKeeper', () => {
  let ensemble: Ensemble;
  let endpoint: string;
  before(async () => {
    ensemble = await startEnsemble({ size: 1 });
    await ensemble.waitReady();
    endpoint = ensemble.nodes[0]!.endpoint;
  });
  after(() => ensemble?.stop());

  async function firstScrape(
    file: string,
    ready = (series: Series[]) => series.some((s) => s.name === 'zookeeper_up' || s.name === 'zk_up'),
  ): Promise<{ agent: RunningAgent; series: Series[] }> {
    const agent = await startAgentFromFile(pipeline(file), { ...process.env, ZK_ENDPOINTS: `[${endpoint}]`, ZK_SEEDS: `[${endpoint}]` });
    const series = await pollUntil(
      async () => {
        const { series } = await agent.scrape();
        return ready(series) ? series : undefined;
      },
      { timeoutMs: 15_000, what: `a first probe through ${file}` },
    );
    return { agent, series };
  }

  it('compat-zookeeper-exporter: zk_<mntr key>{zk_host} for every numeric key, zk_up, zk_ruok, zk_server_leader, no _total', async () => {
    const { agent, series } = await firstScrape('compat-zookeeper-exporter.yaml');
    try {
      const mntr = numericKeys(await ensemble.fourLetter(ensemble.nodes[0]!, 'mntr'));
      const pipelineSeries = series.filter((s) => !s.name.startsWith('zkotel_'));
      for (const key of mntr.keys()) {
        const found = select(pipelineSeries, key);
        assert.equal(found.length, 1, `${key}: ${JSON.stringify(found)}`);
        assert.deepEqual(found[0]!.labels, { zk_host: endpoint }, key);
      }
      // Values that do not move between two reads match exactly.
      assert.equal(select(pipelineSeries, 'zk_max_file_descriptor_count')[0]?.value, mntr.get('zk_max_file_descriptor_count'));
      assert.deepEqual(
        select(pipelineSeries, 'zk_up').map((s) => [s.labels, s.value]),
        [[{ zk_host: endpoint }, 1]],
      );
      assert.deepEqual(
        select(pipelineSeries, 'zk_ruok').map((s) => s.value),
        [1],
      );
      assert.deepEqual(
        select(pipelineSeries, 'zk_server_leader').map((s) => [s.labels, s.value]),
        [[{ zk_host: endpoint }, 1]],
      );
      assert.match(select(pipelineSeries, 'zk_version')[0]?.labels.version ?? '', /^3\./);
      const extra = pipelineSeries.filter((s) => !mntr.has(s.name) && !['zk_up', 'zk_ruok', 'zk_server_leader', 'zk_version'].includes(s.name));
      assert.deepEqual(
        extra.map((s) => s.name),
        [],
        'nothing but what the Go exporter serves',
      );
      assert.ok(pipelineSeries.every((s) => !s.name.endsWith('_total')));
    } finally {
      await agent.stop();
    }
  });

  it('essentials: about 25 series per server, all from the alerting set', async () => {
    const { agent, series } = await firstScrape('essentials.yaml');
    try {
      const perServer = series.filter((s) => s.labels.zk_endpoint === endpoint);
      assert.ok(perServer.length >= 20 && perServer.length <= 30, `${perServer.length} series: ${perServer.map((s) => s.name).join(', ')}`);
      for (const name of [
        'zookeeper_up',
        'zookeeper_server_state',
        'zookeeper_latency_avg',
        'zookeeper_connection_active',
        'zookeeper_request_active',
        'zookeeper_znode_count',
        'zookeeper_watch_count',
        'zookeeper_file_descriptor_open',
        'zookeeper_follower_count',
        'zookeeper_fsynctime_max',
      ]) {
        assert.ok(select(perServer, name).length > 0, name);
      }
      assert.ok(perServer.every((s) => s.labels.zk_cluster === 'main'));
    } finally {
      await agent.stop();
    }
  });

  it('whole-ensemble: members found from the seed carry their server id and role, with client-visible latency', async () => {
    const hasClientLatency = (series: Series[]) => series.some((s) => s.name === 'zookeeper_client_operation_duration_count');
    const { agent, series } = await firstScrape(
      'whole-ensemble.yaml',
      (series) => hasClientLatency(series) && select(series, 'zookeeper_up').some((s) => s.labels.zk_member_role !== undefined),
    );
    try {
      assert.deepEqual(
        select(series, 'zookeeper_up').map((s) => [s.labels.zk_endpoint, s.labels.zk_server_id, s.labels.zk_member_role, s.value]),
        [[endpoint, String(ensemble.nodes[0]!.id), 'participant', 1]],
      );
      const operations = select(series, 'zookeeper_client_operation_duration_count').filter((s) => s.labels.zk_endpoint === endpoint);
      assert.deepEqual(operations.map((s) => s.labels.operation).sort(), ['children', 'create', 'delete', 'exists', 'get', 'set']);
      assert.ok(operations.every((s) => s.value >= 1 && s.labels.zk_member_role === 'participant'));
    } finally {
      await agent.stop();
    }
  });
});
