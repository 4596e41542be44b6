import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import zookeeper from 'node-zookeeper-client';
import { startEnsemble, type Ensemble } from '../../harness/ensemble.js';
import { pollUntil } from '../../harness/process.js';
import { errorCount, histogramOf, runReceiver, withClient, zk } from './run.js';

const USER = 'probe';
const PASSWORD = 'correct-horse-battery';
const WRONG_PASSWORD = 'wrong-password-1234';
/** ZooKeeper's digest id: user:base64(sha1(user:password)). */
const DIGEST_ID = `${USER}:${createHash('sha1').update(`${USER}:${PASSWORD}`).digest('base64')}`;
const CONFIG = { collection_interval: '200ms', timeout: '2s' };
const PASSWORD_ENV = 'ZKOTEL_TEST_PROBE_PASSWORD';
const WRONG_PASSWORD_ENV = 'ZKOTEL_TEST_WRONG_PASSWORD';

describe('zookeeper_session receiver with digest auth on an ACL-protected path', () => {
  let ensemble: Ensemble;
  let endpoint: string;
  let dir: string;
  let passwordFile: string;

  before(async () => {
    ensemble = await startEnsemble({ size: 1 });
    await ensemble.waitReady();
    endpoint = ensemble.nodes[0]!.endpoint;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkotel-auth-'));
    passwordFile = path.join(dir, 'password');
    fs.writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    process.env[PASSWORD_ENV] = PASSWORD;
    process.env[WRONG_PASSWORD_ENV] = WRONG_PASSWORD;
    const acl = [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('digest', DIGEST_ID))];
    await withClient(
      endpoint,
      (client) => zk<string>((done) => client.create('/secure', Buffer.alloc(0), acl, zookeeper.CreateMode.PERSISTENT, done)),
      `${USER}:${PASSWORD}`,
    );
  });
  after(async () => {
    delete process.env[PASSWORD_ENV];
    delete process.env[WRONG_PASSWORD_ENV];
    await ensemble?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('probes with the password from a file', async () => {
    const receiver = runReceiver({ ...CONFIG, endpoint, path: '/secure', auth: { username: USER, password_file: passwordFile } });
    try {
      await pollUntil(() => (histogramOf(receiver.latest(endpoint), 'zookeeper.client.operation.duration', { operation: 'delete' })?.count ?? 0) >= 2, {
        timeoutMs: 20_000,
        what: 'two full rounds under /secure',
        context: () => receiver.logText(),
      });
      assert.equal(errorCount(receiver.latest(endpoint), {}), 0);
    } finally {
      await receiver.stop();
    }
  });

  it('counts NO_AUTH with a wrong password (from the environment), logs it once without the password, and keeps going', async () => {
    const receiver = runReceiver({ ...CONFIG, endpoint, path: '/secure', auth: { username: USER, password_env: WRONG_PASSWORD_ENV } });
    try {
      await pollUntil(() => errorCount(receiver.latest(endpoint), { operation: 'create', code: 'NO_AUTH' }) >= 3 || undefined, {
        timeoutMs: 20_000,
        what: 'NO_AUTH to be counted over three rounds',
        context: () => receiver.logText(),
      });
      const warnings = receiver.logs.filter((log) => log.msg === 'session probe failing');
      assert.equal(warnings.length, 1, receiver.logText());
      assert.equal(warnings[0]!.code, 'NO_AUTH');
      assert.ok(!receiver.logText().includes(WRONG_PASSWORD), 'the password is never logged');
      // Connecting worked: the server only refuses the operations the ACL does not allow.
      assert.ok((histogramOf(receiver.latest(endpoint), 'zookeeper.client.connect.duration')?.count ?? 0) >= 1);
    } finally {
      await receiver.stop();
    }
  });

  it('creates a missing path readable only by the configured user (CREATOR_ALL), password from the environment', async () => {
    const receiver = runReceiver({ ...CONFIG, endpoint, path: '/private/probes', auth: { username: USER, password_env: PASSWORD_ENV } });
    try {
      await pollUntil(() => (histogramOf(receiver.latest(endpoint), 'zookeeper.client.operation.duration', { operation: 'delete' })?.count ?? 0) >= 1, {
        timeoutMs: 20_000,
        what: 'a full round under /private/probes',
      });
    } finally {
      await receiver.stop();
    }
    const acl = await withClient(endpoint, (client) => zk<zookeeper.ACL[]>((done) => client.getACL('/private/probes', done)), `${USER}:${PASSWORD}`);
    // The library's ACL objects carry `permission`, although its type declarations say `perms`.
    assert.deepEqual(
      acl.map((entry) => [entry.id.scheme, entry.id.id, (entry as unknown as { permission: number }).permission]),
      [['digest', DIGEST_ID, zookeeper.Permission.ALL]],
    );
    const anonymous = await withClient(endpoint, (client) =>
      zk<string[]>((done) => client.getChildren('/private/probes', done)).then(
        () => 'read',
        (error: Error) => error.message,
      ),
    );
    assert.match(anonymous, /NO_AUTH/);
  });
});
