import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { filter, type Subscription } from 'rxjs';
import { isBatch, type Batch, type Sample } from '../../../src/core/batch.js';
import { createLogger, type Logger } from '../../../src/core/logger.js';
import { zookeeperReceiverFactory } from '../../../src/receivers/zookeeper/factory.js';
import { startFakeZk, type FakeZk } from '../../harness/fake-zk.js';
import { freePort } from '../../harness/ports.js';
import { pollUntil } from '../../harness/process.js';
import { readFixture } from '../../harness/fixtures.js';
import { testSettings } from '../../harness/settings.js';

const MNTR = readFixture('mntr/mntr-3.8.0-follower.txt');
const SRVR =
  'Zookeeper version: 3.8.0-x, built on y\nLatency min/avg/max: 0/0.5/3\nReceived: 5\nSent: 4\nConnections: 1\nOutstanding: 0\nZxid: 0x100000002\nMode: follower\nNode count: 5\n';
const HEALTHY = { mntr: MNTR, ruok: 'imok', srvr: SRVR };

const fakes: FakeZk[] = [];
async function fake(behaviour: Parameters<typeof startFakeZk>[0]): Promise<FakeZk> {
  const server = await startFakeZk(behaviour);
  fakes.push(server);
  return server;
}
after(() => Promise.all(fakes.map((server) => server.close())));

/** Runs a receiver and keeps every batch per endpoint, plus what it logged. */
function run(config: Record<string, unknown>) {
  const logs: Record<string, unknown>[] = [];
  const logger: Logger = createLogger('info', (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
  const receiver = zookeeperReceiverFactory.createReceiver(testSettings('zookeeper', logger), zookeeperReceiverFactory.configSchema.parse(config));
  const batches = new Map<string, Batch[]>();
  const subscription: Subscription = receiver.batches.pipe(filter(isBatch)).subscribe((batch) => {
    const endpoint = batch.source.split('|')[1]!;
    batches.set(endpoint, [...(batches.get(endpoint) ?? []), batch]);
  });
  return { batches, logs, stop: () => subscription.unsubscribe(), latest: (endpoint: string) => batches.get(endpoint)?.at(-1) };
}

const value = (batch: Batch | undefined, name: string, attributes: Record<string, string> = {}): number | undefined => find(batch, name, attributes)?.value;
const find = (batch: Batch | undefined, name: string, attributes: Record<string, string> = {}): Sample | undefined =>
  batch?.samples.find((s) => s.metric.name === name && Object.entries(attributes).every(([k, v]) => s.attributes[k] === v));
const failureReasons = (batch: Batch | undefined): string[] =>
  (batch?.samples ?? [])
    .filter((s) => s.metric.name === 'zookeeper.probe.failure')
    .map((s) => `${s.attributes.command}:${s.attributes.reason}`)
    .sort();

describe('zookeeper receiver against servers that misbehave', () => {
  it('bounds a hung, a garbage and a 10 MB server by timeout and max_response_bytes, without delaying a healthy one', async () => {
    const [healthy, hung, garbage, huge] = await Promise.all([
      fake({ kind: 'reply', replies: HEALTHY }),
      fake({ kind: 'hang' }),
      fake({ kind: 'garbage', bytes: 4096 }),
      fake({ kind: 'huge', bytes: 10 * 1024 * 1024 }),
    ]);
    const timeoutMs = 1500;
    const receiver = run({
      endpoints: [hung!.endpoint, garbage!.endpoint, huge!.endpoint, healthy!.endpoint],
      collection_interval: '100ms',
      timeout: `${timeoutMs}ms`,
    });
    try {
      // One probe sends its three commands at once, under one deadline: the hung server holds three connections together.
      await pollUntil(() => (hung!.open >= 3 && receiver.latest(hung!.endpoint) === undefined) || undefined, {
        timeoutMs: 10_000,
        what: 'three commands waiting on the hung server at once',
      });
      const healthyBatchesThen = receiver.batches.get(healthy!.endpoint)?.length ?? 0;
      const hungFirst = await pollUntil(() => receiver.latest(hung!.endpoint), { timeoutMs: 10_000, what: 'the hung endpoint to report' });
      // While the hung probe waited for its deadline, the healthy endpoint went on being probed.
      assert.ok((receiver.batches.get(healthy!.endpoint)?.length ?? 0) > healthyBatchesThen, 'healthy endpoint probed while another one hung');
      assert.equal(value(receiver.latest(healthy!.endpoint), 'zookeeper.up'), 1);

      assert.equal(value(hungFirst, 'zookeeper.up'), 0);
      assert.deepEqual(failureReasons(hungFirst), ['mntr:timeout', 'ruok:timeout', 'srvr:timeout']);
      // Node timers may fire up to a millisecond early against performance.now().
      assert.ok(value(hungFirst, 'zookeeper.probe.duration')! >= (timeoutMs - 2) / 1000, 'the probe waited for its deadline');

      const garbageBatch = receiver.latest(garbage!.endpoint);
      assert.deepEqual(failureReasons(garbageBatch), ['mntr:bad_response', 'ruok:bad_response', 'srvr:bad_response']);

      const hugeBatch = await pollUntil(() => receiver.latest(huge!.endpoint), { timeoutMs: 10_000, what: 'the huge endpoint to report' });
      assert.ok(failureReasons(hugeBatch).includes('mntr:too_large'), failureReasons(hugeBatch).join());
      // Memory stays bounded over many 10 MB replies: each is cut at max_response_bytes and dropped.
      const heapBefore = process.memoryUsage().heapUsed;
      const probesBefore = receiver.batches.get(huge!.endpoint)!.length;
      await pollUntil(() => receiver.batches.get(huge!.endpoint)!.length >= probesBefore + 10 || undefined, {
        timeoutMs: 20_000,
        what: 'ten more probes of the huge server',
      });
      const growthMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
      assert.ok(growthMiB < 64, `heap grew ${growthMiB.toFixed(1)} MiB over 10 probes of 10 MB replies`);
      const perConnection = huge!.bytesSent / huge!.connections;
      assert.ok(perConnection < 10 * 1024 * 1024, `the agent stops reading at max_response_bytes (server sent ${perConnection} bytes per connection)`);

      // Ticks that came while the hung probe was still running were skipped and counted, never queued.
      const skipped = await pollUntil(() => (value(receiver.latest(hung!.endpoint), 'zookeeper.probe.skipped') ?? 0) > 0 || undefined, {
        timeoutMs: 10_000,
        what: 'skipped ticks to be counted',
      });
      assert.ok(skipped);
      assert.equal(find(receiver.latest(hung!.endpoint), 'zookeeper.probe.skipped')?.metric.kind, 'counter');
    } finally {
      receiver.stop();
    }
    // Unsubscribing cancels the probe in flight: the hung server sees its connections closed.
    await pollUntil(() => hung!.open === 0, { timeoutMs: 5000, what: 'the hung connections to be closed' });
  });

  it('names each failure reason: refused, not serving, not whitelisted, bad ruok', async () => {
    const refusedPort = await freePort();
    const [notServing, notWhitelisted, badRuok] = await Promise.all([
      fake({
        kind: 'reply',
        replies: {
          mntr: 'This ZooKeeper instance is not currently serving requests\n',
          ruok: 'imok',
          srvr: 'This ZooKeeper instance is not currently serving requests\n',
        },
      }),
      fake({ kind: 'reply', replies: { ...HEALTHY, mntr: 'mntr is not executed because it is not in the whitelist.\n' } }),
      fake({ kind: 'reply', replies: { ...HEALTHY, ruok: 'nope' } }),
    ]);
    const refused = `127.0.0.1:${refusedPort}`;
    const receiver = run({ endpoints: [refused, notServing!.endpoint, notWhitelisted!.endpoint, badRuok!.endpoint], collection_interval: '1h' });
    try {
      await pollUntil(() => receiver.batches.size === 4 || undefined, { timeoutMs: 10_000, what: 'a batch from every endpoint' });
      assert.deepEqual(failureReasons(receiver.latest(refused)), ['mntr:refused', 'ruok:refused', 'srvr:refused']);
      assert.deepEqual(failureReasons(receiver.latest(notServing!.endpoint)), ['mntr:not_serving', 'srvr:not_serving']);
      assert.equal(value(receiver.latest(notServing!.endpoint), 'zookeeper.ruok'), 1, 'ruok still says imok without quorum');
      assert.deepEqual(failureReasons(receiver.latest(notWhitelisted!.endpoint)), ['mntr:not_whitelisted']);
      // srvr still answered, so the role and the Collector's basic metrics are there even without mntr.
      assert.equal(value(receiver.latest(notWhitelisted!.endpoint), 'zookeeper.server.state', { state: 'follower' }), 1);
      assert.equal(value(receiver.latest(notWhitelisted!.endpoint), 'zookeeper.znode.count'), 5);
      assert.deepEqual(failureReasons(receiver.latest(badRuok!.endpoint)), ['ruok:bad_response']);
      for (const endpoint of [refused, notServing!.endpoint, notWhitelisted!.endpoint, badRuok!.endpoint]) {
        assert.equal(value(receiver.latest(endpoint), 'zookeeper.up'), 0, endpoint);
      }
    } finally {
      receiver.stop();
    }
  });

  it('drops every series of an endpoint that stops answering, and logs the transition once', async () => {
    const server = await fake({ kind: 'reply', replies: HEALTHY });
    const receiver = run({ endpoint: server.endpoint, collection_interval: '50ms', cluster: 'east' });
    try {
      const first = await pollUntil(() => receiver.latest(server.endpoint), { timeoutMs: 5000, what: 'a first batch' });
      assert.equal(value(first, 'zookeeper.up'), 1);
      assert.ok(value(first, 'zookeeper.latency.avg') !== undefined);
      assert.ok(first.samples.every((s) => s.attributes['zk.endpoint'] === server.endpoint && s.attributes['zk.cluster'] === 'east'));
      await server.close();
      const down = await pollUntil(() => (value(receiver.latest(server.endpoint), 'zookeeper.up') === 0 ? receiver.latest(server.endpoint) : undefined), {
        timeoutMs: 5000,
        what: 'the endpoint to be reported down',
      });
      assert.equal(value(down, 'zookeeper.latency.avg'), undefined, 'no last-known latency for a dead endpoint');
      assert.ok(down.samples.length < 10, `only health series remain, got ${down.samples.map((s) => s.metric.name).join()}`);
      const countAtDown = receiver.batches.get(server.endpoint)!.length;
      await pollUntil(() => receiver.batches.get(server.endpoint)!.length >= countAtDown + 5 || undefined, { timeoutMs: 5000, what: 'five more probes' });
      const transitions = receiver.logs.filter((log) => log.msg === 'endpoint down' || log.msg === 'endpoint up');
      // A probe in flight when the server closed fails with connection_error; every later one is refused, logged once.
      const logged = transitions.map((log) => [log.msg, log.reason]);
      const inFlight = logged[1]?.[1] === 'connection_error' ? [['endpoint down', 'connection_error']] : [];
      assert.deepEqual(logged, [['endpoint up', undefined], ...inFlight, ['endpoint down', 'refused']]);
    } finally {
      receiver.stop();
    }
  });
});
