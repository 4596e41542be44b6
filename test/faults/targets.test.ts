/**
 * The agent, as a process, against every kind of misbehaving server at once: refused, hung, drip-feeding, garbage,
 * a 10 MB reply, an endless reply, a reset connection. It must stay up, serve every scrape, keep the healthy server
 * up, and name each failure by its reason.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, it } from 'node:test';
import { select, scrape, type Series } from '../harness/exposition.js';
import { startFakeZk, type FakeZk } from '../harness/fake-zk.js';
import { readMntrFixture } from '../harness/fixtures.js';
import { freePort } from '../harness/ports.js';
import { pollUntil } from '../harness/process.js';
import { faultAgentConfig, spawnAgent, type AgentProcess } from './agent.js';

const closers: (() => Promise<unknown>)[] = [];
after(() => Promise.all(closers.map((close) => close())));

/** A server the harness has no kind for: `onData` decides what a connection gets once the command arrives. */
async function rawServer(onData: (socket: net.Socket) => void): Promise<string> {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', () => onData(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return `127.0.0.1:${port}`;
}

it('misbehaving servers: each reported by its reason, the healthy one unharmed, every scrape served', async () => {
  const fakes: FakeZk[] = await Promise.all([
    startFakeZk({ kind: 'reply', replies: { mntr: readMntrFixture('mntr-3.8.0-follower.txt'), ruok: 'imok', srvr: 'Mode: follower\n' } }),
    startFakeZk({ kind: 'hang' }),
    startFakeZk({ kind: 'garbage', bytes: 4096 }),
    startFakeZk({ kind: 'huge', bytes: 10 * 1024 * 1024 }),
    startFakeZk({ kind: 'huge', bytes: 2 ** 40 }),
  ]);
  for (const fake of fakes) closers.push(() => fake.close());
  const [healthy, hung, garbage, tenMegabytes, endless] = fakes.map((fake) => fake.endpoint) as [string, string, string, string, string];
  const drip = await rawServer((socket) => {
    const timer = setInterval(() => socket.write('z'), 200);
    socket.on('close', () => clearInterval(timer));
  });
  const reset = await rawServer((socket) => socket.resetAndDestroy());
  const refused = `127.0.0.1:${await freePort()}`;
  const metricsPort = await freePort();
  const expected: Record<string, string> = {
    [hung]: 'timeout',
    [drip]: 'timeout',
    [garbage]: 'bad_response',
    [tenMegabytes]: 'too_large',
    [endless]: 'too_large',
    [reset]: 'connection_error',
    [refused]: 'refused',
  };

  const agent: AgentProcess = spawnAgent(
    faultAgentConfig({ endpoints: [healthy, ...Object.keys(expected)], metricsPort, commands: ['mntr'], interval: '300ms', timeout: '1500ms' }),
  );
  closers.push(() => agent.stop());
  const url = `http://127.0.0.1:${metricsPort}/metrics`;
  const reasonOf = (series: Series[], endpoint: string) =>
    select(series, 'zookeeper_probe_failure', { zk_endpoint: endpoint, command: 'mntr' })[0]?.labels.reason;
  const all = await pollUntil(
    async () => {
      const { series } = await scrape(url);
      return Object.entries(expected).every(([endpoint, reason]) => reasonOf(series, endpoint) === reason) ? series : undefined;
    },
    { timeoutMs: 30_000, what: 'every misbehaving server reported with its reason', context: () => agent.logs.slice(-5).join('\n') },
  );
  assert.equal(select(all, 'zookeeper_up', { zk_endpoint: healthy })[0]?.value, 1);
  for (const endpoint of Object.keys(expected)) assert.equal(select(all, 'zookeeper_up', { zk_endpoint: endpoint })[0]?.value, 0, endpoint);

  // Ten more rounds (each one a new connection to the healthy server): every scrape answers and the healthy server
  // stays up while the others keep misbehaving.
  const healthyFake = fakes[0]!;
  for (let i = 0; i < 10; i++) {
    const probed = healthyFake.connections;
    await pollUntil(() => healthyFake.connections > probed || undefined, {
      timeoutMs: 10_000,
      what: `round ${i} of the healthy server`,
      context: () => agent.logs.slice(-5).join('\n'),
    });
    const { series } = await scrape(url);
    assert.equal(select(series, 'zookeeper_up', { zk_endpoint: healthy })[0]?.value, 1, `scrape ${i}`);
  }
  assert.equal(agent.exitCode(), undefined, 'the agent is still running');
});
