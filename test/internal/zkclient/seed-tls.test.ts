/**
 * Ensemble discovery on TLS seeds: both ZooKeeper receivers read `/zookeeper/config` through a seed session that
 * speaks the receiver's own TLS. A plain seed session to a secure port would read nothing and fall back to the
 * seeds themselves, without `zk.server.id`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { filter, type Subscription } from 'rxjs';
import { isBatch, type Batch } from '../../../src/core/batch.js';
import { createLogger } from '../../../src/core/logger.js';
import { zookeeperReceiverFactory } from '../../../src/receivers/zookeeper/factory.js';
import { zookeeperSessionReceiverFactory } from '../../../src/receivers/zookeeper_session/factory.js';
import { generateTestCerts, type TestCerts } from '../../harness/certs.js';
import { startEnsemble, type Ensemble } from '../../harness/ensemble.js';
import { pollUntil } from '../../harness/process.js';
import { testSettings } from '../../harness/settings.js';
import { runReceiver } from '../../receivers/zookeeper_session/run.js';

const serverIdOf = (batch: Batch | undefined): string | undefined =>
  batch?.samples.find((sample) => sample.attributes['zk.server.id'] !== undefined)?.attributes['zk.server.id'];

describe('ensemble discovery through TLS seeds', () => {
  let certs: TestCerts;
  let ensemble: Ensemble;
  let secure: string;
  let securePort: number;
  let tls: Record<string, string>;

  before(async () => {
    certs = generateTestCerts();
    ensemble = await startEnsemble({ size: 1, tls: { keyStore: certs.serverPemStore, trustStore: certs.ca, clientAuth: 'need' } });
    await ensemble.waitReady();
    secure = ensemble.nodes[0]!.secureEndpoint!;
    securePort = ensemble.nodes[0]!.secureClientPort!;
    tls = { ca_file: certs.ca, cert_file: certs.client.cert, key_file: certs.client.key };
  });
  after(async () => {
    await ensemble?.stop();
    certs?.remove();
  });

  it('zookeeper_session: the membership is read over mutual TLS and the member probed on member_port', async () => {
    const receiver = runReceiver({
      endpoint: secure,
      tls,
      collection_interval: '200ms',
      timeout: '3s',
      path: '/zkotel-seed-tls',
      discovery: { ensemble: true, member_port: securePort },
    });
    try {
      const serverId = await pollUntil(() => serverIdOf(receiver.latest(secure)), {
        timeoutMs: 30_000,
        what: 'a batch of the discovered member',
        context: () => receiver.logText(),
      });
      assert.equal(serverId, String(ensemble.nodes[0]!.id));
      assert.ok(
        receiver.logs.some((log) => log.msg === 'ensemble membership'),
        receiver.logText(),
      );
    } finally {
      await receiver.stop();
    }
  });

  it('zookeeper (four-letter words): the same, through its own TLS settings', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', (line) => lines.push(line));
    const config = zookeeperReceiverFactory.configSchema.parse({
      endpoint: secure,
      tls,
      collection_interval: '200ms',
      timeout: '3s',
      discovery: { ensemble: true, member_port: securePort },
    });
    const receiver = zookeeperReceiverFactory.createReceiver(testSettings('zookeeper', logger), config);
    let latest: Batch | undefined;
    const subscription: Subscription = receiver.batches.pipe(filter(isBatch)).subscribe((batch) => (latest = batch));
    try {
      const serverId = await pollUntil(() => serverIdOf(latest), {
        timeoutMs: 30_000,
        what: 'a batch of the discovered member',
        context: () => lines.join('\n'),
      });
      assert.equal(serverId, String(ensemble.nodes[0]!.id));
    } finally {
      subscription.unsubscribe();
    }
  });
});

describe('tls with ensemble discovery needs member_port', () => {
  const ensembleWithoutPort = { endpoint: '127.0.0.1:2281', tls: {}, discovery: { ensemble: true } };

  it('is rejected by both receivers with a message naming member_port', () => {
    for (const factory of [zookeeperReceiverFactory, zookeeperSessionReceiverFactory]) {
      const result = factory.configSchema.safeParse(ensembleWithoutPort);
      assert.equal(result.success, false, factory.type);
      const issue = result.error!.issues.find((i) => i.path.join('.') === 'discovery.member_port');
      assert.match(issue?.message ?? '', /needs discovery\.member_port .*lists only their plain client port/, factory.type);
    }
  });

  it('is accepted with member_port, and for the AdminServer protocol (tls is then for https)', () => {
    for (const factory of [zookeeperReceiverFactory, zookeeperSessionReceiverFactory]) {
      assert.equal(factory.configSchema.safeParse({ ...ensembleWithoutPort, discovery: { ensemble: true, member_port: 2281 } }).success, true, factory.type);
    }
    assert.equal(zookeeperReceiverFactory.configSchema.safeParse({ ...ensembleWithoutPort, protocol: 'admin' }).success, true);
  });
});
