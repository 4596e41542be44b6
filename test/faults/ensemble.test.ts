/**
 * The agent, as a process, while a real 3-node ensemble goes through a frozen server (SIGSTOP of its JVM), a
 * leader kill and a quorum loss, one after the other, with a scrape loop running throughout: every scrape must be
 * served, and each fault must show on the right server with the right reason.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startEnsemble, type Ensemble } from '../harness/ensemble.js';
import { scrape, select, type Series } from '../harness/exposition.js';
import { freePort } from '../harness/ports.js';
import { pollUntil } from '../harness/process.js';
import { faultAgentConfig, spawnAgent, type AgentProcess } from './agent.js';

let ensemble: Ensemble;
let agent: AgentProcess;
let url: string;
let failedScrapes = 0;
let looping = true;
let loop: Promise<void>;
let latest: Series[] = [];
/** When `latest` was scraped (wall clock), for the context of a failed wait. */
let latestAt = 0;

before(async () => {
  ensemble = await startEnsemble({ size: 3 });
  await ensemble.waitReady();
  const metricsPort = await freePort();
  url = `http://127.0.0.1:${metricsPort}/metrics`;
  agent = spawnAgent(faultAgentConfig({ endpoints: ensemble.nodes.map((node) => node.endpoint), metricsPort, interval: '300ms' }));
  await pollUntil(async () => (await scrape(url)).series.length > 0, {
    timeoutMs: 20_000,
    what: 'the agent to serve',
    context: () => agent.logs.slice(-5).join('\n'),
  });
  loop = (async () => {
    while (looping) {
      try {
        // A scrape that hangs fails like one Prometheus gives up on, instead of leaving `latest` stale unnoticed.
        latest = (await scrape(url, { timeoutMs: 10_000 })).series;
        latestAt = Date.now();
      } catch {
        failedScrapes++;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
});

after(async () => {
  looping = false;
  await loop;
  await agent?.stop();
  await ensemble?.stop();
});

const up = (endpoint: string) => select(latest, 'zookeeper_up', { zk_endpoint: endpoint })[0]?.value;
const reason = (endpoint: string) => select(latest, 'zookeeper_probe_failure', { zk_endpoint: endpoint, command: 'mntr' })[0]?.labels.reason;
const waitFor = (what: string, condition: () => boolean, timeoutMs = 30_000) =>
  pollUntil(condition, {
    timeoutMs,
    what,
    intervalMs: 50,
    context: () =>
      [
        `last scrape ${Date.now() - latestAt} ms ago, ${failedScrapes} failed`,
        ...ensemble.nodes.map((node) => `${node.endpoint}: up ${up(node.endpoint)} reason ${reason(node.endpoint)}`),
      ].join('\n') + `\n${agent.logs.slice(-5).join('\n')}`,
  });

it('a frozen server (SIGSTOP) times out alone and comes back on SIGCONT', async () => {
  const leader = await ensemble.leader();
  const frozen = ensemble.nodes.find((node) => node.id !== leader.id)!;
  const others = ensemble.nodes.filter((node) => node.id !== frozen.id);
  await waitFor('every server up', () => ensemble.nodes.every((node) => up(node.endpoint) === 1));
  ensemble.pauseNode(frozen.id);
  try {
    await waitFor('the frozen server to time out', () => reason(frozen.endpoint) === 'timeout');
    for (const node of others) assert.equal(up(node.endpoint), 1, `${node.endpoint} stays up`);
  } finally {
    ensemble.resumeNode(frozen.id);
  }
  await waitFor('the thawed server to be up again', () => up(frozen.endpoint) === 1, 30_000);
});

it('a killed leader shows refused, and a new leader is elected', async () => {
  const leader = await ensemble.leader();
  await ensemble.stopNode(leader.id, 'SIGKILL');
  await waitFor('the killed leader to show refused', () => reason(leader.endpoint) === 'refused');
  const survivors = ensemble.nodes.filter((node) => node.id !== leader.id);
  await waitFor(
    'a new leader',
    () => survivors.some((node) => select(latest, 'zookeeper_server_state', { zk_endpoint: node.endpoint, state: 'leader' })[0]?.value === 1),
    30_000,
  );
});

it('a lost quorum shows not_serving on the server left alone', async () => {
  // The two survivors of the leader kill: a follower still syncing with the new leader may not be up yet.
  const upNow = () => ensemble.nodes.filter((node) => up(node.endpoint) === 1);
  await waitFor('both survivors up', () => upNow().length === 2);
  const running = upNow();
  const [lonely, ...rest] = running;
  for (const node of rest) await ensemble.stopNode(node.id, 'SIGKILL');
  await waitFor('the lonely server to report not_serving', () => reason(lonely!.endpoint) === 'not_serving');
  assert.equal(failedScrapes, 0, 'every scrape was served throughout');
  assert.equal(agent.exitCode(), undefined, 'the agent is still running');
});
