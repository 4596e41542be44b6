import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import zookeeper from 'node-zookeeper-client';
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
    agent = await startAgent(
      prometheusPipeline(`  zookeeper: { endpoint: ${endpoint}, collection_interval: 500ms, timeout: 2s, commands: [${COMMANDS.join(', ')}] }`),
    );
    ({ series, text } = await pollUntil(
      async () => {
        const scraped = await agent.scrape();
        return select(scraped.series, 'zookeeper_up')[0]?.value === 1 && select(scraped.series, 'zookeeper_client_connections').length > 0
          ? scraped
          : undefined;
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
    assert.deepEqual(
      select(series, 'zookeeper_read_only', { zk_endpoint: endpoint }).map((s) => s.value),
      [0],
    );
    const [environment] = select(series, 'zookeeper_environment_info', { zk_endpoint: endpoint });
    assert.equal(environment?.value, 1);
    assert.match(environment?.labels.java_version ?? '', /^\d+/);
    assert.match(environment?.labels.zookeeper_version ?? '', /^3\./);
    assert.deepEqual(
      select(series, 'zookeeper_config_tick_time', { zk_endpoint: endpoint }).map((s) => s.value),
      [2000],
    );
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
    assert.deepEqual(
      ids.filter((id, index) => ids.indexOf(id) !== index),
      [],
    );
    assert.equal(select(series, 'zookeeper_watch_count', { zk_endpoint: endpoint }).length, 1);
    assert.equal(select(series, 'zookeeper_server_state', { zk_endpoint: endpoint, state: 'leader' }).length, 1);
  });

  it('splits the zxid into epoch and sequence, once although srvr and stat both give it', async () => {
    const zxid = BigInt(/^Zxid: (0x[0-9a-f]+)$/m.exec(await ensemble.fourLetter(ensemble.nodes[0]!, 'srvr'))![1]!);
    const [epoch] = select(series, 'zookeeper_zxid_epoch', { zk_endpoint: endpoint });
    const counters = select(series, 'zookeeper_zxid_sequence', { zk_endpoint: endpoint });
    assert.equal(epoch?.value, Number(zxid >> 32n));
    assert.equal(counters.length, 1);
    assert.ok(counters[0]!.value <= Number(zxid & 0xffffffffn), 'the counter scraped before is not above the current one');
  });

  it('serves output that promtool check metrics accepts without a single complaint', () => {
    assert.deepEqual(promtoolLint(text), []);
  });

  describe('cons per connection (cons_max_connections: 2), over four-letter words and the AdminServer', () => {
    const TRANSPORTS = ['fourlw', 'admin'] as const;
    let detailed: RunningAgent;
    let clients: zookeeper.Client[] = [];
    let sessions: string[];

    before(async () => {
      // Three real sessions, made busy to different degrees: the first two are the busiest, the third is untracked.
      clients = [0, 1, 2].map(() => zookeeper.createClient(endpoint, { sessionTimeout: 30_000, retries: 0 }));
      await Promise.all(clients.map((client) => new Promise<void>((resolve) => (client.once('connected', () => resolve()), client.connect()))));
      sessions = clients.map((client) => `0x${BigInt(`0x${client.getSessionId().toString('hex')}`).toString(16)}`);
      for (const [index, calls] of [40, 20].entries()) {
        for (let call = 0; call < calls; call++) await new Promise((resolve) => clients[index]!.exists('/', resolve));
      }
      const node = ensemble.nodes[0]!;
      const receiver = (name: string, extra: string) =>
        `  ${name}: { endpoint: ${endpoint}, cluster: ${name.includes('admin') ? 'admin' : 'fourlw'}, collection_interval: 300ms, timeout: 2s, commands: [cons], cons_max_connections: 2${extra} }\n`;
      detailed = await startAgent(
        'receivers:\n' +
          receiver('zookeeper', '') +
          receiver('zookeeper/admin', `, protocol: admin, admin_endpoints: { "${endpoint}": "http://127.0.0.1:${node.adminPort}/commands" }`) +
          'exporters:\n  prometheus: { endpoint: ${METRICS_ENDPOINT} }\nservice:\n  pipelines:\n    metrics: { receivers: [zookeeper, zookeeper/admin], exporters: [prometheus] }\n',
      );
    });
    after(async () => {
      await detailed?.stop();
      for (const client of clients) client.close();
    });

    /** Per transport: the session ids with per-connection series, and the untracked gauge. */
    const perConnection = (scraped: Series[]) =>
      TRANSPORTS.map((cluster) => ({
        cluster,
        sessions: select(scraped, 'zookeeper_connection_packets_received', { zk_cluster: cluster })
          .map((s) => s.labels.session_id)
          .sort(),
        untracked: select(scraped, 'zookeeper_connection_untracked', { zk_cluster: cluster }).map((s) => s.value),
      }));

    it('gives the two busiest real sessions series of their own and counts the third as untracked; promtool-clean', async () => {
      const expected = TRANSPORTS.map((cluster) => ({ cluster, sessions: [sessions[0], sessions[1]].sort(), untracked: [1] }));
      const scraped = await pollUntil(
        async () => {
          const result = await detailed.scrape();
          return JSON.stringify(perConnection(result.series)) === JSON.stringify(expected) ? result : undefined;
        },
        { timeoutMs: 20_000, what: 'the two busiest sessions per connection, one untracked, on both transports', intervalMs: 200 },
      );
      for (const cluster of TRANSPORTS) {
        const [busiest] = select(scraped.series, 'zookeeper_connection_packets_received', { zk_cluster: cluster, session_id: sessions[0]! });
        assert.equal(busiest?.labels.client_address, '127.0.0.1');
        assert.match(busiest?.labels.client_port ?? '', /^\d+$/);
        assert.ok(busiest!.value >= 41, `${cluster}: the connect request and 40 exists calls, got ${busiest!.value}`);
        for (const name of ['zookeeper_connection_packets_sent', 'zookeeper_connection_requests_outstanding', 'zookeeper_connection_latency_max']) {
          assert.equal(select(scraped.series, name, { zk_cluster: cluster, session_id: sessions[0]! }).length, 1, `${cluster}: ${name}`);
        }
        // The per-address totals still count every connection, the untracked one included.
        assert.ok(select(scraped.series, 'zookeeper_client_connections', { zk_cluster: cluster, client_address: '127.0.0.1' })[0]!.value >= 3);
      }
      assert.deepEqual(promtoolLint(scraped.text), []);
    });

    it('follows real sessions: a closed one disappears and the untracked one takes its place', async () => {
      clients[0]!.close();
      const expected = TRANSPORTS.map((cluster) => ({ cluster, sessions: [sessions[1], sessions[2]].sort(), untracked: [0] }));
      await pollUntil(async () => (JSON.stringify(perConnection((await detailed.scrape()).series)) === JSON.stringify(expected) ? true : undefined), {
        timeoutMs: 20_000,
        what: 'the closed session gone, the third one per connection, none untracked',
        intervalMs: 200,
      });
    });
  });

  describe('wchs follows real watches: two sessions watching distinct znodes', () => {
    const PATHS = [0, 1, 2, 3, 4].map((index) => `/zkotel-watched-${index}`);
    let watchers: zookeeper.Client[] = [];
    const fired: string[] = [];

    /** A promise for a node-zookeeper-client call. */
    const call = <T>(invoke: (done: (error: unknown, value: T) => void) => void) =>
      new Promise<T>((resolve, reject) => invoke((error, value) => (error ? reject(error as Error) : resolve(value))));
    const watchValues = async () => {
      const { series: scraped } = await agent.scrape();
      const value = (name: string) => select(scraped, name, { zk_endpoint: endpoint }).map((s) => s.value);
      return { paths: value('zookeeper_watch_paths'), connections: value('zookeeper_watch_connections'), total: value('zookeeper_watch_count') };
    };
    const until = (expected: { paths: number; connections: number; total: number }, what: string) => {
      let seen = '';
      return pollUntil(
        async () =>
          (seen = JSON.stringify(await watchValues())) ===
          JSON.stringify({ paths: [expected.paths], connections: [expected.connections], total: [expected.total] }),
        { timeoutMs: 20_000, what, intervalMs: 200, context: () => `last seen: ${seen}` },
      );
    };

    before(async () => {
      watchers = [0, 1].map(() => zookeeper.createClient(endpoint, { sessionTimeout: 30_000, retries: 0 }));
      await Promise.all(watchers.map((client) => new Promise<void>((resolve) => (client.once('connected', () => resolve()), client.connect()))));
      const [first, second] = watchers as [zookeeper.Client, zookeeper.Client];
      for (const path of PATHS) await call((done) => first.create(path, Buffer.from('v0'), done));
      // first: data watches on 0..2 (getData); second: exists watches on 2..4. Path 2 has two watches.
      const watcher = (event: zookeeper.Event) => fired.push(`${event.getName()} ${event.getPath()}`);
      for (const path of PATHS.slice(0, 3)) await call((done) => first.getData(path, watcher, done));
      for (const path of PATHS.slice(2)) await call((done) => second.exists(path, watcher, done));
    });
    after(async () => {
      for (const client of watchers) client.close();
    });

    it('counts the watched paths and the watching connections exactly', async () => {
      await until({ paths: PATHS.length, connections: 2, total: 6 }, 'five watched paths on two connections, six watches');
    });

    it('drops what fired, then what a closed session held', async () => {
      const [first, second] = watchers as [zookeeper.Client, zookeeper.Client];
      // Writing paths 0 and 1 fires (and so removes) the first session's watches on them.
      for (const path of PATHS.slice(0, 2)) await call((done) => second.setData(path, Buffer.from('v1'), -1, done));
      await pollUntil(() => fired.length === 2, { timeoutMs: 10_000, what: 'two watches to fire' });
      assert.deepEqual(fired.sort(), [`NODE_DATA_CHANGED ${PATHS[0]}`, `NODE_DATA_CHANGED ${PATHS[1]}`]);
      await until({ paths: 3, connections: 2, total: 4 }, 'the fired watches gone');
      second.close();
      await until({ paths: 1, connections: 1, total: 1 }, "the closed session's watches gone");
      first.close();
      await until({ paths: 0, connections: 0, total: 0 }, 'no watch left');
    });
  });
});
