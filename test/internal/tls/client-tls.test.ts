import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import fsp from 'node:fs/promises';
import { after, before, describe, it, mock } from 'node:test';
import { createLogger } from '../../../src/core/logger.js';
import { ClientTlsLoader, clientTlsConfigSchema, describeTlsError, type TlsFailure } from '../../../src/internal/tls/client-tls.js';
import { generateTestCerts, type TestCerts } from '../../harness/certs.js';

let certs: TestCerts;
before(() => {
  certs = generateTestCerts();
});
after(() => certs.remove());

/** A TLS server that answers "hello" to each connection; `requestCert` for mutual TLS. */
async function startServer(options: tls.TlsOptions = {}): Promise<{ port: number; close: () => Promise<void> }> {
  const server = tls.createServer(
    { cert: fs.readFileSync(certs.server.cert), key: fs.readFileSync(certs.server.key), ca: fs.readFileSync(certs.ca), ...options },
    (socket) => {
      socket.on('error', () => {});
      socket.end('hello');
    },
  );
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Connects with the loader's options; resolves with what the server said, or the described TLS failure. */
async function exchange(config: Record<string, unknown>, port: number, host = '127.0.0.1'): Promise<{ reply?: string; failure?: TlsFailure; error?: Error }> {
  const loaded = await new ClientTlsLoader(clientTlsConfigSchema.parse(config)).connectionOptions(host);
  return new Promise((resolve) => {
    const socket = tls.connect({ ...loaded.options, host, port });
    let reply = '';
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
    socket.on('end', () => resolve({ reply }));
    socket.on('error', (error) => {
      // What the test configured, not what the loader made of it: a loader that dropped server_name or the
      // certificate must not be excused by a diagnosis built from its own output.
      const failure = describeTlsError(error, typeof config.server_name === 'string' ? config.server_name : host, config.cert_file !== undefined);
      resolve(failure ? { failure, error } : { error });
    });
  });
}

describe('clientTlsConfigSchema', () => {
  it('fills the defaults', () => {
    assert.deepEqual(clientTlsConfigSchema.parse({}), { insecure_skip_verify: false, min_version: '1.2' });
    assert.equal(clientTlsConfigSchema.parse({ min_version: 1.3 }).min_version, '1.3');
  });

  it('names an unreadable file, a lone cert_file and a bad min_version', () => {
    const missing = path.join(certs.dir, 'nope.pem');
    const result = clientTlsConfigSchema.safeParse({ ca_file: missing, cert_file: certs.client.cert, min_version: '1.1' });
    assert.equal(result.success, false);
    const messages = result.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    assert.ok(
      messages.some((m) => m.startsWith('ca_file: ') && m.includes(missing) && m.includes('ENOENT')),
      messages.join('\n'),
    );
    assert.ok(
      messages.some((m) => m.startsWith('min_version: ')),
      messages.join('\n'),
    );
    const lone = clientTlsConfigSchema.safeParse({ cert_file: certs.client.cert });
    assert.deepEqual(
      lone.error?.issues.map((issue) => issue.path.join('.')),
      ['key_file'],
    );
    assert.match(lone.error!.issues[0]!.message, /cert_file and key_file go together/);
  });

  it('rejects unknown keys', () => {
    assert.equal(clientTlsConfigSchema.safeParse({ ca: certs.ca }).success, false);
  });
});

describe('ClientTlsLoader against a real TLS server', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let mutual: Awaited<ReturnType<typeof startServer>>;
  let tls12: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    server = await startServer();
    mutual = await startServer({ requestCert: true, rejectUnauthorized: true });
    tls12 = await startServer({ maxVersion: 'TLSv1.2' });
  });
  after(() => Promise.all([server.close(), mutual.close(), tls12.close()]));

  it('connects with the CA only, and with a client certificate to a server that requires one', async () => {
    assert.deepEqual(await exchange({ ca_file: certs.ca }, server.port), { reply: 'hello' });
    assert.deepEqual(await exchange({ ca_file: certs.ca, cert_file: certs.client.cert, key_file: certs.client.key }, mutual.port), { reply: 'hello' });
    assert.deepEqual(await exchange({ ca_file: certs.ca, server_name: 'localhost' }, server.port), { reply: 'hello' });
    assert.deepEqual(await exchange({ ca_file: certs.ca }, server.port, 'localhost'), { reply: 'hello' });
  });

  it('explains a certificate from an unknown authority', async () => {
    const { failure } = await exchange({ ca_file: certs.otherCa }, server.port);
    assert.equal(failure?.kind, 'unknown_authority');
    assert.match(failure!.message, /certificate signed by unknown authority/);
  });

  it('explains a server name mismatch with the names the certificate has', async () => {
    const { failure } = await exchange({ ca_file: certs.ca, server_name: 'zk.example.com' }, server.port);
    assert.equal(failure?.kind, 'name_mismatch');
    assert.match(failure!.message, /^server name mismatch: cert for IP Address:127\.0\.0\.1, DNS:localhost, expected zk\.example\.com/);
  });

  // A rejected client certificate is tested against ZooKeeper (test/e2e/zookeeper-tls.test.ts): Node's TLS server
  // drops the connection without an alert, Java's sends one.
  it('explains a missing client certificate (TLS 1.3 and 1.2)', async () => {
    const missing = await exchange({ ca_file: certs.ca }, mutual.port);
    assert.equal(missing.failure?.kind, 'client_cert_required', String(missing.error));
    const mutual12 = await startServer({ requestCert: true, rejectUnauthorized: true, maxVersion: 'TLSv1.2' });
    try {
      const missing12 = await exchange({ ca_file: certs.ca }, mutual12.port);
      assert.equal(missing12.failure?.kind, 'client_cert_required', String(missing12.error));
    } finally {
      await mutual12.close();
    }
  });

  it('explains no common TLS version, and accepts anything with insecure_skip_verify', async () => {
    const { failure, error } = await exchange({ ca_file: certs.ca, min_version: '1.3' }, tls12.port);
    assert.equal(failure?.kind, 'protocol_version', String(error));
    assert.deepEqual(await exchange({ ca_file: certs.otherCa, insecure_skip_verify: true }, server.port), { reply: 'hello' });
  });

  it('is no TLS failure when nothing listens', async () => {
    const { failure, error } = await exchange({ ca_file: certs.ca }, 1);
    assert.equal(failure, undefined);
    assert.equal((error as NodeJS.ErrnoException).code, 'ECONNREFUSED');
  });

  it('re-reads rotated files, keeps the last good material while a rotation is half done', async () => {
    const dir = fs.mkdtempSync(path.join(certs.dir, 'rotate-'));
    const ca = path.join(dir, 'ca.pem');
    fs.copyFileSync(certs.otherCa, ca);
    const loader = new ClientTlsLoader(clientTlsConfigSchema.parse({ ca_file: ca }));
    const first = await loader.load();
    assert.equal(await loader.load(), first, 'unchanged files: the same material, not re-read');
    const port = server.port;
    const connect = async () => {
      const loaded = await loader.connectionOptions('127.0.0.1');
      return new Promise<string>((resolve) => {
        const socket = tls.connect({ ...loaded.options, host: '127.0.0.1', port });
        socket.on('data', () => resolve('ok'));
        socket.on('error', (error) => resolve(describeTlsError(error)?.kind ?? String(error)));
      });
    };
    assert.equal(await connect(), 'unknown_authority');
    fs.copyFileSync(certs.ca, ca);
    fs.utimesSync(ca, new Date(), new Date(Date.now() + 5000));
    const second = await loader.load();
    assert.ok(second.generation > first.generation);
    assert.equal(await connect(), 'ok');
    fs.writeFileSync(ca, 'not a certificate');
    fs.utimesSync(ca, new Date(), new Date(Date.now() + 10_000));
    assert.equal((await loader.load()).generation, second.generation, 'a broken file keeps the previous material');
    assert.equal(await connect(), 'ok');
  });

  it('shares one load between concurrent callers, logs a broken rotation once and does not re-read it', async () => {
    const dir = fs.mkdtempSync(path.join(certs.dir, 'concurrent-'));
    const ca = path.join(dir, 'ca.pem');
    fs.copyFileSync(certs.ca, ca);
    const logs: Record<string, unknown>[] = [];
    const loader = new ClientTlsLoader(
      clientTlsConfigSchema.parse({ ca_file: ca }),
      createLogger('debug', (line) => logs.push(JSON.parse(line) as Record<string, unknown>)),
    );
    const reads = mock.method(fsp, 'readFile');
    try {
      const concurrent = await Promise.all([loader.load(), loader.load(), loader.connectionOptions('127.0.0.1'), loader.load()]);
      assert.equal(reads.mock.callCount(), 1, 'one read for four concurrent first loads');
      assert.ok(concurrent.every((loaded) => loaded.generation === 1 && loaded.options.secureContext === concurrent[0]!.options.secureContext));

      fs.writeFileSync(ca, 'not a certificate');
      fs.utimesSync(ca, new Date(), new Date(Date.now() + 5000));
      for (let i = 0; i < 5; i++) assert.equal((await loader.load()).generation, 1, 'the previous material is kept');
      assert.equal(reads.mock.callCount(), 2, 'the broken file is read once, not at every load');
      const warnings = logs.filter((log) => log.level === 'warn');
      assert.equal(warnings.length, 1, JSON.stringify(logs));
      assert.match(String(warnings[0]!.error), /tls: cannot load .*ca\.pem: .*no PEM certificate/);

      fs.copyFileSync(certs.ca, ca);
      fs.utimesSync(ca, new Date(), new Date(Date.now() + 10_000));
      assert.equal((await loader.load()).generation, 2, 'a fixed file is loaded at the next change');
      assert.deepEqual(
        logs.map((log) => log.level),
        ['warn', 'info'],
      );
    } finally {
      reads.mock.restore();
    }
  });

  it('remembers a failed first load: the same broken files fail again without a re-read', async () => {
    const bad = path.join(certs.dir, 'bad-first.pem');
    fs.writeFileSync(bad, 'garbage');
    const loader = new ClientTlsLoader(withoutChecks({ ca_file: bad }));
    const reads = mock.method(fsp, 'readFile');
    try {
      await assert.rejects(loader.load(), /tls: cannot load .*bad-first\.pem/);
      await assert.rejects(loader.load(), /tls: cannot load .*bad-first\.pem/);
      assert.equal(reads.mock.callCount(), 1);
      fs.copyFileSync(certs.ca, bad);
      assert.equal((await loader.load()).generation, 1, 'loaded once the file changed');
    } finally {
      reads.mock.restore();
    }
  });

  it('fails the first load clearly when a file is not PEM', async () => {
    const bad = path.join(certs.dir, 'bad.pem');
    fs.writeFileSync(bad, 'garbage');
    await assert.rejects(new ClientTlsLoader(withoutChecks({ ca_file: bad })).load(), /tls: cannot load .*bad\.pem/);
  });
});

/** A config naming a file the schema would refuse (not PEM): what the loader meets when a good file goes bad later. */
function withoutChecks(files: { ca_file: string }): ReturnType<typeof clientTlsConfigSchema.parse> {
  return { ...clientTlsConfigSchema.parse({}), ...files };
}
