/**
 * Four-letter words over ZooKeeper's secure client port (Netty, TLS), with certificates made for the test:
 * one node that asks no client certificate (ssl.clientAuth=none) and one that requires one (need).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { filter, type Subscription } from 'rxjs';
import { isBatch, type Batch } from '../../src/core/batch.js';
import { createLogger } from '../../src/core/logger.js';
import { zookeeperReceiverFactory } from '../../src/receivers/zookeeper/factory.js';
import { generateTestCerts, type TestCerts } from '../harness/certs.js';
import { startEnsemble, type Ensemble } from '../harness/ensemble.js';
import { select, type Series } from '../harness/exposition.js';
import { pollUntil } from '../harness/process.js';
import { promtoolLint } from '../harness/promtool.js';
import { testSettings } from '../harness/settings.js';
import { startAgent, type RunningAgent } from './agent.js';

describe('four-letter words over TLS to real ZooKeeper nodes', () => {
  let certs: TestCerts;
  let caOnly: Ensemble;
  let mutual: Ensemble;
  let agent: RunningAgent;
  let series: Series[];
  let text: string;

  const receiver = (name: string, endpoint: string, tls: string) =>
    `  zookeeper/${name}: { endpoint: "${endpoint}", cluster: ${name}, collection_interval: 300ms, timeout: 3s, commands: [mntr, ruok, srvr], tls: ${tls} }`;

  before(async () => {
    certs = generateTestCerts();
    [caOnly, mutual] = await Promise.all([
      startEnsemble({ size: 1, tls: { keyStore: certs.serverPemStore, trustStore: certs.ca, clientAuth: 'none' } }),
      startEnsemble({ size: 1, tls: { keyStore: certs.serverPemStore, trustStore: certs.ca, clientAuth: 'need' } }),
    ]);
    await Promise.all([caOnly.waitReady(), mutual.waitReady()]);
    const caOnlyTls = caOnly.nodes[0]!.secureEndpoint!;
    const mutualTls = mutual.nodes[0]!.secureEndpoint!;
    const clientCert = `cert_file: "${certs.client.cert}", key_file: "${certs.client.key}"`;
    const receivers = [
      receiver('ca_only', caOnlyTls, `{ ca_file: "${certs.ca}" }`),
      receiver('mutual', mutualTls, `{ ca_file: "${certs.ca}", ${clientCert}, server_name: localhost, min_version: "1.2" }`),
      receiver('no_client_cert', mutualTls, `{ ca_file: "${certs.ca}" }`),
      receiver('wrong_ca', caOnlyTls, `{ ca_file: "${certs.otherCa}" }`),
      receiver('wrong_name', caOnlyTls, `{ ca_file: "${certs.ca}", server_name: zk.example.com }`),
      receiver('stranger_cert', mutualTls, `{ ca_file: "${certs.ca}", cert_file: "${certs.otherClient.cert}", key_file: "${certs.otherClient.key}" }`),
    ];
    const ids = ['ca_only', 'mutual', 'no_client_cert', 'wrong_ca', 'wrong_name', 'stranger_cert'].map((name) => `zookeeper/${name}`);
    agent = await startAgent(
      `receivers:\n${receivers.join('\n')}\nexporters:\n  prometheus: { endpoint: \${METRICS_ENDPOINT} }\nservice:\n  pipelines:\n    metrics: { receivers: [${ids.join(', ')}], exporters: [prometheus] }\n`,
    );
    ({ series, text } = await pollUntil(
      async () => {
        const scraped = await agent.scrape();
        // Two rounds for every receiver: the good ones up, the bad ones with a reason.
        const reported = ['ca_only', 'mutual'].every((cluster) => select(scraped.series, 'zookeeper_up', { zk_cluster: cluster })[0]?.value === 1);
        const failing = ['no_client_cert', 'wrong_ca', 'wrong_name', 'stranger_cert'].every(
          (cluster) => select(scraped.series, 'zookeeper_probe_failure', { zk_cluster: cluster }).length > 0,
        );
        return reported && failing ? scraped : undefined;
      },
      { timeoutMs: 30_000, what: 'every TLS receiver reporting', intervalMs: 200 },
    ));
  });
  after(async () => {
    await agent?.stop();
    await Promise.all([caOnly?.stop(), mutual?.stop()]);
    certs?.remove();
  });

  const reasons = (cluster: string) => [...new Set(select(series, 'zookeeper_probe_failure', { zk_cluster: cluster }).map((s) => s.labels.reason))];

  it('probes with the CA only (clientAuth=none) and with a client certificate (mutual TLS)', () => {
    for (const cluster of ['ca_only', 'mutual']) {
      assert.equal(select(series, 'zookeeper_up', { zk_cluster: cluster })[0]?.value, 1, cluster);
      assert.deepEqual(reasons(cluster), [], cluster);
      assert.equal(select(series, 'zookeeper_server_state', { zk_cluster: cluster, state: 'leader' })[0]?.value, 1, cluster);
      assert.equal(select(series, 'zookeeper_zxid_epoch', { zk_cluster: cluster }).length, 1, cluster);
      assert.ok((select(series, 'zookeeper_znode_count', { zk_cluster: cluster })[0]?.value ?? 0) > 0, cluster);
    }
  });

  it('names the failure: wrong CA, wrong server name, missing and untrusted client certificate', () => {
    assert.deepEqual(reasons('wrong_ca'), ['tls_unknown_authority']);
    assert.deepEqual(reasons('wrong_name'), ['tls_name_mismatch']);
    assert.deepEqual(reasons('no_client_cert'), ['tls_client_cert_required']);
    assert.deepEqual(reasons('stranger_cert'), ['tls_client_cert_rejected']);
    for (const cluster of ['wrong_ca', 'wrong_name', 'no_client_cert', 'stranger_cert']) {
      assert.equal(select(series, 'zookeeper_up', { zk_cluster: cluster })[0]?.value, 0, cluster);
    }
  });

  it('serves output that promtool accepts', () => {
    assert.deepEqual(promtoolLint(text), []);
  });

  it('logs a clear reason once, and keeps probing the good endpoint beside the failing one', async () => {
    const logs: Record<string, unknown>[] = [];
    const logger = createLogger('info', (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
    const config = zookeeperReceiverFactory.configSchema.parse({
      endpoints: [caOnly.nodes[0]!.secureEndpoint],
      collection_interval: '200ms',
      timeout: '3s',
      commands: ['srvr'],
      tls: { ca_file: certs.ca, server_name: 'zk.example.com' },
    });
    const wrongName = zookeeperReceiverFactory.createReceiver(testSettings('zookeeper/names', logger), config);
    const batches: Batch[] = [];
    const subscription: Subscription = wrongName.batches.pipe(filter(isBatch)).subscribe((batch) => batches.push(batch));
    try {
      await pollUntil(() => batches.length >= 3, { timeoutMs: 15_000, what: 'three rounds of the endpoint' });
      const down = logs.filter((line) => line.msg === 'endpoint down');
      assert.equal(down.length, 1, 'logged once, not every round');
      assert.equal(down[0]!.reason, 'tls_name_mismatch');
      assert.match(String(down[0]!.error), /^srvr: server name mismatch: cert for IP Address:127\.0\.0\.1, DNS:localhost, expected zk\.example\.com/);
    } finally {
      subscription.unsubscribe();
    }

    const mixed = zookeeperReceiverFactory.createReceiver(
      testSettings('zookeeper/mixed', logger),
      zookeeperReceiverFactory.configSchema.parse({
        // The plain port of the same node: TLS to it fails; the secure port goes on working beside it.
        endpoints: [caOnly.nodes[0]!.endpoint, caOnly.nodes[0]!.secureEndpoint],
        collection_interval: '200ms',
        timeout: '3s',
        commands: ['srvr'],
        tls: { ca_file: certs.ca },
      }),
    );
    const byEndpoint = new Map<string, Batch[]>();
    const mixedSubscription = mixed.batches.pipe(filter(isBatch)).subscribe((batch) => {
      const endpoint = batch.source.split('|')[1]!;
      byEndpoint.set(endpoint, [...(byEndpoint.get(endpoint) ?? []), batch]);
    });
    try {
      await pollUntil(
        () => (byEndpoint.get(caOnly.nodes[0]!.secureEndpoint!)?.length ?? 0) >= 3 && (byEndpoint.get(caOnly.nodes[0]!.endpoint)?.length ?? 0) >= 1,
        {
          timeoutMs: 15_000,
          what: 'several rounds of the secure endpoint',
        },
      );
      const up = (endpoint: string) =>
        byEndpoint
          .get(endpoint)!
          .at(-1)!
          .samples.find((s) => s.metric.name === 'zookeeper.up')?.value;
      assert.equal(up(caOnly.nodes[0]!.secureEndpoint!), 1);
      assert.equal(up(caOnly.nodes[0]!.endpoint), 0);
      const failure = byEndpoint
        .get(caOnly.nodes[0]!.endpoint)!
        .at(-1)!
        .samples.find((s) => s.metric.name === 'zookeeper.probe.failure');
      assert.match(String(failure?.attributes.reason), /^tls_(plain_port|handshake)$/);
    } finally {
      mixedSubscription.unsubscribe();
    }
  });
});
