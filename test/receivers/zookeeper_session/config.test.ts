import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { builtinRegistry } from '../../../src/components.js';
import { formatProblem } from '../../../src/core/config/errors.js';
import { loadConfig } from '../../../src/core/config/resolve.js';
import { schemaProblems } from '../../../src/core/config/schema.js';
import { authInfo, zookeeperSessionReceiverConfigSchema as schema } from '../../../src/receivers/zookeeper_session/config.js';
import { zookeeperSessionReceiverFactory } from '../../../src/receivers/zookeeper_session/factory.js';

const PASSWORD_SOURCES = 'password_file (a file holding it) or password_env (the name of an environment variable holding it)';

const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-session-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function problems(config: unknown): string[] {
  const result = schema.safeParse(config);
  assert.equal(result.success, false, 'expected the config to be rejected');
  return schemaProblems(result.error!).map((problem) => `${problem.path.join('::')}: ${problem.message}`);
}

describe('zookeeper_session config', () => {
  it('has defaults for everything', () => {
    assert.deepEqual(zookeeperSessionReceiverFactory.createDefaultConfig(), {
      endpoints: ['127.0.0.1:2181'],
      collection_interval: 10_000,
      timeout: 5000,
      initial_delay: 0,
      path: '/zkotel',
      session_timeout: 10_000,
      replication_lag: { enabled: true, timeout: 5000 },
    });
  });

  it('takes endpoint or endpoints, like the zookeeper receiver', () => {
    assert.deepEqual(schema.parse({ endpoint: 'zk1:2181', endpoints: ['zk2:2181'] }).endpoints, ['zk1:2181', 'zk2:2181']);
    assert.deepEqual(problems({ endpoints: ['zk1:2181', 'zk1:2181'] }), ['endpoints: endpoint listed twice: zk1:2181']);
    // No local default when file_sd or dns name the targets; ensemble discovery only expands seeds, so it keeps it.
    assert.deepEqual(schema.parse({ discovery: { file_sd: { files: [path.join(dir, '*.json')] } } }).endpoints, []);
    assert.deepEqual(schema.parse({ discovery: { dns: { names: ['zk.example.com'] } } }).endpoints, []);
    assert.deepEqual(schema.parse({ discovery: { ensemble: true } }).endpoints, ['127.0.0.1:2181']);
    assert.deepEqual(problems({ endpoint: 'zk1' }), ['endpoint: invalid endpoint "zk1": expected host:port (port 1-65535), e.g. 127.0.0.1:2181']);
  });

  it('rejects bad values with messages that say what is expected', () => {
    const cases: [unknown, string[]][] = [
      [
        { path: 'zkotel' },
        ['path: invalid znode path "zkotel": expected an absolute path below the root such as /zkotel (no trailing "/", no empty, "." or ".." segment)'],
      ],
      [
        { path: '/zkotel/' },
        ['path: invalid znode path "/zkotel/": expected an absolute path below the root such as /zkotel (no trailing "/", no empty, "." or ".." segment)'],
      ],
      [
        { path: '/a/../b' },
        ['path: invalid znode path "/a/../b": expected an absolute path below the root such as /zkotel (no trailing "/", no empty, "." or ".." segment)'],
      ],
      [{ session_timeout: '100ms' }, ['session_timeout: duration "100ms" is too short: must be at least 1000ms']],
      [{ replication_lag: { every: '1s' } }, ['replication_lag::every: unknown key "every" (valid keys: enabled, timeout)']],
      [{ auth: { username: 'probe' } }, [`auth::password_file: set exactly one of ${PASSWORD_SOURCES}`]],
      [{ auth: { username: 'probe', password_env: 'HOME', password_file: '/etc/hostname' } }, [`auth::password_file: set exactly one of ${PASSWORD_SOURCES}`]],
      [{ auth: { scheme: 'sasl', username: 'probe', password_env: 'HOME' } }, ['auth::scheme: Invalid input: expected "digest"']],
      [{ auth: { username: 'a:b', password_env: 'HOME' } }, ['auth::username: a digest user name cannot contain ":"']],
      [{ auth: { username: 'probe', password_env: 'ZK PASSWORD' } }, ['auth::password_env: invalid environment variable name "ZK PASSWORD"']],
      [
        { auth: { username: 'probe', password_env: 'ZKOTEL_TEST_UNSET_VARIABLE' } },
        ['auth::password_env: environment variable ZKOTEL_TEST_UNSET_VARIABLE is not set or empty'],
      ],
      [{ auth: { username: 'probe', password_file: path.join(dir, 'missing') } }, [`auth::password_file: cannot read "${path.join(dir, 'missing')}": ENOENT`]],
      [
        { tls: { cert_file: '/etc/hostname' } },
        [
          'tls::cert_file: "/etc/hostname": not PEM: no -----BEGIN CERTIFICATE----- block found',
          'tls::key_file: cert_file and key_file go together: set both (mutual TLS) or neither (server authentication only)',
        ],
      ],
      [
        { colection_interval: '1s' },
        [
          'colection_interval: unknown key "colection_interval" (valid keys: agent_group, auth, cluster, collection_interval, discovery, endpoint, endpoints, initial_delay, path, relabel_configs, replication_lag, session_timeout, timeout, tls)',
        ],
      ],
    ];
    for (const [config, expected] of cases) assert.deepEqual(problems(config), expected, JSON.stringify(config));
  });

  it('refuses a password written in the config, saying where it goes, without echoing it', () => {
    for (const password of ['s3cret-value', 424242]) {
      const found = problems({ auth: { username: 'probe', password } });
      assert.deepEqual(found, [`auth::password: a password is never written in the config: use ${PASSWORD_SOURCES}`]);
      assert.ok(!found[0]!.includes(String(password)));
    }
  });

  it('reads the password from a file at each session, without its trailing newline', () => {
    const file = path.join(dir, 'password');
    writeFileSync(file, 'from-file\n');
    const config = schema.parse({ auth: { username: 'probe', password_file: file } });
    assert.equal(authInfo(config.auth!).auth.toString(), 'probe:from-file');
    writeFileSync(file, 'rotated\n');
    assert.equal(authInfo(config.auth!).auth.toString(), 'probe:rotated');
  });

  it('reads the password from the environment variable named by password_env at each session', () => {
    const variable = 'ZKOTEL_TEST_SESSION_PASSWORD';
    process.env[variable] = 'from-env';
    try {
      const config = schema.parse({ auth: { username: 'probe', password_env: variable } });
      assert.ok(!JSON.stringify(config).includes('from-env') && !inspect(config, { depth: 10 }).includes('from-env'), 'the config holds the name only');
      assert.equal(authInfo(config.auth!).auth.toString(), 'probe:from-env');
      process.env[variable] = 'rotated';
      assert.equal(authInfo(config.auth!).auth.toString(), 'probe:rotated');
      delete process.env[variable];
      assert.throws(() => authInfo(config.auth!), /^Error: auth\.password_env: environment variable ZKOTEL_TEST_SESSION_PASSWORD is not set or empty$/);
    } finally {
      delete process.env[variable];
    }
  });

  it('refuses an inline password even when it came from ${env:...} in a config file', () => {
    const file = path.join(dir, 'config.yaml');
    writeFileSync(
      file,
      'receivers:\n  zookeeper_session:\n    endpoint: 127.0.0.1:2181\n    auth: { username: probe, password: "${env:ZK_PROBE_PASSWORD}" }\n' +
        'exporters:\n  debug: {}\nservice:\n  pipelines:\n    metrics: { receivers: [zookeeper_session], exporters: [debug] }\n',
    );
    const resolution = loadConfig([file], builtinRegistry(), { ZK_PROBE_PASSWORD: 'from-env' });
    const messages = resolution.problems.map(formatProblem);
    assert.equal(messages.length, 1, messages.join('\n'));
    assert.match(messages[0]!, /password: a password is never written in the config: use password_file .* or password_env/);
    assert.ok(!messages[0]!.includes('from-env'));
  });
});
