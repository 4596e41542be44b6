import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import bcrypt from 'bcryptjs';
import { createLogger } from '../../../src/core/logger.js';
import type { PrometheusExporter } from '../../../src/exporters/prometheus/exporter.js';
import { prometheusExporterFactory } from '../../../src/exporters/prometheus/factory.js';
import { batchOf, GAUGE } from '../../harness/batches.js';
import { curl, generateTestCerts, httpsGet, type ClientOptions, type TestCerts } from '../../harness/certs.js';
import { parseExposition, select } from '../../harness/exposition.js';
import { freePort } from '../../harness/ports.js';
import { testSettings } from '../../harness/settings.js';

let certs: TestCerts;
let aliceHash: string;
let bobHash: string;
let files = 0;

const TLS = ['tls_server_config:', '  cert_file: server.crt', '  key_file: server.key'];
const MTLS = [...TLS, '  client_ca_file: ca.crt', '  client_auth_type: RequireAndVerifyClientCert'];

function writeWebConfig(lines: readonly string[], file = path.join(certs.dir, `web-${++files}.yml`)): string {
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

interface Served {
  readonly exporter: PrometheusExporter;
  /** https://127.0.0.1:port/metrics (or http:// without TLS). */
  readonly url: string;
  readonly file: string;
  readonly logs: string[];
}

async function withServer(lines: readonly string[], test: (served: Served) => Promise<void>): Promise<void> {
  const file = writeWebConfig(lines);
  const endpoint = `127.0.0.1:${await freePort()}`;
  const logs: string[] = [];
  const config = prometheusExporterFactory.configSchema.parse({ endpoint, web_config_file: file });
  const exporter = prometheusExporterFactory.createExporter(
    testSettings(
      'prometheus',
      createLogger('info', (line) => logs.push(line)),
    ),
    config,
  ) as PrometheusExporter;
  await exporter.start();
  exporter.consume(batchOf('a', [[GAUGE, 42, { node: 'a' }]]));
  try {
    const scheme = lines.some((line) => line.startsWith('tls_server_config:')) ? 'https' : 'http';
    await test({ exporter, url: `${scheme}://${endpoint}/metrics`, file, logs });
  } finally {
    await exporter.shutdown();
  }
}

/** The same request with Node's https and with curl: both statuses, or 'refused' for a connection that failed. */
async function statusBoth(url: string, options: ClientOptions): Promise<[number | 'refused', number | 'refused']> {
  const node = await httpsGet(url, options).then(
    (response) => response.status,
    () => 'refused' as const,
  );
  const cli = await curl(url, options);
  return [node, cli.code === 0 ? cli.status : 'refused'];
}

describe('prometheus exporter: secured /metrics (web_config_file)', () => {
  before(() => {
    certs = generateTestCerts();
    aliceHash = bcrypt.hashSync('alice-pw', 4);
    bobHash = bcrypt.hashSync('bob:pw', 4);
  });
  after(() => certs.remove());

  it('serves over TLS: a client trusting the CA gets the metrics, one trusting another CA refuses the server', () =>
    withServer(TLS, async ({ url, logs }) => {
      const response = await httpsGet(url, { ca: certs.ca });
      assert.equal(response.status, 200);
      assert.equal(select(parseExposition(response.body), 'test_temperature')[0]?.value, 42);
      assert.deepEqual(await curl(url, { ca: certs.ca }), { code: 0, status: 200, stderr: '' });
      assert.equal(new URL(url).protocol, 'https:');

      await assert.rejects(httpsGet(url, { ca: certs.otherCa }), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
      const wrongCa = await curl(url, { ca: certs.otherCa });
      assert.equal(wrongCa.code, 60, wrongCa.stderr);
      assert.match(wrongCa.stderr, /certificate/);
      assert.match(
        logs.find((line) => line.includes('serving metrics')) ?? '',
        /"url":"https:\/\/127\.0\.0\.1:\d+\/metrics","tls":true,"client_auth":"NoClientCert","basic_auth_users":0/,
      );
    }));

  it('basic auth: the right password 200; a wrong one, an unknown user or no credentials 401 with WWW-Authenticate', () =>
    withServer([...TLS, 'basic_auth_users:', `  alice: ${aliceHash}`, `  bob: ${bobHash}`], async ({ url }) => {
      const ca = certs.ca;
      assert.deepEqual(await statusBoth(url, { ca, user: 'alice', password: 'alice-pw' }), [200, 200]);
      assert.deepEqual(await statusBoth(url, { ca, user: 'bob', password: 'bob:pw' }), [200, 200], 'a password may contain ":"');
      assert.deepEqual(await statusBoth(url, { ca, user: 'alice', password: 'wrong' }), [401, 401]);
      assert.deepEqual(await statusBoth(url, { ca, user: 'alice', password: 'bob:pw' }), [401, 401], "another user's password");
      assert.deepEqual(await statusBoth(url, { ca, user: 'mallory', password: 'alice-pw' }), [401, 401]);
      assert.deepEqual(await statusBoth(url, { ca }), [401, 401]);
      const denied = await httpsGet(url, { ca, user: 'alice', password: 'wrong' });
      assert.equal(denied.headers['www-authenticate'], 'Basic realm="zkotel"');
      assert.equal(denied.body, 'Unauthorized\n');
      assert.doesNotMatch(denied.body, /test_temperature/);
      assert.equal((await httpsGet(url.replace('/metrics', '/other'), { ca })).status, 401, 'every path is behind auth');
    }));

  it('basic auth without TLS, checked with fetch; extra headers on every answer', () =>
    withServer(
      [
        'http_server_config:',
        '  headers:',
        '    X-Content-Type-Options: nosniff',
        '    X-Frame-Options: sameorigin',
        'basic_auth_users:',
        `  alice: ${aliceHash}`,
      ],
      async ({ url }) => {
        const authorization = `Basic ${Buffer.from('alice:alice-pw').toString('base64')}`;
        const ok = await fetch(url, { headers: { authorization } });
        assert.equal(ok.status, 200);
        assert.match(await ok.text(), /test_temperature/);
        assert.equal(ok.headers.get('x-content-type-options'), 'nosniff');
        assert.equal(ok.headers.get('x-frame-options'), 'sameorigin');
        for (const headers of [
          {},
          { authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}` },
          { authorization: 'Bearer alice-pw' },
          { authorization: 'Basic !!!' },
        ] as Record<string, string>[]) {
          const denied = await fetch(url, { headers });
          assert.equal(denied.status, 401, JSON.stringify(headers));
          assert.equal(denied.headers.get('www-authenticate'), 'Basic realm="zkotel"');
          assert.equal(denied.headers.get('x-frame-options'), 'sameorigin');
          await denied.arrayBuffer();
        }
        assert.equal((await fetch(url, { method: 'POST', headers: { authorization } })).status, 405, 'the exporter still answers after auth');
      },
    ));

  it("mTLS (RequireAndVerifyClientCert): a client certificate signed by client_ca_file gets in; none, or another CA's, fails the handshake", () =>
    withServer(MTLS, async ({ url }) => {
      const ca = certs.ca;
      assert.deepEqual(await statusBoth(url, { ca, client: certs.client }), [200, 200]);
      assert.deepEqual(await statusBoth(url, { ca }), ['refused', 'refused']);
      assert.deepEqual(await statusBoth(url, { ca, client: certs.otherClient }), ['refused', 'refused']);
      await assert.rejects(httpsGet(url, { ca }), { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
      const curlNoCert = await curl(url, { ca });
      assert.match(curlNoCert.stderr, /certificate required/);
    }));

  it('mTLS and basic auth together: both are required', () =>
    withServer([...MTLS, 'basic_auth_users:', `  alice: ${aliceHash}`], async ({ url }) => {
      const ca = certs.ca;
      assert.deepEqual(await statusBoth(url, { ca, client: certs.client, user: 'alice', password: 'alice-pw' }), [200, 200]);
      assert.deepEqual(await statusBoth(url, { ca, client: certs.client }), [401, 401]);
      assert.deepEqual(await statusBoth(url, { ca, user: 'alice', password: 'alice-pw' }), ['refused', 'refused']);
    }));

  it('the other client auth types behave as in Go: Request, RequireAny, VerifyIfGiven', async () => {
    const table: Array<[string, { none: number | 'refused'; good: number | 'refused'; foreign: number | 'refused' }]> = [
      ['RequestClientCert', { none: 200, good: 200, foreign: 200 }],
      ['RequireAnyClientCert', { none: 'refused', good: 200, foreign: 200 }],
      ['VerifyClientCertIfGiven', { none: 200, good: 200, foreign: 'refused' }],
    ];
    for (const [type, expected] of table) {
      await withServer(
        [...TLS, `  client_auth_type: ${type}`, ...(type === 'VerifyClientCertIfGiven' ? ['  client_ca_file: ca.crt'] : [])],
        async ({ url }) => {
          const ca = certs.ca;
          assert.deepEqual(await statusBoth(url, { ca }), [expected.none, expected.none], `${type}, no certificate`);
          assert.deepEqual(await statusBoth(url, { ca, client: certs.client }), [expected.good, expected.good], `${type}, a certificate of the CA`);
          assert.deepEqual(await statusBoth(url, { ca, client: certs.otherClient }), [expected.foreign, expected.foreign], `${type}, another CA's certificate`);
        },
      );
    }
  });

  it('min_version TLS13 refuses a TLS 1.2-only client; the default (TLS12) accepts it', async () => {
    await withServer([...TLS, '  min_version: TLS13'], async ({ url }) => {
      const old = await curl(url, { ca: certs.ca, maxVersion: 'TLSv1.2' });
      assert.equal(old.code, 35, old.stderr);
      await assert.rejects(httpsGet(url, { ca: certs.ca, maxVersion: 'TLSv1.2' }), /protocol version|unsupported protocol/i);
      assert.deepEqual(await statusBoth(url, { ca: certs.ca }), [200, 200]);
    });
    await withServer(TLS, async ({ url }) => {
      assert.deepEqual(await statusBoth(url, { ca: certs.ca, maxVersion: 'TLSv1.2' }), [200, 200]);
    });
  });

  it('cipher_suites (Go names) restrict TLS 1.2 ciphers', () =>
    withServer([...TLS, '  max_version: TLS12', '  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]'], async ({ url }) => {
      const { port } = new URL(url);
      const cipher = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: Number(port), ca: fs.readFileSync(certs.ca) }, () => {
          resolve(`${socket.getProtocol()} ${socket.getCipher().name}`);
          socket.end();
        });
        socket.on('error', reject);
      });
      assert.equal(cipher, 'TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384');
      await assert.rejects(
        new Promise((resolve, reject) => {
          const socket = connect({ host: '127.0.0.1', port: Number(port), ca: fs.readFileSync(certs.ca), ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }, () =>
            resolve(socket.end()),
          );
          socket.on('error', reject);
        }),
        /handshake failure|no shared cipher/i,
      );
    }));

  it('reload swaps users, headers and TLS settings; a broken file keeps the running config', () =>
    withServer([...TLS, 'basic_auth_users:', `  alice: ${aliceHash}`], async ({ exporter, url, file, logs }) => {
      const ca = certs.ca;
      assert.equal((await httpsGet(url, { ca, user: 'alice', password: 'alice-pw' })).status, 200);

      // New users and a new client certificate policy.
      writeWebConfig([...MTLS, 'http_server_config:', '  headers: { X-Frame-Options: deny }', 'basic_auth_users:', `  bob: ${bobHash}`], file);
      await exporter.reload();
      assert.equal((await httpsGet(url, { ca, client: certs.client, user: 'alice', password: 'alice-pw' })).status, 401);
      const bob = await httpsGet(url, { ca, client: certs.client, user: 'bob', password: 'bob:pw' });
      assert.equal(bob.status, 200);
      assert.equal(bob.headers['x-frame-options'], 'deny');
      await assert.rejects(httpsGet(url, { ca, user: 'bob', password: 'bob:pw' }), 'a client certificate is now required');
      assert.ok(logs.some((line) => line.includes('web config reloaded') && line.includes('"client_auth":"RequireAndVerifyClientCert"')));

      // A broken file: the error names it with line and column, and the running config stays.
      writeWebConfig([...MTLS, 'basic_auth_users:', '  bob: not-a-hash'], file);
      await assert.rejects(exporter.reload(), (error: Error) => {
        assert.equal(error.message, `${file}:7:3: basic_auth_users::bob: ${error.message.split('basic_auth_users::bob: ')[1]}`);
        assert.match(error.message, /invalid bcrypt hash/);
        return true;
      });
      fs.rmSync(path.join(certs.dir, 'gone.crt'), { force: true });
      writeWebConfig(['tls_server_config:', '  cert_file: gone.crt', '  key_file: server.key'], file);
      await assert.rejects(exporter.reload(), {
        message: `${file}:2:3: tls_server_config::cert_file: cannot read ${path.join(certs.dir, 'gone.crt')}: no such file`,
      });
      assert.equal((await httpsGet(url, { ca, client: certs.client, user: 'bob', password: 'bob:pw' })).status, 200, 'still serving with the last good config');
      assert.deepEqual(await curl(url, { ca, client: certs.client, user: 'bob', password: 'bob:pw' }), { code: 0, status: 200, stderr: '' });

      // Switching HTTPS to plain HTTP needs a restart.
      writeWebConfig(['basic_auth_users:', `  bob: ${bobHash}`], file);
      await assert.rejects(exporter.reload(), /switching \/metrics between HTTP and HTTPS needs a restart/);
      await assert.rejects(httpsGet(url, { ca, user: 'bob', password: 'bob:pw' }), 'the mTLS config is still the running one');
    }));

  it('a web config broken between validation and start fails start with the file, line and column', async () => {
    const file = writeWebConfig(TLS);
    const config = prometheusExporterFactory.configSchema.parse({ endpoint: `127.0.0.1:${await freePort()}`, web_config_file: file });
    writeWebConfig(['tls_server_config:', '  cert_file: server.crt'], file);
    const exporter = prometheusExporterFactory.createExporter(testSettings('prometheus'), config);
    await assert.rejects(exporter.start(), {
      message: `${file}:1:1: tls_server_config::key_file: required: the server private key (PEM), or key with the PEM itself`,
    });
    await exporter.shutdown();
  });
});
