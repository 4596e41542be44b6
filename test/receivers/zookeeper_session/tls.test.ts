import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Batch } from '../../../src/core/batch.js';
import { generateTestCerts, type TestCerts } from '../../harness/certs.js';
import { startEnsemble, type Ensemble } from '../../harness/ensemble.js';
import { freePort } from '../../harness/ports.js';
import { pollUntil } from '../../harness/process.js';
import { histogramOf, runReceiver } from './run.js';

const CONFIG = { collection_interval: '200ms', timeout: '3s', path: '/zkotel-tls' };

/** A 1-node ensemble with a secure (Netty, TLS) client port beside the plain one; PEM stores (ZooKeeper 3.8). */
async function secureNode(certs: TestCerts, clientAuth: 'none' | 'need'): Promise<{ ensemble: Ensemble; endpoint: string }> {
  const store = path.join(certs.dir, 'server-store.pem');
  fs.writeFileSync(store, fs.readFileSync(certs.server.key, 'utf8') + fs.readFileSync(certs.server.cert, 'utf8'));
  const port = await freePort();
  const ensemble = await startEnsemble({
    size: 1,
    extraConfig: {
      secureClientPort: port,
      secureClientPortAddress: '127.0.0.1',
      serverCnxnFactory: 'org.apache.zookeeper.server.NettyServerCnxnFactory',
      'ssl.keyStore.location': store,
      'ssl.keyStore.type': 'PEM',
      'ssl.trustStore.location': certs.ca,
      'ssl.trustStore.type': 'PEM',
      'ssl.clientAuth': clientAuth,
    },
  });
  await ensemble.waitReady();
  return { ensemble, endpoint: `127.0.0.1:${port}` };
}

/** Runs the receiver until it completed `rounds` full rounds, or its connects failed `rounds` times; returns the latest batch. */
async function probe(endpoint: string, tls: Record<string, unknown>, until: 'up' | 'failing') {
  const receiver = runReceiver({ ...CONFIG, endpoint, tls });
  try {
    return await pollUntil(
      () => {
        const batch = receiver.latest(endpoint);
        const done =
          until === 'up'
            ? (histogramOf(batch, 'zookeeper.client.operation.duration', { operation: 'delete' })?.count ?? 0) >= 2
            : connectErrors(batch).length > 0;
        return done ? batch : undefined;
      },
      { timeoutMs: 30_000, what: `the TLS probe to be ${until}`, context: () => receiver.logText() },
    );
  } finally {
    await receiver.stop();
  }
}

const connectErrors = (batch: Batch | undefined): string[] =>
  (batch?.samples ?? [])
    .filter((s) => s.metric.name === 'zookeeper.client.operation.errors' && s.attributes.operation === 'connect')
    .map((s) => s.attributes.code!);

describe('zookeeper_session receiver over TLS to a secure client port', () => {
  let certs: TestCerts;
  let caOnly: { ensemble: Ensemble; endpoint: string };
  let mutual: { ensemble: Ensemble; endpoint: string };

  before(async () => {
    certs = generateTestCerts();
    [caOnly, mutual] = await Promise.all([secureNode(certs, 'none'), secureNode(certs, 'need')]);
  });
  after(async () => {
    await Promise.all([caOnly?.ensemble.stop(), mutual?.ensemble.stop()]);
    certs?.remove();
  });

  it('probes with the CA only (no client certificate)', async () => {
    const batch = await probe(caOnly.endpoint, { ca_file: certs.ca }, 'up');
    assert.deepEqual(connectErrors(batch), []);
    assert.ok((histogramOf(batch, 'zookeeper.client.connect.duration')?.count ?? 0) >= 1);
  });

  it('probes with mutual TLS, and names the missing client certificate without one', async () => {
    const batch = await probe(mutual.endpoint, { ca_file: certs.ca, cert_file: certs.client.cert, key_file: certs.client.key }, 'up');
    assert.deepEqual(connectErrors(batch), []);
    const without = await probe(mutual.endpoint, { ca_file: certs.ca }, 'failing');
    assert.match(connectErrors(without)[0]!, /^TLS_CLIENT_CERT_/);
  });

  it('fails with a clear code on a wrong CA and on a wrong server name', async () => {
    assert.deepEqual(connectErrors(await probe(caOnly.endpoint, { ca_file: certs.otherCa }, 'failing')), ['TLS_UNKNOWN_AUTHORITY']);
    assert.deepEqual(connectErrors(await probe(caOnly.endpoint, { ca_file: certs.ca, server_name: 'zk.example.com' }, 'failing')), ['TLS_NAME_MISMATCH']);
  });
});
