import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import zookeeper from 'node-zookeeper-client';
import { BehaviorSubject } from 'rxjs';
import { createLogger } from '../../../src/core/logger.js';
import { ensembleTargets } from '../../../src/internal/targets/ensemble.js';
import { OPEN_ACL, ZkClient, type ClientHooks } from '../../../src/internal/zkclient/client.js';
import { socketOpener, type SocketOpener } from '../../../src/internal/zkclient/dial.js';
import { generateTestCerts, type TestCerts } from '../../harness/certs.js';
import { startEnsemble, type Ensemble } from '../../harness/ensemble.js';
import { startFakeZk } from '../../harness/fake-zk.js';
import { pollUntil } from '../../harness/process.js';
import { VirtualClock } from '../../harness/virtual-time.js';
import { serverWithUnknownErrorCode } from './unknown-error-server.js';

const quiet: ClientHooks = { unexpected: () => {} };
/** A deadline for waits on real servers (the client's default clock is the wall clock). */
const inSeconds = (seconds: number) => Date.now() + seconds * 1000;

/** Whether `promise` has settled, read without waiting. */
function watch<T>(promise: Promise<T>): { readonly settled: boolean; readonly promise: Promise<T> } {
  const state = { settled: false, promise };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

/** A listener that accepts every connection and drops it at once, counting them: a server that never gives a session. */
async function droppingServer(): Promise<{ endpoint: string; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
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
    const clock = new VirtualClock();
    const client = new ZkClient(
      { endpoints: [server.endpoint], sessionTimeoutMs: 10_000, scheduler: clock.scheduler },
      { unexpected: (error) => failures.push(error) },
    );
    try {
      // Virtual time stands still while the real socket connects.
      const connecting = client.connect(clock.now + 10_000);
      await pollUntil(() => client.state === 'connected' || undefined, { timeoutMs: 10_000, what: 'the session' });
      assert.equal(await connecting, 'connected');
      // The request whose reply could not be read is lost with it: it ends at its deadline, on the client's clock.
      const reading = watch(client.getData('/x', clock.now + 1000));
      await pollUntil(() => failures.length === 1 || undefined, { timeoutMs: 10_000, what: 'the unreadable reply' });
      await clock.advance(999);
      assert.equal(reading.settled, false, 'still waiting 1 ms before its deadline');
      await clock.advance(1);
      await assert.rejects(reading.promise, { code: 'OPERATION_TIMEOUT' });
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
    const subscription = ensembleTargets(new BehaviorSubject([{ endpoint: server.endpoint, attributes: {} }]), { logger, fallbackAfterMs: 100 }).subscribe(
      (list) => lists.push(list.map((target) => target.endpoint)),
    );
    try {
      await pollUntil(() => lines.some((line) => line.includes('could not read a reply')) || undefined, {
        timeoutMs: 10_000,
        what: 'the dropped reply to be logged',
        context: () => lines.join('\n'),
      });
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
      assert.ok(
        server.connections() <= atClose + 1,
        `${server.connections() - atClose} connections after close, while an open client dialed ${controlServer.connections()} times`,
      );
    } finally {
      await control.close(0);
      await Promise.all([server.close(), controlServer.close()]);
    }
  });
});

describe('shared ZooKeeper client deadlines in virtual time', () => {
  it('connect() resolves with "connecting" at its deadline when the server never answers the handshake', async () => {
    const server = await startFakeZk({ kind: 'hang' });
    const clock = new VirtualClock();
    const client = new ZkClient({ endpoints: [server.endpoint], sessionTimeoutMs: 30_000, scheduler: clock.scheduler }, quiet);
    try {
      const connecting = watch(client.connect(2000));
      await pollUntil(() => server.commands.length > 0 || undefined, { timeoutMs: 10_000, what: 'the handshake to reach the server' });
      await clock.advance(1999);
      assert.equal(connecting.settled, false, 'still waiting 1 ms before the deadline');
      await clock.advance(1);
      assert.equal(await connecting.promise, 'connecting');
    } finally {
      await client.close(0);
      await server.close();
    }
  });

  it('gives up a connection attempt after the connect timeout on its scheduler (session timeout / servers), then dials again', async () => {
    const clock = new VirtualClock();
    const sockets: net.Socket[] = [];
    // Sockets that never connect: what a client sees of a server behind a firewall that drops packets.
    const silent: SocketOpener = {
      secure: false,
      open: async () => ({ start: () => sockets[sockets.push(new net.Socket()) - 1]!, readyEvent: 'connect' }),
    };
    const client = new ZkClient(
      { endpoints: ['192.0.2.1:2181', '192.0.2.2:2181'], sessionTimeoutMs: 8000, spinDelayMs: 0, transport: silent, scheduler: clock.scheduler },
      quiet,
    );
    try {
      void client.connect(60_000);
      await pollUntil(() => sockets.length === 1 || undefined, { timeoutMs: 10_000, what: 'a first connection attempt' });
      await clock.advance(3999);
      assert.equal(sockets[0]!.destroyed, false, 'the attempt still runs 1 ms before 8000 / 2 ms');
      await clock.advance(1);
      assert.equal(sockets[0]!.destroyed, true);
      await pollUntil(() => sockets.length === 2 || undefined, { timeoutMs: 10_000, what: 'the next server to be dialed' });
    } finally {
      await client.close(0);
    }
    assert.equal(sockets.length, 2, 'no dial after close');
    assert.ok(sockets.every((socket) => socket.destroyed));
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
    const tls = socketOpener({
      ca_file: certs.otherCa,
      cert_file: certs.client.cert,
      key_file: certs.client.key,
      insecure_skip_verify: false,
      min_version: '1.2',
    });
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
