import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEnsemble, type Ensemble } from '../harness/ensemble.js';
import { select, type Series } from '../harness/exposition.js';
import { pollUntil } from '../harness/process.js';
import { promtoolLint } from '../harness/promtool.js';
import { prometheusPipeline, startAgent, type RunningAgent } from './agent.js';

const COMMANDS = ['mntr', 'ruok', 'srvr', 'stat', 'isro', 'wchs', 'envi', 'conf', 'cons'];

describe('a real 1-node ensemble probed with every four-letter word', () => {
  let ensemble: Ensemble;
  let agent: RunningAgent;
  let endpoint: string;
  let series: Series[];
  let text: string;

  before(async () => {
    ensemble = await startEnsemble({ size: 1 });
    await ensemble.waitReady();
    endpoint = ensemble.nodes[0]!.endpoint;
    agent = await startAgent(prometheusPipeline(`  zookeeper: { endpoint: ${endpoint}, collection_interval: 500ms, timeout: 2s, commands: [${COMMANDS.join(', ')}] }`));
    ({ series, text } = await pollUntil(
      async () => {
        const scraped = await agent.scrape();
        return select(scraped.series, 'zookeeper_up')[0]?.value === 1 && select(scraped.series, 'zookeeper_client_connections').length > 0 ? scraped : undefined;
      },
      { timeoutMs: 15_000, what: 'a probe with every command answered', intervalMs: 100 },
    ));
  });
  after(async () => {
    await agent?.stop();
    await ensemble?.stop();
  });

  it('answers every command: up 1, no failure', () => {
    assert.equal(select(series, 'zookeeper_up', { zk_endpoint: endpoint })[0]?.value, 1);
    assert.deepEqual(select(series, 'zookeeper_probe_failure'), []);
  });

  it('shows read_only, environment, config and per-client series', () => {
    assert.deepEqual(select(series, 'zookeeper_read_only', { zk_endpoint: endpoint }).map((s) => s.value), [0]);
    const [environment] = select(series, 'zookeeper_environment_info', { zk_endpoint: endpoint });
    assert.equal(environment?.value, 1);
    assert.match(environment?.labels.java_version ?? '', /^\d+/);
    assert.match(environment?.labels.zookeeper_version ?? '', /^3\./);
    assert.deepEqual(select(series, 'zookeeper_config_tick_time', { zk_endpoint: endpoint }).map((s) => s.value), [2000]);
    assert.equal(select(series, 'zookeeper_config_info', { zk_endpoint: endpoint, tick_time: '2000' }).length, 1);
    const clients = select(series, 'zookeeper_client_connections', { zk_endpoint: endpoint });
    assert.ok(clients.length > 0, 'zookeeper_client_connections series');
    for (const client of clients) {
      assert.ok(client.value >= 0);
      assert.ok(client.labels.client_address, 'client_address label');
      assert.equal(select(series, 'zookeeper_client_packets_received', { client_address: client.labels.client_address! }).length, 1);
    }
    assert.equal(select(series, 'zookeeper_watch_connections', { zk_endpoint: endpoint }).length, 1);
    assert.equal(select(series, 'zookeeper_watch_paths', { zk_endpoint: endpoint }).length, 1);
  });

  it('has no duplicate series although srvr and stat (and mntr and wchs) overlap', () => {
    const ids = series.map((s) => `${s.name} ${JSON.stringify(Object.entries(s.labels).sort())}`);
    assert.deepEqual(ids.filter((id, index) => ids.indexOf(id) !== index), []);
    assert.equal(select(series, 'zookeeper_watch_count', { zk_endpoint: endpoint }).length, 1);
    assert.equal(select(series, 'zookeeper_server_state', { zk_endpoint: endpoint, state: 'leader' }).length, 1);
  });

  it('splits the zxid into epoch and counter, once although srvr and stat both give it', async () => {
    const zxid = BigInt(/^Zxid: (0x[0-9a-f]+)$/m.exec(await ensemble.fourLetter(ensemble.nodes[0]!, 'srvr'))![1]!);
    const [epoch] = select(series, 'zookeeper_zxid_epoch', { zk_endpoint: endpoint });
    const counters = select(series, 'zookeeper_zxid_counter', { zk_endpoint: endpoint });
    assert.equal(epoch?.value, Number(zxid >> 32n));
    assert.equal(counters.length, 1);
    assert.ok(counters[0]!.value <= Number(zxid & 0xffffffffn), 'the counter scraped before is not above the current one');
  });

  it('serves output that promtool accepts, but for the accepted zookeeper_zxid_counter name', () => {
    assert.deepEqual(promtoolLint(text), []);
  });
});
