import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import zookeeper from 'node-zookeeper-client';
import { BehaviorSubject } from 'rxjs';
import { createLogger } from '../../../src/core/logger.js';
import { ensembleTargets } from '../../../src/internal/targets/ensemble.js';
import { OPEN_ACL, ZkClient, type ClientHooks } from '../../../src/internal/zkclient/client.js';
import { socketOpener } from '../../../src/internal/zkclient/dial.js';
import { generateTestCerts, type TestCerts } from '../../harness/certs.js';
import { startEnsemble, type Ensemble } from '../../harness/ensemble.js';
import { pollUntil } from '../../harness/process.js';
import { serverWithUnknownErrorCode } from './unknown-error-server.js';

const quiet: ClientHooks = { unexpected: () => {} };
const inSeconds = (seconds: number) => Date.now() + seconds * 1000;

/** A listener that accepts every connection and drops it at once, counting them: a server that never gives a session. */
async function droppingServer(): Promise<{ endpoint: string; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `127.0.0.1:${(server.address() as net.AddressInfo).port}`, connections: () => connections, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A TCP relay listening on [::1] to a ZooKeeper port on 127.0.0.1, remembering the address family of each client. */
async function ipv6Relay(targetPort: number): Promise<{ endpoint: string; families: string[]; close: () => Promise<void> }> {
  const families: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    families.push(client.remoteFamily ?? '?');
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
  return {
    endpoint: `[::1]:${(server.address() as net.AddressInfo).port}`,
    families,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('shared ZooKeeper client against fakes', () => {
  it('connects to an IPv6 endpoint written [::1]:port (the library alone dials host "[")', async () => {
    const server = await serverWithUnknownErrorCode(-118, '::1');
    const client = new ZkClient({ endpoints: [server.endpoint], sessionTimeoutMs: 10_000 }, quiet);
    try {
      assert.equal(await client.connect(inSeconds(10)), 'connected');
      assert.equal(server.connections(), 1);
    } finally {
      await client.close(0);
      await server.close();
    }
  });

  it('drops the connection on a reply with an error code the library does not know (THROTTLED_OP), without crashing', async () => {
    const server = await serverWithUnknownErrorCode(-127);
    const failures: unknown[] = [];
    const client = new ZkClient({ endpoints: [server.endpoint], sessionTimeoutMs: 10_000 }, { unexpected: (error) => failures.push(error) });
    try {
      assert.equal(await client.connect(inSeconds(10)), 'connected');
      // The request whose reply could not be read is lost with it: it ends at its deadline.
      await assert.rejects(client.getData('/x', inSeconds(1)), { code: 'OPERATION_TIMEOUT' });
      assert.equal(failures.length, 1);
      await pollUntil(() => server.connections() >= 2 || undefined, { timeoutMs: 10_000, what: 'the client to connect again' });
    } finally {
      await client.close(0);
      await server.close();
    }
  });

  it('ensemble discovery survives the same reply from a seed and keeps probing the seeds', async () => {
    const server = await serverWithUnknownErrorCode(-127);
    const lines: string[] = [];
    const logger = createLogger('info', (line) => lines.push(line));
    const lists: string[][] = [];
    const subscription = ensembleTargets(new BehaviorSubject([{ endpoint: server.endpoint, attributes: {} }]), { logger, fallbackAfterMs: 100 }).subscribe((list) =>
      lists.push(list.map((target) => target.endpoint)),
    );
    try {
      await pollUntil(() => lines.some((line) => line.includes('could not read a reply')) || undefined, { timeoutMs: 10_000, what: 'the dropped reply to be logged', context: () => lines.join('\n') });
      await pollUntil(() => server.connections() >= 2 || undefined, { timeoutMs: 10_000, what: 'the seed session to connect again' });
      await pollUntil(() => lists.length > 0 || undefined, { timeoutMs: 10_000, what: 'the fallback to the seeds' });
      assert.deepEqual(lists.at(-1), [server.endpoint]);
    } finally {
      subscription.unsubscribe();
      await server.close();
    }
  });

  it('survives an address whose connection fails at once (ENETUNREACH), retrying and naming the failure', async () => {
    // The kernel refuses TCP to a broadcast address before sending anything: the error comes on the very next tick.
    const client = new ZkClient({ endpoints: ['255.255.255.255:2181'], sessionTimeoutMs: 10_000, spinDelayMs: 20 }, quiet);
    try {
      void client.connect(inSeconds(10));
      const failure = await pollUntil(() => client.lastFailure, { timeoutMs: 10_000, what: 'the failed connection to be named' });
      assert.equal(failure.code, 'CONNECTION_LOSS');
      assert.match(failure.message, /255\.255\.255\.255:2181: .*(ENETUNREACH|EACCES)/);
    } finally {
      await client.close(0);
    }
  });

  it('dials nothing more once closed while it keeps failing to connect', async () => {
    const [server, controlServer] = await Promise.all([droppingServer(), droppingServer()]);
    const client = new ZkClient({ endpoints: [server.endpoint], sessionTimeoutMs: 10_000, spinDelayMs: 20 }, quiet);
    // A twin that stays open paces the check: absence is shown over as many dials as it makes, not over a fixed time.
    const control = new ZkClient({ endpoints: [controlServer.endpoint], sessionTimeoutMs: 10_000, spinDelayMs: 20 }, quiet);
    try {
      void client.connect(inSeconds(10));
      await pollUntil(() => server.connections() >= 3 || undefined, { timeoutMs: 10_000, what: 'repeated connection attempts' });
      await client.close(0);
      const atClose = server.connections();
      void control.connect(inSeconds(30));
      await pollUntil(() => controlServer.connections() >= 10 || undefined, { timeoutMs: 20_000, what: 'ten dials of the open twin' });
      assert.ok(server.connections() <= atClose + 1, `${server.connections() - atClose} connections after close, while an open client dialed ${controlServer.connections()} times`);
    } finally {
      await control.close(0);
      await Promise.all([server.close(), controlServer.close()]);
    }
  });
});

describe('shared ZooKeeper client against a real TLS node', () => {
  let certs: TestCerts;
  let ensemble: Ensemble;
  let secure: string;
  let plain: string;

  before(async () => {
    certs = generateTestCerts();
    ensemble = await startEnsemble({ size: 1, tls: { keyStore: certs.serverPemStore, trustStore: certs.ca, clientAuth: 'need' } });
    await ensemble.waitReady();
    secure = ensemble.nodes[0]!.secureEndpoint!;
    plain = ensemble.nodes[0]!.endpoint;
  });
  after(async () => {
    await ensemble?.stop();
    certs?.remove();
  });

  it('opens a session over mutual TLS (no bridge), reads with a watch that fires on a change', async () => {
    const tls = socketOpener({ ca_file: certs.ca, cert_file: certs.client.cert, key_file: certs.client.key, insecure_skip_verify: false, min_version: '1.2' });
    const client = new ZkClient({ endpoints: [secure], sessionTimeoutMs: 10_000, transport: tls }, quiet);
    try {
      assert.equal(await client.connect(inSeconds(20)), 'connected');
      const path = await client.create('/zkclient-watch', Buffer.from('one'), OPEN_ACL, zookeeper.CreateMode.EPHEMERAL, inSeconds(10));
      let fired: zookeeper.Event | undefined;
      assert.equal((await client.getData(path, inSeconds(10), (event) => (fired = event)))?.toString(), 'one');
      await client.setData(path, Buffer.from('two'), inSeconds(10));
      const event = await pollUntil(() => fired, { timeoutMs: 10_000, what: 'the data watch' });
      assert.equal(event.getName(), 'NODE_DATA_CHANGED');
    } finally {
      await client.close(2000);
    }
    assert.equal(client.state, 'closed');
  });

  it('names a failed handshake (wrong CA) instead of a mere lost connection', async () => {
    const tls = socketOpener({ ca_file: certs.otherCa, cert_file: certs.client.cert, key_file: certs.client.key, insecure_skip_verify: false, min_version: '1.2' });
    const client = new ZkClient({ endpoints: [secure], sessionTimeoutMs: 10_000, transport: tls }, quiet);
    try {
      assert.equal(await client.connect(inSeconds(20)), 'disconnected');
      assert.equal(client.lastFailure?.code, 'TLS_UNKNOWN_AUTHORITY');
    } finally {
      await client.close(0);
    }
  });

  it('reaches the real server over IPv6 ([::1]) through a relay', async () => {
    const relay = await ipv6Relay(Number(plain.split(':')[1]));
    const client = new ZkClient({ endpoints: [relay.endpoint], sessionTimeoutMs: 10_000 }, quiet);
    try {
      assert.equal(await client.connect(inSeconds(20)), 'connected');
      assert.ok(await client.exists('/zookeeper', inSeconds(10)));
      assert.deepEqual(relay.families, ['IPv6']);
    } finally {
      await client.close(2000);
      await relay.close();
    }
  });
});
