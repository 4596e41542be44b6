import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { pollUntil } from '../../harness/process.js';
import { runReceiver } from './run.js';

/**
 * Speaks just enough of ZooKeeper's protocol to give a session, then answers every request with SESSIONMOVED
 * (-118), an error code ZooKeeper 3.5+ sends that node-zookeeper-client 1.1.3 does not know: its reply parser
 * throws inside a socket event. A real server sends it only in a race (a session moved between servers), so
 * a fake stands in here.
 */
async function serverWithUnknownErrorCode(): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let buffered = Buffer.alloc(0);
    let handshaken = false;
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const frame = buffered.subarray(4, 4 + buffered.readInt32BE(0));
        buffered = buffered.subarray(4 + frame.length);
        if (!handshaken) {
          handshaken = true;
          const body = Buffer.alloc(36); // protocolVersion, timeOut, sessionId, passwd (16 bytes)
          body.writeInt32BE(10_000, 4);
          body.writeInt32BE(1, 12);
          body.writeInt32BE(16, 16);
          socket.write(framed(body));
          continue;
        }
        const xid = frame.readInt32BE(0);
        const reply = Buffer.alloc(16); // xid, zxid, err
        reply.writeInt32BE(xid, 0);
        reply.writeInt32BE(xid === -2 ? 0 : -118, 12);
        socket.write(framed(reply));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function framed(body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length, 0);
  return Buffer.concat([length, body]);
}

describe('zookeeper_session receiver and node-zookeeper-client failures', () => {
  const servers: { close: () => Promise<void> }[] = [];
  after(() => Promise.all(servers.map((server) => server.close())));

  it('survives a reply the library cannot parse: the connection is dropped and counted, the agent keeps running', async () => {
    const server = await serverWithUnknownErrorCode();
    servers.push(server);
    const receiver = runReceiver({ endpoint: server.endpoint, collection_interval: '100ms', timeout: '300ms', replication_lag: { enabled: false } });
    try {
      await pollUntil(() => (receiver.batches.get(server.endpoint)?.length ?? 0) >= 3, { timeoutMs: 20_000, what: 'three rounds', context: () => receiver.logText() });
      assert.ok(receiver.logs.some((log) => log.msg === 'session dropped: the ZooKeeper client could not read a reply'), receiver.logText());
      const errors = receiver.latest(server.endpoint)!.samples.filter((s) => s.metric.name === 'zookeeper.client.operation.errors');
      assert.ok(errors.length > 0, 'the failed rounds are counted');
    } finally {
      await receiver.stop();
    }
  });
});
