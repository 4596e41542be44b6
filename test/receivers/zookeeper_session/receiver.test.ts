import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import zookeeper from 'node-zookeeper-client';
import type { Batch } from '../../../src/core/batch.js';
import { SECONDS_BUCKETS } from '../../../src/core/telemetry.js';
import { OPERATIONS } from '../../../src/receivers/zookeeper_session/metrics.js';
import { startEnsemble, type Ensemble, type EnsembleNode } from '../../harness/ensemble.js';
import { startFakeZk } from '../../harness/fake-zk.js';
import { pollUntil } from '../../harness/process.js';
import { VirtualClock } from '../../harness/virtual-time.js';
import { errorCount, findSample, histogramOf, runReceiver, withClient, zk, type RunningReceiver } from './run.js';

const CONFIG = { collection_interval: '200ms', timeout: '1500ms', replication_lag: { timeout: '1500ms' }, cluster: 'east' };

const count = (batch: Batch | undefined, name: string, attributes: Record<string, string> = {}) => histogramOf(batch, name, attributes)?.count ?? 0;
const rounds = (receiver: RunningReceiver, endpoint: string) => receiver.batches.get(endpoint)?.length ?? 0;

describe('zookeeper_session receiver on a real 3-node ensemble', () => {
  let ensemble: Ensemble;
  let endpoints: string[];
  let followers: EnsembleNode[];

  before(async () => {
    ensemble = await startEnsemble({ size: 3 });
    await ensemble.waitReady();
    endpoints = ensemble.nodes.map((node) => node.endpoint);
    const leader = await ensemble.leader();
    followers = ensemble.nodes.filter((node) => node !== leader);
  });
  after(() => ensemble?.stop());

  it('fills latency histograms for every server, and replication lag from every other server', async () => {
    // A long session timeout: znodes left behind could only vanish through a proper close, not an expiry.
    const receiver = runReceiver({ ...CONFIG, endpoints, session_timeout: '40s' });
    try {
      await pollUntil(
        () =>
          endpoints.every((endpoint) => {
            const batch = receiver.latest(endpoint);
            return (
              OPERATIONS.every((operation) => count(batch, 'zookeeper.client.operation.duration', { operation }) >= 3) &&
              endpoints.every((source) => source === endpoint || count(batch, 'zookeeper.client.replication.lag', { source }) >= 2)
            );
          }),
        { timeoutMs: 45_000, what: 'every histogram of every server filled', context: () => receiver.logText() },
      );
      // While it runs, the only znodes under /zkotel are this agent's ephemeral ones.
      const during = await withClient(endpoints[0]!, async (client) => {
        const children = await zk<string[]>((done) => client.getChildren('/zkotel', done));
        const owners = await Promise.all(children.map((child) => zk<{ ephemeralOwner: Buffer } | null>((done) => client.exists(`/zkotel/${child}`, done))));
        return { children, owners };
      });
      assert.ok(during.children.length > 0);
      for (const [index, child] of during.children.entries()) {
        assert.match(child, /^zkotel-.+-(probe-\d{10}|lag)$/);
        const owner = during.owners[index];
        if (owner) assert.notEqual(owner.ephemeralOwner.readBigInt64BE(), 0n, `${child} is ephemeral`);
      }

      for (const endpoint of endpoints) {
        const batch = receiver.latest(endpoint)!;
        assert.ok(
          batch.samples.every((s) => s.attributes['zk.endpoint'] === endpoint && s.attributes['zk.cluster'] === 'east'),
          endpoint,
        );
        assert.equal(findSample(batch, 'zookeeper.client.operation.errors'), undefined, `no error on ${endpoint}`);
        assert.ok(count(batch, 'zookeeper.client.connect.duration') >= 1);
        const create = histogramOf(batch, 'zookeeper.client.operation.duration', { operation: 'create' })!;
        assert.deepEqual(create.boundaries, SECONDS_BUCKETS);
        assert.equal(
          create.counts.reduce((a, b) => a + b, 0),
          create.count,
        );
        assert.ok(create.sum > 0 && create.sum < create.count * 1.5, `seconds, bounded by the timeout: sum ${create.sum}`);
        assert.equal(findSample(batch, 'zookeeper.client.reconnects')?.value, 0);
        assert.equal(findSample(batch, 'zookeeper.client.session.expirations')?.value, 0);
        // Cumulative over the receiver's life: counts never go down from one batch to the next.
        const all = receiver.batches.get(endpoint)!;
        const counts = all.map((b) => count(b, 'zookeeper.client.operation.duration', { operation: 'get' }));
        assert.deepEqual(
          [...counts].sort((a, b) => a - b),
          counts,
        );
        assert.ok(all.every((b) => b.startTimeMs === batch.startTimeMs));
      }
    } finally {
      await receiver.stop();
    }
    const left = await pollUntil(
      () =>
        withClient(endpoints[0]!, (client) => zk<string[]>((done) => client.getChildren('/zkotel', done))).then((children) =>
          children.length === 0 ? children : undefined,
        ),
      { timeoutMs: 5000, what: 'no znode left under /zkotel after shutdown' },
    );
    assert.deepEqual(left, []);
  });

  it("removes leftover probe znodes of its own server prefix each round, and leaves other agents' alone", async () => {
    const [endpoint, other] = [endpoints[0]!, endpoints[1]!];
    const receiver = runReceiver({ ...CONFIG, endpoints: [endpoint, other], path: '/leftovers' });
    const foreign = `/leftovers/zkotel-otheragent-00000000-${endpoint.replace(/[^A-Za-z0-9.-]+/g, '_')}-probe-0000000001`;
    try {
      // The lag znode names this agent's prefix for the server: `<prefix>-lag`.
      const lagNode = await pollUntil(
        () =>
          withClient(other, (client) => zk<string[]>((done) => client.getChildren('/leftovers', done)).catch(() => [])).then((children) =>
            children.find((child) => child.endsWith(`-${endpoint.replace(/[^A-Za-z0-9.-]+/g, '_')}-lag`)),
          ),
        { timeoutMs: 45_000, what: `the lag znode of ${endpoint}`, context: () => receiver.logText() },
      );
      const prefix = lagNode.slice(0, -'-lag'.length);
      // What a create that timed out on the client but was committed leaves behind (persistent here, so only a delete removes it).
      const leftover = `/leftovers/${prefix}-probe-0000000000`;
      await withClient(other, async (client) => {
        await zk<string>((done) => client.create(leftover, Buffer.alloc(0), zookeeper.CreateMode.PERSISTENT, done));
        await zk<string>((done) => client.create(foreign, Buffer.alloc(0), zookeeper.CreateMode.PERSISTENT, done));
      });
      await pollUntil(() => withClient(other, (client) => zk<unknown>((done) => client.exists(leftover, done))).then((stat) => (stat ? undefined : true)), {
        timeoutMs: 45_000,
        what: 'the leftover probe znode removed by a round',
        context: () => receiver.logText(),
      });
      const rounds = receiver.batches.get(endpoint)!.length;
      await pollUntil(() => receiver.batches.get(endpoint)!.length >= rounds + 2 || undefined, { timeoutMs: 45_000, what: 'two more rounds' });
      assert.ok(await withClient(other, (client) => zk<unknown>((done) => client.exists(foreign, done))), "another agent's probe znode stays");
      assert.equal(errorCount(receiver.latest(endpoint), {}), 0, 'cleanup counts no error');
    } finally {
      await receiver.stop();
      await withClient(other, (client) => zk<void>((done) => client.remove(foreign, -1, done))).catch(() => {});
    }
  });

  it('forgets the replication lag series of a server that left the targets', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkotel-session-sd-'));
    const file = path.join(dir, 'targets.json');
    const writeTargets = (targets: string[]) => {
      fs.writeFileSync(`${file}.tmp`, JSON.stringify([{ targets }]));
      fs.renameSync(`${file}.tmp`, file);
    };
    writeTargets(endpoints);
    const receiver = runReceiver({ ...CONFIG, discovery: { file_sd: { files: [file], refresh_interval: '200ms' } } });
    const [gone, ...staying] = endpoints as [string, ...string[]];
    const lagFrom = (endpoint: string, source: string) => findSample(receiver.latest(endpoint), 'zookeeper.client.replication.lag', { source });
    try {
      await pollUntil(() => staying.every((endpoint) => lagFrom(endpoint, gone) !== undefined) || undefined, {
        timeoutMs: 45_000,
        what: `lag from ${gone} on every other server`,
        context: () => receiver.logText(),
      });
      writeTargets(staying);
      const counts = new Map(staying.map((endpoint) => [endpoint, receiver.batches.get(endpoint)!.length]));
      await pollUntil(
        () => staying.every((endpoint) => lagFrom(endpoint, gone) === undefined && receiver.batches.get(endpoint)!.length > counts.get(endpoint)!) || undefined,
        {
          timeoutMs: 45_000,
          what: `the lag series from ${gone} gone from the remaining servers`,
          context: () => receiver.logText(),
        },
      );
      // The remaining servers still measure each other.
      const [a, b] = staying as [string, string];
      const before = histogramOf(receiver.latest(b), 'zookeeper.client.replication.lag', { source: a })?.count ?? 0;
      await pollUntil(() => (histogramOf(receiver.latest(b), 'zookeeper.client.replication.lag', { source: a })?.count ?? 0) > before || undefined, {
        timeoutMs: 45_000,
        what: `lag from ${a} on ${b} keeps growing`,
      });
      assert.equal(lagFrom(b, gone), undefined);
    } finally {
      await receiver.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts timeouts of a frozen server without holding up the others, and the session it expired', async () => {
    const frozen = followers[0]!;
    // 4 s: the shortest session the servers grant (2 × tickTime), so freezing for longer expires it.
    const receiver = runReceiver({ ...CONFIG, endpoints, session_timeout: '4s' });
    try {
      await pollUntil(() => endpoints.every((endpoint) => count(receiver.latest(endpoint), 'zookeeper.client.replication.lag') > 0), {
        timeoutMs: 45_000,
        what: 'a first full round everywhere',
      });
      ensemble.pauseNode(frozen.id);
      const timedOut = await pollUntil(() => errorCount(receiver.latest(frozen.endpoint), { code: 'OPERATION_TIMEOUT' }) > 0 || undefined, {
        timeoutMs: 45_000,
        what: 'the frozen server to time out',
      });
      assert.ok(timedOut);
      // The others keep their pace: several rounds each while the frozen one waits out its deadlines.
      const others = endpoints.filter((endpoint) => endpoint !== frozen.endpoint);
      const before = others.map((endpoint) => rounds(receiver, endpoint));
      const frozenBefore = rounds(receiver, frozen.endpoint);
      await pollUntil(() => others.every((endpoint, index) => rounds(receiver, endpoint) >= before[index]! + 5), {
        timeoutMs: 45_000,
        what: 'five more rounds of the healthy servers',
      });
      // Its rounds wait out their deadlines one after another (never overlapping: see test/internal/scraperhelper/rounds.test.ts),
      // so it completes fewer rounds than the healthy servers meanwhile.
      const frozenRounds = rounds(receiver, frozen.endpoint) - frozenBefore;
      assert.ok(frozenRounds < 5, `${frozenRounds} rounds of the frozen server while the others did 5`);
      for (const endpoint of others) assert.equal(errorCount(receiver.latest(endpoint), { operation: 'create' }), 0, endpoint);
      // Frozen well past the session timeout (4 s; 8 timed-out rounds take at least 12 s, whichever step timed out:
      // an operation of the kept session, or the handshake of its reconnection): the leader expires the
      // session, and the probe, which kept it, hears so once the server is back.
      // (A round counts one failure; a reader's replication timeouts are counted besides, by the writers' rounds.)
      const timedOutRounds = (batch = receiver.latest(frozen.endpoint)) =>
        errorCount(batch, { code: 'OPERATION_TIMEOUT' }) - errorCount(batch, { operation: 'replication', code: 'OPERATION_TIMEOUT' });
      await pollUntil(() => timedOutRounds() >= 8 || undefined, { timeoutMs: 60_000, what: 'eight timed-out rounds' });
      ensemble.resumeNode(frozen.id);
      const expired = await pollUntil(() => findSample(receiver.latest(frozen.endpoint), 'zookeeper.client.session.expirations')?.value || undefined, {
        timeoutMs: 45_000,
        what: 'the expired session to be counted',
        context: () =>
          JSON.stringify(
            receiver
              .latest(frozen.endpoint)
              ?.samples.filter((s) => s.metric.kind === 'counter')
              .map((s) => [s.attributes, s.value]),
          ),
      });
      assert.equal(expired, 1);
      // A new session takes over: rounds succeed again.
      const creates = count(receiver.latest(frozen.endpoint), 'zookeeper.client.operation.duration', { operation: 'create' });
      await pollUntil(() => count(receiver.latest(frozen.endpoint), 'zookeeper.client.operation.duration', { operation: 'create' }) > creates, {
        timeoutMs: 45_000,
        what: 'rounds to succeed again',
      });
    } finally {
      ensemble.resumeNode(frozen.id);
      await receiver.stop();
      // The next test starts from a serving ensemble even when this one failed.
      await ensemble.waitReady();
    }
  });

  it('counts refused connections of a stopped server and reconnects when it is back', async () => {
    const stopped = followers[1]!;
    const receiver = runReceiver({ ...CONFIG, endpoints });
    try {
      await pollUntil(() => count(receiver.latest(stopped.endpoint), 'zookeeper.client.operation.duration', { operation: 'delete' }) > 0, {
        timeoutMs: 45_000,
        what: 'a first round',
      });
      await ensemble.stopNode(stopped.id);
      await pollUntil(() => errorCount(receiver.latest(stopped.endpoint), { operation: 'connect', code: 'CONNECTION_REFUSED' }) >= 2 || undefined, {
        timeoutMs: 45_000,
        what: 'refused connections to be counted',
        context: () =>
          JSON.stringify(
            receiver
              .latest(stopped.endpoint)
              ?.samples.filter((s) => s.metric.kind === 'counter')
              .map((s) => [s.attributes, s.value]),
          ),
      });
      const others = endpoints.filter((endpoint) => endpoint !== stopped.endpoint);
      for (const endpoint of others)
        assert.equal(findSample(receiver.latest(endpoint), 'zookeeper.client.operation.errors', { operation: 'connect' }), undefined);
      const warnings = receiver.logs.filter(
        (log) => log.endpoint === stopped.endpoint && log.msg === 'session probe failing' && log.code === 'CONNECTION_REFUSED',
      );
      assert.equal(warnings.length, 1, 'the failure is logged once, not every round');

      const createsWhileDown = count(receiver.latest(stopped.endpoint), 'zookeeper.client.operation.duration', { operation: 'create' });
      await ensemble.startNode(stopped.id);
      await ensemble.waitReady();
      // The same session reconnects (or, had it expired meanwhile, a new one opens): counted either way.
      const back = await pollUntil(
        () => {
          const batch = receiver.latest(stopped.endpoint);
          return (findSample(batch, 'zookeeper.client.reconnects')?.value ?? 0) >= 1 &&
            count(batch, 'zookeeper.client.operation.duration', { operation: 'create' }) > createsWhileDown
            ? batch
            : undefined;
        },
        { timeoutMs: 45_000, what: 'the probe to reconnect to the restarted server' },
      );
      assert.ok(back);
      assert.ok(
        receiver.logs.some(
          (log) => log.endpoint === stopped.endpoint && log.msg === 'session probe up' && receiver.logs.indexOf(log) > receiver.logs.indexOf(warnings[0]!),
        ),
      );
    } finally {
      await receiver.stop();
    }
  });

  it('reports NO_QUORUM, not a mere connection loss, from a server left without quorum', async () => {
    const [first, second] = followers;
    const survivor = await ensemble.leader();
    const receiver = runReceiver({ ...CONFIG, endpoint: survivor.endpoint });
    try {
      await pollUntil(() => count(receiver.latest(survivor.endpoint), 'zookeeper.client.operation.duration', { operation: 'delete' }) > 0, {
        timeoutMs: 45_000,
        what: 'a first round',
      });
      await Promise.all([ensemble.stopNode(first!.id), ensemble.stopNode(second!.id)]);
      const noQuorum = await pollUntil(() => errorCount(receiver.latest(survivor.endpoint), { operation: 'connect', code: 'NO_QUORUM' }) || undefined, {
        timeoutMs: 45_000,
        what: 'NO_QUORUM to be counted',
        context: () =>
          JSON.stringify(
            receiver
              .latest(survivor.endpoint)
              ?.samples.filter((s) => s.metric.kind === 'counter')
              .map((s) => [s.attributes, s.value]),
          ),
      });
      // Once the server has settled without quorum, every failed connect is NO_QUORUM: the connection losses of the
      // transition stop growing while NO_QUORUM goes on.
      const lossesThen = errorCount(receiver.latest(survivor.endpoint), { operation: 'connect', code: 'CONNECTION_LOSS' });
      await pollUntil(() => errorCount(receiver.latest(survivor.endpoint), { operation: 'connect', code: 'NO_QUORUM' }) >= noQuorum + 3 || undefined, {
        timeoutMs: 45_000,
        what: 'three more NO_QUORUM connects',
      });
      assert.equal(errorCount(receiver.latest(survivor.endpoint), { operation: 'connect', code: 'CONNECTION_LOSS' }), lossesThen);
    } finally {
      await receiver.stop();
    }
  });
});

describe('zookeeper_session receiver in virtual time', () => {
  it('a server that never answers the handshake: the round ends at its timeout on the scheduler, counted as a connect OPERATION_TIMEOUT', async () => {
    const server = await startFakeZk({ kind: 'hang' });
    const clock = new VirtualClock();
    const receiver = runReceiver(
      { endpoint: server.endpoint, collection_interval: '10s', timeout: '1500ms', replication_lag: { enabled: false } },
      clock.scheduler,
    );
    try {
      await clock.advance(0); // the first round (initial_delay 0s)
      // Virtual time stands still while the real socket connects and the handshake goes out.
      await pollUntil(() => server.commands.length > 0 || undefined, { timeoutMs: 10_000, what: 'the handshake to reach the server' });
      await clock.advance(1499);
      assert.equal(rounds(receiver, server.endpoint), 0, 'no batch 1 ms before the timeout');
      await clock.advance(1);
      const batch = await pollUntil(() => receiver.latest(server.endpoint), { timeoutMs: 10_000, what: 'the round to end' });
      assert.equal(batch.timeMs, 1500);
      assert.equal(batch.startTimeMs, 0);
      assert.equal(errorCount(batch, { operation: 'connect', code: 'OPERATION_TIMEOUT' }), 1);
      assert.equal(count(batch, 'zookeeper.client.connect.duration'), 0);
      assert.match(receiver.logText(), /no session within 1500 ms/);
    } finally {
      await receiver.stop();
      await server.close();
    }
  });
});
