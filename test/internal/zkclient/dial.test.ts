import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { dialer, type SocketOpener } from '../../../src/internal/zkclient/dial.js';
import { VirtualClock } from '../../harness/virtual-time.js';

/** An opener whose sockets are never connected unless the test says so: what a dial sees of a silent network. */
function scriptedOpener(): { opener: SocketOpener; sockets: net.Socket[] } {
  const sockets: net.Socket[] = [];
  const opener: SocketOpener = {
    secure: false,
    open: async () => ({
      start: () => {
        const socket = new net.Socket();
        sockets.push(socket);
        return socket;
      },
      readyEvent: 'connect',
    }),
  };
  return { opener, sockets };
}

const ADDRESS = { host: '127.0.0.1', port: 2181 };

describe('dialer in virtual time', () => {
  it('fails with OPERATION_TIMEOUT at the timeout on its scheduler, and drops the socket', async () => {
    const clock = new VirtualClock();
    const { opener, sockets } = scriptedOpener();
    const dialing = dialer(opener, clock.scheduler)(ADDRESS, 5000);
    await assert.rejects(clock.until(dialing, 10_000), { code: 'OPERATION_TIMEOUT', message: 'no connection to 127.0.0.1:2181 within 5000 ms' });
    assert.equal(clock.now, 5000);
    assert.equal(sockets[0]!.destroyed, true);
  });

  it('hands over a socket that connects in time; its timeout does not fire later', async () => {
    const clock = new VirtualClock();
    const { opener, sockets } = scriptedOpener();
    const dialing = dialer(opener, clock.scheduler)(ADDRESS, 5000);
    await clock.advance(4999);
    sockets[0]!.emit('connect');
    assert.equal(await dialing, sockets[0]);
    await clock.advance(10_000);
    assert.equal(sockets[0]!.destroyed, false);
    sockets[0]!.destroy();
  });
});
