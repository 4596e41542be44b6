/**
 * The agent, as a process, under what its HTTP side meets: reload storms (good and bad configs, SIGHUP and
 * POST /-/reload at once, a port that is taken), a login flood against basic auth, and slowloris connections with a
 * low open-files limit.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { after, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { select, scrape } from '../harness/exposition.js';
import { startFakeZk, type FakeZk } from '../harness/fake-zk.js';
import { readMntrFixture } from '../harness/fixtures.js';
import { freePort } from '../harness/ports.js';
import { pollUntil } from '../harness/process.js';
import { faultAgentConfig, spawnAgent } from './agent.js';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});
const replies = { mntr: readMntrFixture('mntr-3.8.0-follower.txt'), ruok: 'imok', srvr: 'Mode: follower\n' };

async function healthyFake(): Promise<FakeZk> {
  const fake = await startFakeZk({ kind: 'reply', replies });
  closers.push(() => fake.close());
  return fake;
}

const config = (options: { endpoint: string; metricsPort: number; healthPort: number; web?: string; interval?: string }): string =>
  faultAgentConfig({
    endpoints: [options.endpoint],
    metricsPort: options.metricsPort,
    healthPort: options.healthPort,
    webConfigFile: options.web,
    interval: options.interval,
  });

/** GET with an optional Authorization, from a chosen loopback source address; resolves the status code. */
function get(url: string, options: { authorization?: string; localAddress?: string; agent?: http.Agent; timeoutMs?: number } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const signal = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
    const request = http.get(
      url,
      {
        agent: options.agent ?? false,
        signal,
        headers: options.authorization ? { authorization: options.authorization } : {},
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode!));
      },
    );
    request.on('error', reject);
  });
}

it('a reload storm never leaves /metrics down or /readyz lying; a port taken by another process rolls back', async () => {
  const fake = await healthyFake();
  const [metricsPort, healthPort, otherPort] = [await freePort(), await freePort(), await freePort()];
  const good = config({ endpoint: fake.endpoint, metricsPort, healthPort });
  const agent = spawnAgent(good);
  closers.push(() => agent.stop());
  const metrics = `http://127.0.0.1:${metricsPort}/metrics`;
  const health = `http://127.0.0.1:${healthPort}`;
  await pollUntil(async () => (await fetch(`${health}/readyz`)).status === 200, {
    timeoutMs: 20_000,
    what: 'the agent to be ready',
    context: () => agent.logs.slice(-5).join('\n'),
  });

  const taken = net.createServer().listen(otherPort, '127.0.0.1');
  await once(taken, 'listening');
  closers.push(() => new Promise((resolve) => taken.close(resolve)));
  const variants = [
    good,
    'receivers:\n  zookeeper:\n    timeout: never\n',
    `receivers:\n  zookeeper:\n    x: ${'['.repeat(3000)}${']'.repeat(3000)}\n`,
    config({ endpoint: fake.endpoint, metricsPort: otherPort, healthPort }),
    config({ endpoint: fake.endpoint, metricsPort, healthPort, interval: '300ms' }),
    '',
  ];
  let failedScrapes = 0;
  let looping = true;
  const scraper = (async () => {
    while (looping) {
      try {
        await scrape(metrics);
      } catch {
        failedScrapes++;
      }
    }
  })();
  for (let i = 0; i < 60; i++) {
    agent.writeConfig(variants[i % variants.length]!);
    if (i % 2 === 0) agent.child.kill('SIGHUP');
    else await fetch(`${health}/-/reload`, { method: 'POST' });
  }
  agent.writeConfig(config({ endpoint: fake.endpoint, metricsPort: otherPort, healthPort }));
  const rejected = await fetch(`${health}/-/reload`, { method: 'POST' });
  assert.equal(rejected.status, 400, 'moving /metrics to a taken port is rejected');
  assert.equal(await get(metrics), 200, '/metrics still answers where it was');
  assert.equal((await fetch(`${health}/readyz`)).status, 200);
  agent.writeConfig(good);
  assert.equal((await fetch(`${health}/-/reload`, { method: 'POST' })).status, 200);
  looping = false;
  await scraper;
  // The rejected reload's rollback started the exporter again, with an empty snapshot: the endpoint is back in it
  // with the first probe since, which may come after the last reload has been answered.
  const { series } = await pollUntil(
    async () => {
      const scraped = await scrape(metrics);
      return select(scraped.series, 'zookeeper_up', { zk_endpoint: fake.endpoint }).length > 0 ? scraped : undefined;
    },
    { timeoutMs: 10_000, what: 'the endpoint probed again after the storm', context: () => agent.logs.slice(-5).join('\n') },
  );
  assert.equal(select(series, 'zkotel_config_last_reload_successful')[0]?.value, 1);
  assert.equal(select(series, 'zookeeper_up', { zk_endpoint: fake.endpoint })[0]?.value, 1);
  // Scrapes may fail only in the moment an exporter is replaced (a changed config), never for long.
  assert.ok(failedScrapes < 50, `${failedScrapes} scrapes failed`);
  assert.equal(agent.exitCode(), undefined);
});

it('a login flood from one address does not keep another client waiting', async () => {
  const fake = await healthyFake();
  const [metricsPort, healthPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-flood-'));
  closers.push(async () => rmSync(dir, { recursive: true, force: true }));
  const web = path.join(dir, 'web.yml');
  writeFileSync(web, `basic_auth_users:\n  prometheus: ${bcrypt.hashSync('secret', 10)}\n`);
  const agent = spawnAgent(config({ endpoint: fake.endpoint, metricsPort, healthPort, web }));
  closers.push(() => agent.stop());
  const metrics = `http://127.0.0.1:${metricsPort}/metrics`;
  await pollUntil(async () => (await get(metrics)) === 401, { timeoutMs: 20_000, what: '/metrics to ask for credentials' });
  const wrong = `Basic ${Buffer.from('prometheus:wrong').toString('base64')}`;
  const right = `Basic ${Buffer.from('prometheus:secret').toString('base64')}`;
  // 300 requests over 40 keep-alive connections: within max_connections, so the good client can connect at all.
  const floodAgent = new http.Agent({ keepAlive: true, maxSockets: 40 });
  closers.push(async () => floodAgent.destroy());
  const flood = Array.from({ length: 300 }, () => get(metrics, { authorization: wrong, localAddress: '127.0.0.2', agent: floodAgent }).catch(() => 0));
  // Within Prometheus's default scrape timeout (10 s), as a scraper would give up.
  assert.equal(await get(metrics, { authorization: right, localAddress: '127.0.0.3', timeoutMs: 10_000 }), 200, 'the good login, during the flood');
  const statuses = await Promise.all(flood);
  assert.ok(statuses.filter((status) => status === 429).length > 250, 'the flooding address is throttled');
  assert.equal(statuses.filter((status) => status === 200).length, 0);
  assert.equal(await get(metrics, { authorization: right, localAddress: '127.0.0.2' }), 200, 'a verified credential passes even from the throttled address');
});

it('slowloris with a low open-files limit: probes keep their descriptors, servers recover within seconds', async () => {
  const fake = await healthyFake();
  const [metricsPort, healthPort] = [await freePort(), await freePort()];
  const agent = spawnAgent(config({ endpoint: fake.endpoint, metricsPort, healthPort }), { ulimitFiles: 128 });
  closers.push(() => agent.stop());
  const metrics = `http://127.0.0.1:${metricsPort}/metrics`;
  await pollUntil(async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status === 200, {
    timeoutMs: 20_000,
    what: 'the agent to be ready',
    context: () => agent.logs.slice(-5).join('\n'),
  });
  const sockets: net.Socket[] = [];
  closers.push(async () => sockets.forEach((socket) => socket.destroy()));
  for (const port of [metricsPort, healthPort]) {
    for (let i = 0; i < 100; i++) {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => {});
      socket.resume(); // reads the 408, so the close completes
      socket.on('connect', () => socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n'));
      sockets.push(socket);
    }
  }
  // Every slowloris connection is dropped (cap on accept, or the 5 s header deadline); then both servers answer.
  await pollUntil(() => sockets.every((socket) => socket.destroyed || socket.closed), {
    timeoutMs: 15_000,
    what: 'every slowloris connection to be closed by the agent',
  });
  const { series } = await pollUntil(async () => scrape(metrics), { timeoutMs: 5000, what: '/metrics to answer' });
  assert.equal((await fetch(`http://127.0.0.1:${healthPort}/healthz`)).status, 200);
  assert.equal(select(series, 'zookeeper_up', { zk_endpoint: fake.endpoint })[0]?.value, 1, 'probes never ran out of descriptors');
  assert.deepEqual(select(series, 'zookeeper_probe_failure', { zk_endpoint: fake.endpoint }), []);
});
