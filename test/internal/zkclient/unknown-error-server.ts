import net from 'node:net';

/**
 * Speaks just enough of ZooKeeper's protocol to give a session, then answers every request with SESSIONMOVED
 * (-118 by default), an error code ZooKeeper 3.5+ sends that node-zookeeper-client 1.1.3 does not know: its reply parser
 * throws inside a socket event. A real server sends it only in a race (a session moved between servers), so
 * a fake stands in here.
 */
export async function serverWithUnknownErrorCode(
  errorCode = -118,
  host = '127.0.0.1',
): Promise<{ endpoint: string; connections: () => number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    connections += 1;
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
        reply.writeInt32BE(xid === -2 ? 0 : errorCode, 12);
        socket.write(framed(reply));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    endpoint: `${host.includes(':') ? `[${host}]` : host}:${(server.address() as net.AddressInfo).port}`,
    connections: () => connections,
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
