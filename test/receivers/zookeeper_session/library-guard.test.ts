import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { pollUntil } from '../../harness/process.js';
import { serverWithUnknownErrorCode } from '../../internal/zkclient/unknown-error-server.js';
import { runReceiver } from './run.js';

describe('zookeeper_session receiver and node-zookeeper-client failures', () => {
  const servers: { close: () => Promise<void> }[] = [];
  after(() => Promise.all(servers.map((server) => server.close())));

  it('survives a reply the library cannot parse: the connection is dropped and counted, the agent keeps running', async () => {
    const server = await serverWithUnknownErrorCode();
    servers.push(server);
    const receiver = runReceiver({ endpoint: server.endpoint, collection_interval: '100ms', timeout: '300ms', replication_lag: { enabled: false } });
    try {
      await pollUntil(() => (receiver.batches.get(server.endpoint)?.length ?? 0) >= 3, {
        timeoutMs: 20_000,
        what: 'three rounds',
        context: () => receiver.logText(),
      });
      assert.ok(
        receiver.logs.some((log) => log.msg === 'session dropped: the ZooKeeper client could not read a reply'),
        receiver.logText(),
      );
      const errors = receiver.latest(server.endpoint)!.samples.filter((s) => s.metric.name === 'zookeeper.client.operation.errors');
      assert.ok(errors.length > 0, 'the failed rounds are counted');
    } finally {
      await receiver.stop();
    }
  });
});
