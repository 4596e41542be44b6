/**
 * protocol: admin over https against a real ZooKeeper node whose AdminServer serves https only
 * (`admin.forceHttps=true`, key from `ssl.quorum.keyStore.*`, certificates made for the test).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateTestCerts, type TestCerts } from '../harness/certs.js';
import { startEnsemble, type Ensemble } from '../harness/ensemble.js';
import { select, type Series } from '../harness/exposition.js';
import { pollUntil } from '../harness/process.js';
import { promtoolLint } from '../harness/promtool.js';
import { startAgent, type RunningAgent } from './agent.js';

/** The series of one receiver, by name and labels without its cluster label. */
const seriesKeys = (series: readonly Series[], cluster: string) =>
  series
    .filter((s) => s.labels.zk_cluster === cluster)
    .map(
      (s) =>
        `${s.name} ${JSON.stringify(
          Object.entries(s.labels)
            .filter(([name]) => name !== 'zk_cluster')
            .sort(),
        )}`,
    )
    .sort();

describe('protocol: admin over https to a real ZooKeeper AdminServer', () => {
  let certs: TestCerts;
  let ensemble: Ensemble;
  let agent: RunningAgent;
  let series: Series[];
  let text: string;

  before(async () => {
    certs = generateTestCerts();
    ensemble = await startEnsemble({ size: 1, adminTls: { keyStore: certs.serverPemStore, trustStore: certs.ca } });
    await ensemble.waitReady();
    const node = ensemble.nodes[0]!;
    const receiver = (name: string, settings: string) =>
      `  zookeeper/${name}: { endpoint: "${node.endpoint}", cluster: ${name}, collection_interval: 300ms, timeout: 3s, commands: [mntr, ruok, srvr, isro, wchs], ${settings} }`;
    const receivers = [
      receiver('https', `protocol: admin, admin_port: ${node.adminPort}, tls: { ca_file: "${certs.ca}" }`),
      receiver('four_letter_words', 'protocol: four_letter_words'),
      receiver('wrong_ca', `protocol: admin, admin_port: ${node.adminPort}, tls: { ca_file: "${certs.otherCa}" }`),
      receiver('plain_http', `protocol: admin, admin_port: ${node.adminPort}, admin_scheme: http`),
    ];
    const ids = ['https', 'four_letter_words', 'wrong_ca', 'plain_http'].map((name) => `zookeeper/${name}`);
    agent = await startAgent(
      `receivers:\n${receivers.join('\n')}\nexporters:\n  prometheus: { endpoint: \${METRICS_ENDPOINT} }\nservice:\n  pipelines:\n    metrics: { receivers: [${ids.join(', ')}], exporters: [prometheus] }\n`,
    );
    ({ series, text } = await pollUntil(
      async () => {
        const scraped = await agent.scrape();
        const up = ['https', 'four_letter_words'].every((cluster) => select(scraped.series, 'zookeeper_up', { zk_cluster: cluster })[0]?.value === 1);
        const failing = ['wrong_ca', 'plain_http'].every((cluster) => select(scraped.series, 'zookeeper_probe_failure', { zk_cluster: cluster }).length > 0);
        return up && failing ? scraped : undefined;
      },
      { timeoutMs: 30_000, what: 'every receiver reporting', intervalMs: 200, context: () => ensemble.logTail(1) },
    ));
  });
  after(async () => {
    await agent?.stop();
    await ensemble?.stop();
    certs?.remove();
  });

  it('is up over https with the CA, with the same series as the four-letter words give', () => {
    assert.equal(select(series, 'zookeeper_up', { zk_cluster: 'https' })[0]?.value, 1);
    assert.deepEqual(select(series, 'zookeeper_probe_failure', { zk_cluster: 'https' }), []);
    assert.equal(select(series, 'zookeeper_server_state', { zk_cluster: 'https', state: 'leader' })[0]?.value, 1);
    assert.ok((select(series, 'zookeeper_znode_count', { zk_cluster: 'https' })[0]?.value ?? 0) > 0);
    assert.deepEqual(seriesKeys(series, 'https'), seriesKeys(series, 'four_letter_words'));
  });

  it('says tls_unknown_authority with a CA that did not sign the server, and is down over plain http', () => {
    assert.equal(select(series, 'zookeeper_up', { zk_cluster: 'wrong_ca' })[0]?.value, 0);
    assert.deepEqual(
      [...new Set(select(series, 'zookeeper_probe_failure', { zk_cluster: 'wrong_ca' }).map((s) => s.labels.reason))],
      ['tls_unknown_authority'],
    );
    // forceHttps: the AdminServer port speaks TLS only.
    assert.equal(select(series, 'zookeeper_up', { zk_cluster: 'plain_http' })[0]?.value, 0);
  });

  it('serves output that promtool accepts', () => {
    assert.deepEqual(promtoolLint(text), []);
  });
});
