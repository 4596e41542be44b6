import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import type { PrometheusExporter } from '../../../src/exporters/prometheus/exporter.js';
import { prometheusExporterFactory } from '../../../src/exporters/prometheus/factory.js';
import { batchOf, GAUGE } from '../../harness/batches.js';
import { generateTestCerts, type TestCerts } from '../../harness/certs.js';
import { freePort } from '../../harness/ports.js';
import { startPrometheus, type PrometheusServer } from '../../harness/prometheus.js';
import { testSettings } from '../../harness/settings.js';

describe('a real Prometheus scrapes /metrics over TLS with basic auth', () => {
  let certs: TestCerts;
  let exporter: PrometheusExporter;
  let prometheus: PrometheusServer | undefined;

  before(async () => {
    certs = generateTestCerts();
    const webConfig = path.join(certs.dir, 'web-config.yml');
    fs.writeFileSync(
      webConfig,
      [
        'tls_server_config:',
        '  cert_file: server.crt',
        '  key_file: server.key',
        'basic_auth_users:',
        `  prometheus: ${bcrypt.hashSync('scrape-pw', 10)}`,
        '',
      ].join('\n'),
    );
    const endpoint = `127.0.0.1:${await freePort()}`;
    exporter = prometheusExporterFactory.createExporter(
      testSettings('prometheus'),
      prometheusExporterFactory.configSchema.parse({ endpoint, web_config_file: webConfig }),
    ) as PrometheusExporter;
    await exporter.start();
    exporter.consume(batchOf('a', [[GAUGE, 42, { node: 'a' }]]));
    const tlsConfig = { ca_file: certs.ca };
    prometheus = await startPrometheus({
      scrapeTargets: [endpoint],
      scrapeJobConfig: { scheme: 'https', tls_config: tlsConfig, basic_auth: { username: 'prometheus', password: 'scrape-pw' } },
      extraConfig: {
        scrape_configs: [
          {
            job_name: 'wrong-password',
            scheme: 'https',
            tls_config: tlsConfig,
            basic_auth: { username: 'prometheus', password: 'guess' },
            static_configs: [{ targets: [endpoint] }],
          },
          {
            job_name: 'wrong-ca',
            scheme: 'https',
            tls_config: { ca_file: certs.otherCa },
            basic_auth: { username: 'prometheus', password: 'scrape-pw' },
            static_configs: [{ targets: [endpoint] }],
          },
        ],
      },
    });
  });

  after(async () => {
    await prometheus?.stop();
    await exporter?.shutdown();
    certs?.remove();
  });

  it('the target is up and its series are stored; wrong credentials or CA are reported down', async () => {
    const server = prometheus!;
    const targets = await server.waitFor(
      async () => {
        const all = await server.targets();
        return all.length === 3 && all.every((target) => target.health !== 'unknown') ? all : undefined;
      },
      30_000,
      'three scraped targets',
    );
    const byJob = Object.fromEntries(targets.map((target) => [target.labels.job, target]));
    assert.equal(byJob.zkotel?.health, 'up', byJob.zkotel?.lastError);
    assert.match(byJob.zkotel?.scrapeUrl ?? '', /^https:\/\//);
    assert.equal(byJob['wrong-password']?.health, 'down');
    assert.match(byJob['wrong-password']?.lastError ?? '', /401/);
    assert.equal(byJob['wrong-ca']?.health, 'down');
    assert.match(byJob['wrong-ca']?.lastError ?? '', /certificate/);

    const samples = await server.waitFor(
      async () => {
        const result = await server.query('test_temperature{job="zkotel"}');
        return result.length > 0 ? result : undefined;
      },
      10_000,
      'test_temperature in Prometheus',
    );
    assert.equal(samples[0]?.value?.[1], '42');
  });
});
