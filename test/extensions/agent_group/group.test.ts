/**
 * The agent group on real components: a real 3-node ZooKeeper ensemble for coordination, three agent processes (`zkotel --config`),
 * thirty fake ensembles of three servers each (ninety targets) listed in a file_sd file with zk_cluster labels.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEnsemble, type Ensemble } from '../../harness/ensemble.js';
import { scrape, select } from '../../harness/exposition.js';
import { startFakeZk, type FakeZk } from '../../harness/fake-zk.js';
import { freePort } from '../../harness/ports.js';
import { pollUntil, spawnLogged, tailFile, type LoggedProcess } from '../../harness/process.js';
import { repoRoot } from '../../harness/fixtures.js';

const CLUSTERS = 30;
const SERVERS_PER_CLUSTER = 3;
const SESSION_TIMEOUT_MS = 4000;
const INTERVAL_MS = 1000;
const AGENT_IDS = ['agent-a', 'agent-b', 'agent-c'];

interface Agent {
  readonly id: string;
  readonly metricsUrl: string;
  process: LoggedProcess;
}

describe('agent_group (3 agent processes, a real coordination ZooKeeper, 90 targets)', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-agent-group-'));
  let coordination: Ensemble;
  const fakes: FakeZk[] = [];
  const agents = new Map<string, Agent>();
  const allTargets: string[] = [];
  let configFile: string;

  const startAgent = async (id: string, metricsUrl?: string): Promise<Agent> => {
    const metricsEndpoint = metricsUrl ? new URL(metricsUrl).host : `127.0.0.1:${await freePort()}`;
    const process_ = spawnLogged(process.execPath, [path.join(repoRoot(), 'dist/src/cli.js'), '--config', configFile], {
      logFile: path.join(dir, `${id}.log`),
      env: { ...process.env, AGENT_ID: id, METRICS_ENDPOINT: metricsEndpoint },
    });
    const agent = { id, metricsUrl: `http://${metricsEndpoint}/metrics`, process: process_ };
    agents.set(id, agent);
    return agent;
  };

  /** Per running agent: the endpoints it exports `zookeeper_up` for, and its own group telemetry. */
  const observe = async () => {
    const seen = new Map<string, { endpoints: string[]; members?: number; owned?: number; connected?: number; memberList: string[] }>();
    for (const agent of agents.values()) {
      if (agent.process.exitStatus) continue;
      const { series } = await scrape(agent.metricsUrl);
      const value = (name: string) => select(series, name)[0]?.value;
      seen.set(agent.id, {
        endpoints: select(series, 'zookeeper_up').map((s) => s.labels.zk_endpoint!),
        members: value('zkotel_agent_group_members'),
        owned: value('zkotel_agent_group_owned_targets'),
        connected: value('zkotel_agent_group_connected'),
        // Live members as `id` or `id (self)`, sorted.
        memberList: select(series, 'zkotel_agent_group_member')
          .filter((s) => s.value === 1)
          .map((s) => `${s.labels.member}${s.labels.self === 'true' ? ' (self)' : ''}`)
          .sort(),
      });
    }
    return seen;
  };

  /** How many of the running agents export each target. */
  const coverage = (seen: Awaited<ReturnType<typeof observe>>) => {
    const count = new Map(allTargets.map((endpoint) => [endpoint, 0]));
    for (const { endpoints } of seen.values()) for (const endpoint of endpoints) count.set(endpoint, (count.get(endpoint) ?? 0) + 1);
    return count;
  };
  const exactlyOnce = (seen: Awaited<ReturnType<typeof observe>>) => [...coverage(seen).values()].every((n) => n === 1);
  /** An agent that exited by itself (not killed by the test) ends every wait at once. */
  const crashed = () => {
    const dead = [...agents.values()].find((agent) => agent.process.exitStatus && agent.process.exitStatus.signal !== 'SIGKILL');
    return dead ? `${dead.id} exited: ${JSON.stringify(dead.process.exitStatus)}\n${tailFile(dead.process.logFile, 20)}` : undefined;
  };
  const logs = () => [...agents.values()].map((agent) => `--- ${agent.id}\n${tailFile(agent.process.logFile, 15)}`).join('\n');

  before(async () => {
    coordination = await startEnsemble({ size: 3, tickTime: 1000 });
    await coordination.waitReady();
    const groups: { targets: string[]; labels: Record<string, string> }[] = [];
    for (let cluster = 0; cluster < CLUSTERS; cluster++) {
      const targets: string[] = [];
      for (let server = 0; server < SERVERS_PER_CLUSTER; server++) {
        const fake = await startFakeZk({ kind: 'reply', replies: { ruok: 'imok' } });
        fakes.push(fake);
        targets.push(fake.endpoint);
        allTargets.push(fake.endpoint);
      }
      groups.push({ targets, labels: { zk_cluster: `orders-${cluster}` } });
    }
    writeFileSync(path.join(dir, 'targets.json'), JSON.stringify(groups));
    configFile = path.join(dir, 'config.yaml');
    writeFileSync(
      configFile,
      [
        'extensions:',
        `  agent_group: { endpoints: ${JSON.stringify(coordination.connectString.split(','))}, path: /zkotel/agents, session_timeout: ${SESSION_TIMEOUT_MS}ms, member_id: "\${env:AGENT_ID}" }`,
        'receivers:',
        '  zookeeper:',
        '    commands: [ruok]',
        `    collection_interval: ${INTERVAL_MS}ms`,
        '    timeout: 900ms',
        `    discovery: { file_sd: { files: ["${path.join(dir, 'targets.json')}"] } }`,
        '    agent_group: agent_group',
        'exporters:',
        '  prometheus: { endpoint: "${env:METRICS_ENDPOINT}" }',
        'service:',
        '  extensions: [agent_group]',
        '  pipelines:',
        '    metrics: { receivers: [zookeeper], exporters: [prometheus] }',
        '',
      ].join('\n'),
    );
    for (const id of AGENT_IDS) await startAgent(id);
  });

  after(async () => {
    for (const agent of agents.values()) if (!agent.process.exitStatus) agent.process.child.kill('SIGKILL');
    await Promise.all([...agents.values()].map((agent) => agent.process.exited));
    await Promise.all(fakes.map((fake) => fake.close()));
    await coordination?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every target is probed by exactly one agent, whole clusters together, and the group reports itself', async () => {
    const seen = await pollUntil(
      async () => {
        const now = await observe();
        return now.size === 3 && exactlyOnce(now) && [...now.values()].every((s) => s.members === 3 && s.connected === 1) ? now : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'each of the 90 targets in exactly one agent', context: logs, abort: crashed },
    );
    const owned = [...seen.values()].map((s) => s.owned ?? 0);
    assert.equal(
      owned.reduce((a, b) => a + b, 0),
      allTargets.length,
      'owned_targets add up to every target',
    );
    for (const s of seen.values()) assert.equal(s.owned, s.endpoints.length, 'an agent probes what it owns');
    for (const [id, s] of seen)
      assert.deepEqual(
        s.memberList,
        AGENT_IDS.map((member) => (member === id ? `${member} (self)` : member)),
        `${id} lists every member, itself marked`,
      );
    // A cluster's three servers are on one agent.
    for (let cluster = 0; cluster < CLUSTERS; cluster++) {
      const servers = allTargets.slice(cluster * SERVERS_PER_CLUSTER, (cluster + 1) * SERVERS_PER_CLUSTER);
      const holders = new Set([...seen].filter(([, s]) => servers.some((endpoint) => s.endpoints.includes(endpoint))).map(([id]) => id));
      assert.equal(holders.size, 1, `cluster orders-${cluster} on one agent`);
    }
  });

  it('kill -9 of an agent: its targets are covered again within session_timeout + 2 intervals; a restart rebalances fairly', async () => {
    const victim = agents.get('agent-b')!;
    victim.process.child.kill('SIGKILL');
    await victim.process.exited;
    const killedAt = Date.now();
    await pollUntil(
      async () => {
        const now = await observe();
        return now.size === 2 && [...coverage(now).values()].every((n) => n === 1);
      },
      { timeoutMs: SESSION_TIMEOUT_MS + 2 * INTERVAL_MS, intervalMs: 100, what: 'every target covered by the two survivors', context: logs, abort: crashed },
    );
    const tookMs = Date.now() - killedAt;
    assert.ok(tookMs <= SESSION_TIMEOUT_MS + 2 * INTERVAL_MS, `covered again after ${tookMs} ms`);
    const survivors = await observe();
    for (const s of survivors.values()) assert.equal(s.members, 2);
    for (const [id, s] of survivors)
      assert.deepEqual(
        s.memberList,
        ['agent-a', 'agent-c'].map((member) => (member === id ? `${member} (self)` : member)),
        `${id} no longer lists agent-b`,
      );

    await startAgent('agent-b', victim.metricsUrl);
    const balanced = await pollUntil(
      async () => {
        const now = await observe();
        return now.size === 3 && exactlyOnce(now) && [...now.values()].every((s) => s.members === 3) ? now : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'the restarted agent back in the group, each target once', context: logs, abort: crashed },
    );
    const fair = allTargets.length / 3;
    for (const [id, s] of balanced) {
      assert.ok(s.endpoints.length >= fair / 2 && s.endpoints.length <= fair * 2, `${id} owns ${s.endpoints.length} targets (fair share ${fair})`);
    }
  });

  it('the coordination ensemble stopped: every agent keeps its last assignment, no target dropped', async () => {
    const before = await observe();
    assert.ok(exactlyOnce(before));
    await coordination.stop();
    await pollUntil(async () => [...(await observe()).values()].every((s) => s.connected === 0), {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: 'every agent disconnected',
      context: logs,
      abort: crashed,
    });
    // Through a whole session timeout and two intervals, checked all along: nothing is dropped.
    const until = Date.now() + SESSION_TIMEOUT_MS + 2 * INTERVAL_MS;
    while (Date.now() < until) {
      const now = await observe();
      const missing = [...coverage(now)].filter(([, n]) => n === 0).map(([endpoint]) => endpoint);
      assert.deepEqual(missing, [], 'no target dropped while the coordination ensemble is down');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    for (const agent of agents.values()) assert.match(tailFile(agent.process.logFile, 200), /keeping the last assignment/);
  });
});
