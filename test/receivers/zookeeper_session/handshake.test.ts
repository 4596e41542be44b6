import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type net from 'node:net';
import { dialer, socketOpener, type Dial } from '../../../src/internal/zkclient/dial.js';
import { askServer } from '../../../src/receivers/zookeeper_session/handshake.js';
import { startFakeZk } from '../../harness/fake-zk.js';
import { pollUntil } from '../../harness/process.js';
import { VirtualClock } from '../../harness/virtual-time.js';
import { serverWithUnknownErrorCode } from '../../internal/zkclient/unknown-error-server.js';

describe('askServer in virtual time', () => {
  it('a server that accepts the connection and never answers the handshake: OPERATION_TIMEOUT at the deadline on the scheduler', async () => {
    const server = await startFakeZk({ kind: 'hang' });
    const clock = new VirtualClock();
    try {
      let verdict: Awaited<ReturnType<typeof askServer>> | undefined;
      const asking = askServer(dialer(socketOpener(undefined), clock.scheduler), { host: server.host, port: server.port }, 10_000, 3000, clock.scheduler).then(
        (v) => (verdict = v),
      );
      // Virtual time stands still while the real socket connects and the ConnectRequest goes out.
      await pollUntil(() => server.commands.length > 0 || undefined, { timeoutMs: 10_000, what: 'the ConnectRequest to reach the server' });
      await clock.advance(2999);
      assert.equal(verdict, undefined, 'still waiting 1 ms before the deadline');
      await clock.advance(1);
      await asking;
      assert.deepEqual(verdict, {
        kind: 'failed',
        code: 'OPERATION_TIMEOUT',
        message: 'the server accepted the connection but did not answer the session handshake in time',
      });
      await pollUntil(() => server.open === 0 || undefined, { timeoutMs: 10_000, what: 'the connection to be dropped' });
    } finally {
      await server.close();
    }
  });

  it('a server that gives a session: "serving"; the session is closed, and the socket dropped a second later if the server keeps it open', async () => {
    // This fake answers the close request like any other (an error reply) and never closes the connection.
    const server = await serverWithUnknownErrorCode();
    const clock = new VirtualClock();
    let socket: net.Socket | undefined;
    const dial = dialer(socketOpener(undefined), clock.scheduler);
    const keepingSocket: Dial = async (address, timeoutMs) => (socket = await dial(address, timeoutMs));
    try {
      const [host, port] = server.endpoint.split(':') as [string, string];
      assert.deepEqual(await askServer(keepingSocket, { host, port: Number(port) }, 10_000, 3000, clock.scheduler), { kind: 'serving' });
      await clock.advance(999);
      assert.equal(socket!.destroyed, false, 'still open 1 ms before the second is up');
      await clock.advance(1);
      assert.equal(socket!.destroyed, true);
    } finally {
      await server.close();
    }
  });
});
