/**
 * agent_group at scale: 3 agents × 3,000 targets (1,000 clusters of 3), coordinated through a real 1-node ZooKeeper.
 * Each agent is the real extension plus the real target filter (ownedTargets) in this process. Reports how long a
 * rebalance takes (an agent leaving, an agent joining: from the membership change until every target is owned by
 * exactly one agent again) and each agent's load. Run: node dist/bench/agent-group.js
 */
import { BehaviorSubject, type Subscription } from 'rxjs';
import { agentGroupExtensionFactory } from '../src/extensions/agent_group/factory.js';
import type { AgentGroupExtension } from '../src/extensions/agent_group/extension.js';
import { ownedTargets } from '../src/internal/targets/sharding.js';
import type { Target } from '../src/internal/targets/target.js';
import { startEnsemble } from '../test/harness/ensemble.js';
import { testSettings } from '../test/harness/settings.js';
import { fmt } from './measure.js';

// Its implementation is imported on first use (src/core/lazy-module.ts), as the service does before creating one.
await agentGroupExtensionFactory.load?.();

const CLUSTERS = 1000;
const targets: Target[] = [];
for (let cluster = 0; cluster < CLUSTERS; cluster++) {
  for (let server = 0; server < 3; server++) targets.push({ endpoint: `zk-${cluster}-${server}:2181`, attributes: { 'zk.cluster': `cluster-${cluster}` } });
}
const targetList = new BehaviorSubject<readonly Target[]>(targets);

interface BenchAgent {
  readonly id: string;
  readonly extension: AgentGroupExtension;
  owned: readonly Target[];
  readonly subscription: Subscription;
}

const ensemble = await startEnsemble({ size: 1, tickTime: 1000 });
try {
  await ensemble.waitReady();
  const start = async (id: string): Promise<BenchAgent> => {
    const config = agentGroupExtensionFactory.configSchema.parse({
      endpoints: [ensemble.connectString],
      member_id: id,
      session_timeout: '4s',
      path: '/bench/agents',
    });
    const extension = agentGroupExtensionFactory.createExtension(testSettings(id), config) as AgentGroupExtension;
    await extension.start();
    const agent: BenchAgent = { id, extension, owned: [], subscription: undefined! };
    (agent as { subscription: Subscription }).subscription = ownedTargets(targetList, extension, 'zookeeper', undefined).subscribe(
      (owned) => (agent.owned = owned),
    );
    return agent;
  };
  const agents: BenchAgent[] = [];
  /** Polls (1 ms) until every target is owned by exactly one of `live`, each owning some; the milliseconds it took. */
  const settled = async (live: BenchAgent[], since: number): Promise<number> => {
    for (;;) {
      const counts = new Map<string, number>();
      for (const agent of live) for (const target of agent.owned) counts.set(target.endpoint, (counts.get(target.endpoint) ?? 0) + 1);
      if (counts.size === targets.length && [...counts.values()].every((n) => n === 1) && live.every((agent) => agent.owned.length > 0))
        return performance.now() - since;
      if (performance.now() - since > 60_000) throw new Error('no settled assignment within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  const loads = (live: BenchAgent[]) => live.map((agent) => `${agent.id}=${agent.owned.length}`).join(' ');

  let since = performance.now();
  for (const id of ['agent-a', 'agent-b', 'agent-c']) agents.push(await start(id));
  const formed = await settled(agents, since);
  console.log(`agent_group: 3 agents x ${targets.length} targets: group formed in ${fmt(formed)} ms; load ${loads(agents)} (fair ${targets.length / 3})`);

  const leaving = agents.pop()!;
  since = performance.now();
  leaving.subscription.unsubscribe();
  await leaving.extension.shutdown();
  const leave = await settled(agents, since);
  console.log(`agent_group: an agent leaves (session closed): rebalanced in ${fmt(leave)} ms; load ${loads(agents)}`);
  console.log(`agent_group: an agent dies (no close): its targets move after session_timeout (4000 ms here) + the same rebalance`);

  since = performance.now();
  agents.push(await start('agent-c'));
  const join = await settled(agents, since);
  console.log(`agent_group: an agent joins: rebalanced in ${fmt(join)} ms; load ${loads(agents)}`);

  // What a new target list costs: each agent filters 3,000 targets by the current assignment.
  const cpu = process.cpuUsage();
  const rounds = 20;
  for (let i = 0; i < rounds; i++) targetList.next([...targets]);
  const used = process.cpuUsage(cpu);
  const usedMs = (used.user + used.system) / 1000;
  console.log(`agent_group: a new list of ${targets.length} targets filtered by 3 agents: ${fmt(usedMs / rounds, 2)} ms CPU`);
  for (const agent of agents) {
    agent.subscription.unsubscribe();
    await agent.extension.shutdown();
  }
} finally {
  await ensemble.stop();
}
