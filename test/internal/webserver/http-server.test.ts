/** The agent's HTTP servers under connection floods: a cap per server, a descriptor share, quick header deadlines. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import {
  DESCRIPTOR_SHARE,
  HEADERS_TIMEOUT_MS,
  limitConnections,
  listen,
  closeServer,
  serverOptions,
  softOpenFilesLimit,
} from '../../../src/internal/webserver/http-server.js';
import { classifySocketError } from '../../../src/receivers/zookeeper/four-letter-word.js';
import { freePort } from '../../harness/ports.js';
import { pollUntil } from '../../harness/process.js';

describe('HTTP server limits', () => {
  it('caps connections at the configured number, and at a share of a low open-files limit', () => {
    const server = createServer();
    assert.equal(limitConnections(server, 64, 65536), 64);
    assert.equal(server.maxConnections, 64);
    assert.equal(limitConnections(server, 64, 256), 256 * DESCRIPTOR_SHARE, 'a low limit keeps descriptors for the probes');
    assert.equal(limitConnections(server, 64, 16), 4, 'never below 4');
    assert.equal(limitConnections(server, 10, undefined), 10);
    assert.ok((softOpenFilesLimit() ?? 1) > 0);
  });

  it('closes connections past the cap at once, and drops a slowloris client after the header deadline', async () => {
    const port = await freePort();
    const server = createServer(serverOptions(), (_request, response) => response.end('ok'));
    limitConnections(server, 3, undefined);
    await listen(server, { host: '127.0.0.1', port }, `127.0.0.1:${port}`);
    const sockets: Socket[] = [];
    try {
      // Slowloris: request line and one header, then nothing.
      for (let i = 0; i < 3; i++) {
        const socket = connect(port, '127.0.0.1');
        socket.resume(); // reads the 408, so the close completes
        await once(socket, 'connect');
        socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
        sockets.push(socket);
      }
      await pollUntil(async () => (await connections(server)) === 3, { timeoutMs: 5000, what: 'three slowloris connections' });
      const extra = connect(port, '127.0.0.1');
      sockets.push(extra);
      await once(extra, 'close');
      assert.equal(await connections(server), 3, 'the fourth connection was closed on accept');

      const started = Date.now();
      await Promise.all(sockets.slice(0, 3).map((socket) => (socket.closed ? undefined : once(socket, 'close'))));
      const held = Date.now() - started;
      assert.ok(held < HEADERS_TIMEOUT_MS + 3000, `slowloris connections held ${held} ms`);
      const response = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(await response.text(), 'ok');
    } finally {
      for (const socket of sockets) socket.destroy();
      await closeServer(server);
    }
  });

  it('a probe that finds no file descriptor left says so, with its own reason', () => {
    const error = Object.assign(new Error('connect EMFILE 127.0.0.1:2181 - Local (undefined:undefined)'), { code: 'EMFILE' });
    const failure = classifySocketError('mntr', error);
    assert.equal(failure.reason, 'descriptors_exhausted');
    assert.doesNotMatch(failure.message, /undefined/);
    assert.match(failure.message, /open-files limit/);
  });
});

function connections(server: import('node:http').Server): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}
