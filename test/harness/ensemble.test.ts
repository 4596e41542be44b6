import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import { fourLetterWord, pollUntil, startEnsemble } from './ensemble.js';
import { privateLoopbackAddress, startFakeZk } from './fake-zk.js';
import { freePort, freePorts } from './ports.js';
import { startPrometheus } from './prometheus.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends `cmd`, resolves with every byte received until the server closes. */
function rawExchange(port: number, cmd: string, timeoutMs = 10_000, host = '127.0.0.1'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host, port }, () => socket.write(cmd));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

test('freePorts returns distinct bindable ports below 32768', async () => {
  const ports = await freePorts(8);
  assert.equal(new Set(ports).size, 8);
  for (const port of ports) assert.ok(port >= 20000 && port < 32768, `port ${port}`);
  const low = await freePort('127.0.0.1', { below: 20100 });
  assert.ok(low >= 20000 && low < 20100);
});

test('real 3-node ZooKeeper ensemble: ready, one leader, mntr, failover, restart', { timeout: 180_000 }, async (t) => {
  const started = Date.now();
  const ensemble = await startEnsemble({ size: 3 });
  const pids = ensemble.nodes.map((n) => n.pid);
  try {
    assert.equal(ensemble.nodes.length, 3);
    assert.equal(ensemble.connectString, ensemble.nodes.map((n) => `127.0.0.1:${n.clientPort}`).join(','));
    for (const pid of pids) assert.ok(pid !== undefined && isAlive(pid));

    await ensemble.waitReady();
    t.diagnostic(`ensemble ready ${Date.now() - started} ms after startEnsemble()`);
    const states = await ensemble.states();
    assert.equal(states.filter((s) => s.mode === 'leader').length, 1, JSON.stringify(states));
    assert.equal(states.filter((s) => s.mode === 'follower').length, 2, JSON.stringify(states));

    const leader = await ensemble.leader();
    const mntr = await ensemble.fourLetter(leader, 'mntr');
    assert.match(mntr, /^zk_server_state\tleader$/m);
    const follower = ensemble.nodes.find((n) => n.id !== leader.id);
    assert.ok(follower);
    assert.match(await ensemble.fourLetter(follower.id, 'mntr'), /^zk_server_state\tfollower$/m);

    const adminRes = await fetch(`http://127.0.0.1:${leader.adminPort}/commands/ruok`);
    assert.equal(adminRes.status, 200);
    await adminRes.arrayBuffer();

    // Failover: stop the leader, the remaining two elect a new one.
    const oldPid = leader.pid;
    const failoverStart = Date.now();
    await ensemble.stopNode(leader.id);
    assert.equal(leader.pid, undefined);
    assert.ok(oldPid !== undefined && !isAlive(oldPid));
    await ensemble.waitReady();
    t.diagnostic(`stop + failover ${Date.now() - failoverStart} ms`);
    const newLeader = await ensemble.leader();
    assert.notEqual(newLeader.id, leader.id);
    await assert.rejects(ensemble.fourLetter(leader, 'ruok', 1000));

    // Restart the old leader: it rejoins as a follower.
    const restartStart = Date.now();
    await ensemble.startNode(leader.id);
    assert.ok(leader.pid !== undefined);
    await ensemble.waitReady();
    t.diagnostic(`restart + rejoin ${Date.now() - restartStart} ms`);
    const after = await ensemble.states();
    assert.ok(
      after.every((s) => s.running && s.ruok === 'imok'),
      JSON.stringify(after),
    );
    assert.equal(after.find((s) => s.id === leader.id)?.mode, 'follower');
  } finally {
    const stopStart = Date.now();
    await ensemble.stop();
    t.diagnostic(`stop ${Date.now() - stopStart} ms`);
  }
  for (const node of ensemble.nodes) assert.equal(node.pid, undefined);
  for (const pid of [...pids, ...ensemble.nodes.map((n) => n.pid)]) {
    if (pid !== undefined) assert.ok(!isAlive(pid), `pid ${pid} still alive`);
  }
  assert.ok(!fs.existsSync(ensemble.dir), 'temp dir removed');
});

test('fake-zk behaviours', async (t) => {
  await t.test('hang: accepts, never answers nor closes', async () => {
    // On an address of its own: only this test's clients reach it, so the counts below are exactly theirs.
    const fake = await startFakeZk({ kind: 'hang' }, { host: privateLoopbackAddress() });
    try {
      await assert.rejects(fourLetterWord(fake.host, fake.port, 'mntr', 300), /timed out/);
      assert.equal(fake.connections, 1);
      // close() destroys open connections: a client still waiting sees the connection end.
      const waiting = rawExchange(fake.port, 'ruok', 10_000, fake.host);
      await pollUntil(() => fake.open === 1 && fake.commands.length === 2, { timeoutMs: 5000, intervalMs: 10, what: 'second connection' });
      await fake.close();
      assert.equal((await waiting).length, 0);
    } finally {
      await fake.close();
    }
  });

  await t.test('garbage: random bytes, then close', async () => {
    const fake = await startFakeZk({ kind: 'garbage', bytes: 300 });
    try {
      const reply = await rawExchange(fake.port, 'mntr');
      assert.equal(reply.length, 300);
      assert.deepEqual(fake.commands, ['mntr']);
    } finally {
      await fake.close();
    }
  });

  await t.test('huge: streams exactly `bytes` of zk_ lines, stops when the client goes away', async () => {
    const fake = await startFakeZk({ kind: 'huge', bytes: 1_000_000 });
    try {
      const reply = await rawExchange(fake.port, 'mntr');
      assert.equal(reply.length, 1_000_000);
      assert.ok(reply.subarray(0, 9).toString() === 'zk_x_0\t1\n', reply.subarray(0, 20).toString());
    } finally {
      await fake.close();
    }

    const total = 500 * 1024 * 1024;
    const endless = await startFakeZk({ kind: 'huge', bytes: total });
    try {
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port: endless.port }, () => socket.write('mntr'));
        socket.once('data', () => {
          socket.destroy();
          resolve();
        });
        socket.on('error', reject);
      });
      await pollUntil(() => endless.open === 0, { timeoutMs: 5000, intervalMs: 10, what: 'server side close' });
      assert.ok(endless.bytesSent < total / 10, `server kept writing: ${endless.bytesSent} bytes`);
    } finally {
      await endless.close();
    }
  });

  await t.test('reply: canned reply per command, empty for unknown ones', async () => {
    const fake = await startFakeZk({ kind: 'reply', replies: { ruok: 'imok', mntr: 'zk_version\t3.8.0\nzk_server_state\tleader\n' } });
    try {
      assert.equal(await fourLetterWord('127.0.0.1', fake.port, 'ruok'), 'imok');
      assert.match(await fourLetterWord('127.0.0.1', fake.port, 'mntr'), /^zk_server_state\tleader$/m);
      assert.equal(await fourLetterWord('127.0.0.1', fake.port, 'srvr'), '');
      assert.equal(fake.connections, 3);
      assert.deepEqual(fake.commands, ['ruok', 'mntr', 'srvr']);
      assert.equal(fake.endpoint, `127.0.0.1:${fake.port}`);
    } finally {
      await fake.close();
    }
  });
});

test('real Prometheus scrapes a target', { timeout: 60_000 }, async (t) => {
  const metrics = http.createServer((req, res) => {
    res.writeHead(req.url === '/metrics' ? 200 : 404, { 'content-type': 'text/plain; version=0.0.4' });
    res.end('# TYPE zkotel_harness_probe gauge\nzkotel_harness_probe 42\n');
  });
  const port = await freePort();
  await new Promise<void>((resolve) => metrics.listen(port, '127.0.0.1', resolve));
  const started = Date.now();
  const prom = await startPrometheus({ scrapeTargets: [`127.0.0.1:${port}`] });
  try {
    t.diagnostic(`prometheus ready ${Date.now() - started} ms`);
    const samples = await prom.waitFor(
      async () => {
        const result = await prom.query('zkotel_harness_probe');
        return result.length > 0 ? result : undefined;
      },
      30_000,
      'first scrape',
    );
    t.diagnostic(`first sample ${Date.now() - started} ms after start`);
    assert.equal(samples[0]?.value?.[1], '42');
    assert.equal(samples[0]?.metric.job, 'zkotel');
    const targets = await prom.targets();
    assert.equal(targets.length, 1);
    assert.equal(targets[0]?.health, 'up');
    await prom.reload();
  } finally {
    const pid = prom.pid;
    await prom.stop();
    metrics.close();
    assert.equal(prom.pid, undefined);
    if (pid !== undefined) assert.ok(!isAlive(pid));
  }
  assert.ok(!fs.existsSync(prom.dir));
});
