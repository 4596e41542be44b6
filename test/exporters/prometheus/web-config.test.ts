import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { formatProblem } from '../../../src/core/config/errors.js';
import { prometheusExporterFactory } from '../../../src/exporters/prometheus/factory.js';
import { checkWebConfig, loadWebConfig } from '../../../src/internal/webserver/web-config.js';
import { generateTestCerts, type TestCerts } from '../../harness/certs.js';
import { repoRoot } from '../../harness/fixtures.js';

let certs: TestCerts;
let hash: string;
let count = 0;

/** Writes a web config file next to the certificates (so relative paths resolve to them). */
function webConfig(lines: readonly string[]): string {
  const file = path.join(certs.dir, `web-${++count}.yml`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** The problems of a web config file, formatted as `zkotel validate` prints them. */
function problemsOf(file: string): string[] {
  const result = checkWebConfig(file);
  assert.ok(result.problems, `${file} should be invalid`);
  return result.problems.map(formatProblem);
}

const TLS = ['tls_server_config:', '  cert_file: server.crt', '  key_file: server.key'];

describe('web config file (exporter-toolkit format)', () => {
  before(() => {
    certs = generateTestCerts();
    hash = bcrypt.hashSync('s3cret', 4);
  });
  after(() => certs.remove());

  it('loads TLS, client auth, users and headers; relative paths are relative to the file, defaults as exporter-toolkit', () => {
    const file = webConfig([
      ...TLS,
      '  client_ca_file: ca.crt',
      '  client_auth_type: RequireAndVerifyClientCert',
      '  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256]',
      '  curve_preferences: [X25519, CurveP256]',
      'http_server_config:',
      '  http2: false',
      '  headers:',
      '    X-Frame-Options: deny',
      '    Strict-Transport-Security: max-age=31536000',
      'basic_auth_users:',
      `  alice: ${hash}`,
      `  bob: ${hash.replace('$2b$', '$2y$')}`,
    ]);
    const config = loadWebConfig(file);
    assert.equal(config.tls?.clientAuth, 'RequireAndVerifyClientCert');
    const context = config.tls.secureContext;
    assert.equal(context.cert, fs.readFileSync(certs.server.cert, 'utf8'));
    assert.equal(context.ca, fs.readFileSync(certs.ca, 'utf8'));
    assert.equal(context.minVersion, 'TLSv1.2', 'min_version defaults to TLS12');
    assert.equal(context.maxVersion, 'TLSv1.3');
    assert.equal(context.ciphers, 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305');
    assert.equal(context.ecdhCurve, 'X25519:P-256');
    assert.equal(context.honorCipherOrder, true);
    assert.deepEqual([...config.users.keys()], ['alice', 'bob']);
    assert.deepEqual(config.headers, { 'X-Frame-Options': 'deny', 'Strict-Transport-Security': 'max-age=31536000' });
  });

  it('an empty file, or an empty tls_server_config, means plain HTTP without auth', () => {
    for (const lines of [[''], ['tls_server_config: {}', 'basic_auth_users:']]) {
      const config = loadWebConfig(webConfig(lines));
      assert.equal(config.tls, undefined);
      assert.equal(config.users.size, 0);
    }
  });

  it('reports each problem as FILE:LINE:COL: path: message of the web config file', () => {
    const cases: Array<[string[], RegExp]> = [
      // Unknown key: points at the key, lists the valid ones.
      [[...TLS, '  cert_fil: x'], /^F:4:3: tls_server_config::cert_fil: unknown key "cert_fil" \(valid keys: cert, cert_file, .*\)$/],
      [
        ['tls_config:', '  cert_file: x'],
        /^F:1:1: tls_config: unknown key "tls_config" \(valid keys: basic_auth_users, http_server_config, rate_limit, tls_server_config\)$/,
      ],
      // Missing key_file: reported at tls_server_config, which lacks it.
      [['tls_server_config:', '  cert_file: server.crt'], /^F:1:1: tls_server_config::key_file: required: the server private key \(PEM\)/],
      // A bad bcrypt hash: at the user.
      [
        ['basic_auth_users:', '  alice: $2b$10$tooshort', `  bob: ${'HASH'}`],
        /^F:2:3: basic_auth_users::alice: invalid bcrypt hash: expected \$2a\$, \$2b\$ or \$2y\$/,
      ],
      [['basic_auth_users:', '  alice: plaintext'], /^F:2:3: basic_auth_users::alice: invalid bcrypt hash/],
      // RequireAndVerifyClientCert needs client_ca_file.
      [
        [...TLS, '  client_auth_type: RequireAndVerifyClientCert'],
        /^F:4:3: tls_server_config::client_auth_type: RequireAndVerifyClientCert needs client_ca_file/,
      ],
      [[...TLS, '  client_auth_type: VerifyClientCertIfGiven'], /^F:4:3: tls_server_config::client_auth_type: VerifyClientCertIfGiven needs client_ca_file/],
      // exporter-toolkit: client CAs without a client auth policy.
      [[...TLS, '  client_ca_file: ca.crt'], /^F:4:3: tls_server_config::client_ca_file: client CAs are set but client_auth_type is NoClientCert/],
      [[...TLS, '  client_auth_type: Sometimes'], /^F:4:3: tls_server_config::client_auth_type: unknown client_auth_type "Sometimes" \(valid: NoClientCert, /],
      // Files that are missing, not PEM, or do not belong together.
      [
        ['tls_server_config:', '  cert_file: nope.crt', '  key_file: server.key'],
        /^F:2:3: tls_server_config::cert_file: cannot read .*\/nope\.crt: no such file$/,
      ],
      [
        ['tls_server_config:', '  cert_file: server.key', '  key_file: server.key'],
        /^F:2:3: tls_server_config::cert_file: not PEM: no -----BEGIN CERTIFICATE----- block found$/,
      ],
      [
        ['tls_server_config:', '  cert_file: server.crt', '  key_file: ca.key'],
        /^F:3:3: tls_server_config::key_file: the private key does not belong to the certificate in cert_file$/,
      ],
      [
        ['tls_server_config:', '  cert_file: server.crt', '  key_file: server.key', '  cert: inline'],
        /^F:4:3: tls_server_config::cert: set cert_file or cert, not both$/,
      ],
      // Versions and ciphers.
      [[...TLS, '  min_version: TLS13', '  max_version: TLS12'], /^F:4:3: tls_server_config::min_version: min_version TLS13 is above max_version TLS12$/],
      [[...TLS, '  min_version: TLS14'], /^F:4:3: tls_server_config::min_version: unknown TLS version "TLS14" \(valid: TLS10, TLS11, TLS12, TLS13\)$/],
      [
        [...TLS, '  cipher_suites:', '    - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', '    - TLS_RSA_WITH_RC4_128_SHA'],
        /^F:6:7: tls_server_config::cipher_suites::1: unknown cipher "TLS_RSA_WITH_RC4_128_SHA" \(valid: /,
      ],
      [[...TLS, '  client_allowed_sans: [scraper]'], /^F:4:3: tls_server_config::client_allowed_sans: client_allowed_sans is not supported by zkotel/],
      // Headers: only the ones exporter-toolkit allows, with its values.
      [
        ['http_server_config:', '  headers:', '    X-Powered-By: zkotel'],
        /^F:3:5: http_server_config::headers::X-Powered-By: HTTP header "X-Powered-By" can not be configured/,
      ],
      [
        ['http_server_config:', '  headers:', '    X-Frame-Options: allow'],
        /^F:3:5: http_server_config::headers::X-Frame-Options: invalid value "allow": expected one of deny, sameorigin$/,
      ],
      // YAML itself.
      [['basic_auth_users:', '  alice: a', '  alice: b'], /^F:3:3: .*[Mm]ap keys must be unique/],
      [['tls_server_config: [a'], /^F:\d+:\d+: /],
    ];
    for (const [lines, expected] of cases) {
      const file = webConfig(lines.map((line) => line.replace('HASH', hash)));
      const problems = problemsOf(file).map((problem) => problem.replace(file, 'F'));
      assert.ok(
        problems.some((problem) => expected.test(problem)),
        `${lines.join(' / ')}\n  got: ${problems.join('\n       ')}\n  expected: ${expected}`,
      );
    }
  });

  it('lists every problem of a file at once', () => {
    const file = webConfig([
      'tls_server_config:',
      '  cert_file: nope.crt',
      '  client_auth_type: RequireAndVerifyClientCert',
      'basic_auth_users:',
      '  alice: x',
      '  bob: y',
    ]);
    const problems = problemsOf(file);
    assert.deepEqual(
      problems.map((problem) => problem.split(': ').slice(0, 2).join(': ')),
      [
        `${file}:5:3: basic_auth_users::alice`,
        `${file}:6:3: basic_auth_users::bob`,
        `${file}:2:3: tls_server_config::cert_file`,
        `${file}:1:1: tls_server_config::key_file`,
        `${file}:3:3: tls_server_config::client_auth_type`,
      ],
    );
  });

  it('names a missing web config file', () => {
    assert.deepEqual(problemsOf(path.join(certs.dir, 'missing.yml')), [`cannot read ${path.join(certs.dir, 'missing.yml')}: no such file`]);
  });

  it('the exporter config reports web config problems at web_config_file, with the inner FILE:LINE:COL', () => {
    const file = webConfig(['basic_auth_users:', '  alice: nothash']);
    const parsed = prometheusExporterFactory.configSchema.safeParse({ web_config_file: file });
    assert.equal(parsed.success, false);
    assert.deepEqual(
      parsed.error?.issues.map((issue) => [issue.path, issue.message.split(': ').slice(0, 2).join(': ')]),
      [[['web_config_file'], `${file}:2:3: basic_auth_users::alice`]],
    );
    assert.equal(prometheusExporterFactory.configSchema.parse({ web_config_file: '' }).web_config_file, '', 'empty means none');
    assert.equal(prometheusExporterFactory.createDefaultConfig().web_config_file, undefined);
  });

  it('zkotel validate catches a bad web config: CONFIG:LINE:COL: exporters::prometheus::web_config_file: WEB:LINE:COL: …', () => {
    const web = webConfig([...TLS, '  client_auth_type: RequireAndVerifyClientCert', 'basic_auth_users:', '  alice: $2y$10$short']);
    const config = path.join(certs.dir, 'otel-config.yaml');
    fs.writeFileSync(
      config,
      [
        'receivers:',
        '  zookeeper: { endpoint: 127.0.0.1:2181 }',
        'exporters:',
        '  prometheus:',
        '    endpoint: 127.0.0.1:9464',
        `    web_config_file: ${web}`,
        'service:',
        '  pipelines:',
        '    metrics: { receivers: [zookeeper], exporters: [prometheus] }',
        '',
      ].join('\n'),
    );
    const cli = path.join(repoRoot(), 'dist/src/cli.js');
    const result = spawnSync(process.execPath, [cli, 'validate', '--config', config], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(result.status, 1, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.deepEqual(
      lines.slice(0, 2).map((line) => line.split(': ').slice(0, 4).join(': ')),
      [
        `${config}:6:5: exporters::prometheus::web_config_file: ${web}:6:3: basic_auth_users::alice`,
        `${config}:6:5: exporters::prometheus::web_config_file: ${web}:4:3: tls_server_config::client_auth_type`,
      ],
    );
    assert.match(lines[2]!, /2 problem/);

    fs.writeFileSync(web, [...TLS, 'basic_auth_users:', `  alice: ${hash}`, ''].join('\n'));
    const valid = spawnSync(process.execPath, [cli, 'validate', '--config', config], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(valid.status, 0, valid.stderr);
  });
});
