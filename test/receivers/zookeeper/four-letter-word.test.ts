/**
 * The plain four-letter-word exchange against in-process servers: how the reply is read (one static buffer for every
 * connection) and when the deadline counts. Servers that hang, garble or flood are in receiver.test.ts (fake-zk).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { ProbeError, sendFourLetterWord } from '../../../src/receivers/zookeeper/four-letter-word.js';
import { probeEndpoint } from '../../../src/receivers/zookeeper/probe.js';
import { FourLetterWordTransport } from '../../../src/receivers/zookeeper/transport.js';
import { freePort } from '../../harness/ports.js';

const servers: net.Server[] = [];
after(() => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))));

/** A server that calls `answer` with each connection once its command arrived; resolves its port. */
async function serve(answer: (socket: net.Socket, command: string) => void): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (chunk: Buffer) => answer(socket, chunk.toString('latin1')));
  });
  servers.push(server);
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port }, resolve));
  return port;
}

const NO_STOP = new AbortController().signal;

describe('four-letter-word exchange', () => {
  it('reads replies longer than its read buffer, with multi-byte characters split between reads', async () => {
    // 3-byte characters over 192 KB: reads of at most 64 KB end inside a character.
    const reply = '€'.repeat(65_536) + '\n';
    const port = await serve((socket) => socket.end(reply));
    assert.equal(await sendFourLetterWord('envi', { host: '127.0.0.1', port, signal: NO_STOP, maxBytes: 1 << 20 }), reply);
  });

  it('keeps concurrent exchanges apart although they share one read buffer', async () => {
    const port = await serve((socket, command) => socket.end(`${command}:`.repeat(20_000)));
    const commands = ['mntr', 'ruok', 'srvr', 'stat', 'envi', 'conf', 'cons', 'wchs'];
    const replies = await Promise.all(commands.map((command) => sendFourLetterWord(command, { host: '127.0.0.1', port, signal: NO_STOP, maxBytes: 1 << 20 })));
    assert.deepEqual(
      replies,
      commands.map((command) => `${command}:`.repeat(20_000)),
    );
  });

  it('refuses a reply past max_response_bytes as too_large', async () => {
    const port = await serve((socket) => socket.end('x'.repeat(5000)));
    await assert.rejects(
      sendFourLetterWord('mntr', { host: '127.0.0.1', port, signal: NO_STOP, maxBytes: 4999 }),
      (error: unknown) => error instanceof ProbeError && error.reason === 'too_large',
    );
  });

  it('counts a reply that reached the socket before the deadline even when the agent was stalled past it', async () => {
    // The server answers, then blocks this process (the agent too) past the probe's deadline, as a long scrape or a
    // starved CPU would: when the loop runs again, the deadline timer is due and the reply is unread in the socket.
    // Blocking once the server's side is shut down: the reply and its end are both in the agent's socket by then.
    const port = await serve((socket) =>
      socket.end('imok', () => {
        const until = performance.now() + 300;
        while (performance.now() < until);
      }),
    );
    const transport = new FourLetterWordTransport({ host: '127.0.0.1', port });
    const outcome = await probeEndpoint({ commands: ['ruok'], timeoutMs: 100, maxBytes: 1024, signal: NO_STOP, transport });
    assert.deepEqual(
      outcome.failures.map((failure) => failure.error.reason),
      [],
    );
    assert.equal(outcome.replies.ruok, true);
  });

  it('still times out a server that does not answer', async () => {
    const port = await serve(() => {});
    const transport = new FourLetterWordTransport({ host: '127.0.0.1', port });
    const outcome = await probeEndpoint({ commands: ['ruok', 'mntr'], timeoutMs: 100, maxBytes: 1024, signal: NO_STOP, transport });
    assert.deepEqual(
      outcome.failures.map((failure) => [failure.command, failure.error.reason]),
      [
        ['ruok', 'timeout'],
        ['mntr', 'timeout'],
      ],
    );
  });
});
