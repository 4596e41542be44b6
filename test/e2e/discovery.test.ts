import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDnsServer, TEST_DOMAIN, type DnsServer } from '../harness/dnsmasq.js';
import { startEnsemble, type Ensemble } from '../harness/ensemble.js';
import { select, type Series } from '../harness/exposition.js';
import { freePort } from '../harness/ports.js';
import { pollUntil } from '../harness/process.js';
import { addMember, removeMember } from '../harness/reconfig.js';
import { prometheusPipeline, startAgent, type RunningAgent } from './agent.js';

const INTERVAL_MS = 500;
/** Generous: reconfig, the watch and one probe round on a busy 2-core machine. */
const FOLLOW_TIMEOUT_MS = 30_000;

function receiver(lines: string): string {
  return prometheusPipeline(`  zookeeper:\n    collection_interval: ${INTERVAL_MS}ms\n    timeout: 1000ms\n${lines}`);
}

function scrapeWhen(agent: RunningAgent, what: string, predicate: (series: Series[]) => boolean, timeoutMs = FOLLOW_TIMEOUT_MS): Promise<Series[]> {
  let last: Series[] = [];
  return pollUntil(
    async () => {
      last = (await agent.scrape()).series;
      return predicate(last) ? last : undefined;
    },
    {
      timeoutMs,
      intervalMs: 100,
      what,
      context: () =>
        select(last, 'zookeeper_up')
          .map((s) => JSON.stringify(s.labels) + ' ' + s.value)
          .join('\n'),
    },
  );
}

/** Endpoints with a zookeeper_up series, sorted. */
function probedEndpoints(series: readonly Series[]): string[] {
  return select(series, 'zookeeper_up')
    .map((s) => s.labels['zk_endpoint']!)
    .sort();
}

describe('ensemble discovery against a real ensemble with reconfig', () => {
  let ensemble: Ensemble;
  let deadSeed: string;
  let members: string[];
  let agent: RunningAgent;

  before(async () => {
    // Three participants and one observer.
    ensemble = await startEnsemble({ size: 4, observers: 1, reconfig: true });
    await ensemble.waitReady();
    members = ensemble.nodes.map((node) => node.endpoint).sort();
    deadSeed = `127.0.0.1:${await freePort()}`;
    agent = await startAgent(receiver(`    endpoints: [${deadSeed}, ${ensemble.node(1).endpoint}]\n    discovery: { ensemble: true }\n`));
  });
  after(async () => {
    await agent?.stop();
    await ensemble?.stop();
  });

  it('probes every member from one live seed (the other is dead), with server id and role', async () => {
    const series = await scrapeWhen(
      agent,
      'every member probed and up',
      (s) => probedEndpoints(s).join() === members.join() && select(s, 'zookeeper_up').every((u) => u.value === 1),
    );
    for (const node of ensemble.nodes) {
      const up = select(series, 'zookeeper_up', { zk_endpoint: node.endpoint })[0];
      assert.equal(up?.labels['zk_server_id'], String(node.id));
      assert.equal(up?.labels['zk_member_role'], node.id === 4 ? 'observer' : 'participant');
    }
    assert.equal(select(series, 'zookeeper_up', { zk_endpoint: deadSeed }).length, 0, 'a seed that is no member is not probed');
  });

  it('follows reconfig: a removed member disappears, re-added it appears again', async () => {
    const removed = ensemble.node(2).endpoint;
    await removeMember(ensemble, 2);
    const without = await scrapeWhen(agent, 'the removed member gone', (s) => !probedEndpoints(s).includes(removed));
    assert.deepEqual(
      probedEndpoints(without),
      members.filter((m) => m !== removed),
    );
    assert.equal(without.filter((s) => s.labels['zk_endpoint'] === removed).length, 0, 'every series of the removed member is gone');

    await addMember(ensemble, 2);
    const back = await scrapeWhen(agent, 'the re-added member probed and up', (s) =>
      select(s, 'zookeeper_up', { zk_endpoint: removed }).some((u) => u.value === 1),
    );
    assert.deepEqual(probedEndpoints(back), members);
    assert.equal(select(back, 'zookeeper_up', { zk_endpoint: removed })[0]?.labels['zk_member_role'], 'participant');
  });

  describe('with seeds from DNS', () => {
    let dns: DnsServer;
    let dnsAgent: RunningAgent;
    before(async () => {
      dns = await startDnsServer({ [`seed.${TEST_DOMAIN}`]: ['127.0.0.1'] });
      const seedPort = ensemble.node(4).clientPort; // the observer is a seed as good as any
      dnsAgent = await startAgent(
        receiver(
          `    discovery:\n      ensemble: true\n      dns: { names: [seed.${TEST_DOMAIN}], type: A, port: ${seedPort}, server: '${dns.address}', refresh_interval: 1s }\n`,
        ),
      );
    });
    after(async () => {
      await dnsAgent?.stop();
      await dns?.close();
    });

    it('expands a DNS seed to every member', async () => {
      await scrapeWhen(dnsAgent, 'every member probed', (s) => probedEndpoints(s).join() === members.join());
    });
  });
});

describe('ensemble discovery without any live seed', () => {
  let agent: RunningAgent;
  let seeds: string[];
  before(async () => {
    seeds = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`].sort();
    agent = await startAgent(receiver(`    endpoints: [${seeds.join(', ')}]\n    discovery: { ensemble: true }\n`));
  });
  after(() => agent?.stop());

  it('falls back to probing the static seeds, which report down', async () => {
    const series = await scrapeWhen(agent, 'both seeds probed', (s) => probedEndpoints(s).join() === seeds.join());
    assert.ok(select(series, 'zookeeper_up').every((u) => u.value === 0 && u.labels['zk_member_role'] === undefined));
  });
});
