/**
 * protocol: admin against a real 3-node ensemble: the AdminServer on every node gives the same series as the
 * four-letter words for the same moment, and the agent serves them like the four-letter-word path.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Sample } from '../../src/core/batch.js';
import { AdminTransport } from '../../src/receivers/zookeeper/admin.js';
import type { FourLetterWord } from '../../src/receivers/zookeeper/config.js';
import { probeEndpoint, type ProbeOutcome } from '../../src/receivers/zookeeper/probe.js';
import { SampleMapper } from '../../src/receivers/zookeeper/samples.js';
import { FourLetterWordTransport } from '../../src/receivers/zookeeper/transport.js';
import { startEnsemble, type Ensemble, type EnsembleNode } from '../harness/ensemble.js';
import { select } from '../harness/exposition.js';
import { pollUntil } from '../harness/process.js';
import { promtoolLint } from '../harness/promtool.js';
import { startAgent, type RunningAgent } from './agent.js';

/** Commands whose series must match one for one; conf and cons differ by design (README) and are checked apart. */
const SAME_SERIES: readonly FourLetterWord[] = ['mntr', 'ruok', 'srvr', 'stat', 'isro', 'wchs', 'envi'];
/** Gauges that do not move while nobody writes. */
const STABLE = [
  'zookeeper.znode.count',
  'zookeeper.data_tree.ephemeral_node.count',
  'zookeeper.watch.count',
  'zookeeper.data_tree.size',
  'zookeeper.file_descriptor.limit',
  'zookeeper.server.state',
  'zookeeper.build.info',
  'zookeeper.peer.state',
  'zookeeper.zxid.epoch',
  'zookeeper.zxid.sequence',
  'zookeeper.follower.count',
  'zookeeper.read_only',
  'zookeeper.environment.info',
  'zookeeper.ruok',
  'zookeeper.up',
  'zookeeper.quorum_size',
];

const key = (sample: Sample) =>
  `${sample.metric.name} ${JSON.stringify(
    Object.entries(sample.attributes)
      .filter(([name]) => !name.startsWith('__'))
      .sort(),
  )}`;

async function bothWays(node: EnsembleNode, commands: readonly FourLetterWord[]): Promise<[ProbeOutcome, ProbeOutcome]> {
  const fourLetter = new FourLetterWordTransport({ host: '127.0.0.1', port: node.clientPort });
  const admin = new AdminTransport(new URL(`http://127.0.0.1:${node.adminPort}/commands`));
  const options = { commands, timeoutMs: 5000, maxBytes: 1 << 20, signal: new AbortController().signal };
  try {
    return await Promise.all([probeEndpoint({ ...options, transport: fourLetter }), probeEndpoint({ ...options, transport: admin })]);
  } finally {
    fourLetter.close();
    admin.close();
  }
}

const samplesOf = (node: EnsembleNode, outcome: ProbeOutcome) =>
  new Map(new SampleMapper({ 'zk.endpoint': node.endpoint }).toSamples(outcome, 0).map((sample) => [key(sample), sample]));

describe('protocol: admin on a real 3-node ensemble', () => {
  let ensemble: Ensemble;
  let agent: RunningAgent | undefined;

  before(async () => {
    ensemble = await startEnsemble({ size: 3 });
    await ensemble.waitReady();
  });
  after(async () => {
    await agent?.stop();
    await ensemble?.stop();
  });

  it('gives every node the same series as the four-letter words, the same stable values, and counters close', async () => {
    for (const node of ensemble.nodes) {
      const [fourLetter, admin] = await bothWays(node, SAME_SERIES);
      assert.deepEqual(fourLetter.failures, [], `node ${node.id} 4lw`);
      assert.deepEqual(admin.failures, [], `node ${node.id} admin`);
      const viaFourLetter = samplesOf(node, fourLetter);
      const viaAdmin = samplesOf(node, admin);
      const only = (a: Map<string, Sample>, b: Map<string, Sample>) => [...a.keys()].filter((id) => !b.has(id));
      assert.deepEqual(only(viaFourLetter, viaAdmin), [], `node ${node.id}: series only the four-letter words give`);
      assert.deepEqual(only(viaAdmin, viaFourLetter), [], `node ${node.id}: series only the AdminServer gives`);
      for (const [id, sample] of viaFourLetter) {
        const other = viaAdmin.get(id)!;
        if (STABLE.includes(sample.metric.name)) assert.equal(other.value, sample.value, `node ${node.id}: ${id}`);
        else if (sample.metric.kind === 'counter')
          assert.ok(Math.abs(other.value - sample.value) <= Math.max(100, sample.value * 0.1), `node ${node.id}: ${id} ${sample.value} vs ${other.value}`);
      }
      const state = [...viaAdmin.values()].find((sample) => sample.metric.name === 'zookeeper.server.state' && sample.value === 1);
      assert.match(String(state?.attributes.state), /^(leader|follower)$/);
    }
  });

  it('conf and cons: the settings the AdminServer has, and client addresses', async () => {
    const node = ensemble.nodes[0]!;
    const [fourLetter, admin] = await bothWays(node, ['conf', 'cons']);
    assert.deepEqual([...fourLetter.failures, ...admin.failures], []);
    const conf = admin.replies.conf!;
    for (const [name, value] of Object.entries(conf.attributes)) assert.equal(value, fourLetter.replies.conf!.attributes[name], name);
    assert.deepEqual([...conf.numbers.keys()].sort(), ['maxClientCnxns', 'maxSessionTimeout', 'minSessionTimeout', 'tickTime']);
    for (const [setting, value] of conf.numbers) assert.equal(value, fourLetter.replies.conf!.numbers.get(setting), setting);
    // cons always lists the connection that asked; over HTTP there is none.
    assert.ok(Array.isArray(admin.replies.cons?.addresses));
  });

  it('runs in the agent: every node up by its client endpoint, promtool-clean', async () => {
    const endpoints = ensemble.nodes.map((node) => `"${node.endpoint}"`).join(', ');
    const adminEndpoints = ensemble.nodes.map((node) => `"${node.endpoint}": "http://127.0.0.1:${node.adminPort}/commands"`).join(', ');
    agent = await startAgent(
      'receivers:\n' +
        `  zookeeper: { protocol: admin, endpoints: [${endpoints}], admin_endpoints: { ${adminEndpoints} }, collection_interval: 300ms, timeout: 3s, commands: [mntr, ruok, srvr, isro, wchs] }\n` +
        'exporters:\n  prometheus: { endpoint: ${METRICS_ENDPOINT} }\nservice:\n  pipelines:\n    metrics: { receivers: [zookeeper], exporters: [prometheus] }\n',
    );
    const { series, text } = await pollUntil(
      async () => {
        const scraped = await agent!.scrape();
        return ensemble.nodes.every((node) => select(scraped.series, 'zookeeper_up', { zk_endpoint: node.endpoint })[0]?.value === 1) ? scraped : undefined;
      },
      { timeoutMs: 20_000, what: 'every node up over the AdminServer', intervalMs: 200 },
    );
    assert.equal(select(series, 'zookeeper_server_state', { state: 'leader' }).filter((s) => s.value === 1).length, 1);
    for (const node of ensemble.nodes) assert.equal(select(series, 'zookeeper_zxid_epoch', { zk_endpoint: node.endpoint }).length, 1);
    assert.deepEqual(promtoolLint(text), []);
  });

  it('reports not_serving when a node loses its quorum (HTTP 500 for monitor, "error" for the others)', async () => {
    const leader = await ensemble.leader();
    const [survivor, ...others] = [...ensemble.nodes.filter((node) => node !== leader), leader];
    await Promise.all(others.map((node) => ensemble.stopNode(node.id)));
    const outcome = await pollUntil(
      async () => {
        const [, admin] = await bothWays(survivor!, ['mntr', 'srvr', 'ruok']);
        return admin.failures.length === 3 ? admin : undefined;
      },
      { timeoutMs: 20_000, what: 'the survivor to stop serving', intervalMs: 200 },
    );
    assert.deepEqual(
      outcome.failures.map((failure) => `${failure.command}:${failure.error.reason}`),
      ['mntr:not_serving', 'srvr:not_serving', 'ruok:not_serving'],
    );
    assert.match(outcome.failures[0]!.error.message, /HTTP 500/);
    assert.ok(agent, 'the agent of the previous test');
    await pollUntil(
      async () => {
        const { series } = await agent!.scrape();
        return select(series, 'zookeeper_probe_failure', { zk_endpoint: survivor!.endpoint, command: 'mntr', reason: 'not_serving' }).length === 1;
      },
      { timeoutMs: 20_000, what: 'the agent to report not_serving', intervalMs: 200 },
    );
  });
});
