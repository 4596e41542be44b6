/**
 * Fake ZooKeeper client ports for the load bench, in a process of its own so its CPU is not the agent's.
 * Target i listens on 127.1.<i / 250>.<i % 250 + 1>:PORT (thousands of loopback addresses, one port below 32768)
 * and answers like a ZooKeeper 3.8 follower: `mntr` with the real fixture, `ruok` with `imok`, then closes.
 * Driven over IPC (child_process.fork): {start: {count, port, mntr}} → {listening} | {failed}; {reset} → counts
 * from now on; {report} → {mntr, ruok, probedTargets}.
 */
import net from 'node:net';

export const targetAddress = (index: number): string => `127.1.${Math.floor(index / 250)}.${(index % 250) + 1}`;

interface StartMessage {
  readonly start: { readonly count: number; readonly port: number; readonly mntr: string };
}

if (process.send) {
  // The bench went away (killed, crashed): so do its targets.
  process.on('disconnect', () => process.exit(0));
  let mntrCount = 0;
  let ruokCount = 0;
  let probed = new Uint8Array(0);
  const servers: net.Server[] = [];
  const serve = (index: number, replies: Record<string, Buffer>): net.Server =>
    net.createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', (chunk: Buffer) => {
        const command = chunk.toString('latin1', 0, 4);
        if (command === 'mntr') {
          mntrCount++;
          probed[index] = 1;
        } else if (command === 'ruok') ruokCount++;
        socket.end(replies[command] ?? '');
      });
    });
  process.on('message', (message: StartMessage | { reset: true } | { report: true } | { stop: true }) => {
    if ('start' in message) {
      const { count, port, mntr } = message.start;
      const replies = { mntr: Buffer.from(mntr), ruok: Buffer.from('imok') };
      probed = new Uint8Array(count);
      let listening = 0;
      let failed = false;
      for (let i = 0; i < count; i++) {
        const server = serve(i, replies);
        servers.push(server);
        server.once('error', (error) => {
          if (!failed) process.send!({ failed: `${targetAddress(i)}:${port}: ${error.message}` });
          failed = true;
        });
        server.listen({ host: targetAddress(i), port, backlog: 2048 }, () => {
          if (++listening === count) process.send!({ listening: count });
        });
      }
    } else if ('reset' in message) {
      mntrCount = ruokCount = 0;
      probed.fill(0);
      process.send!({ reset: true });
    } else if ('report' in message) {
      process.send!({ mntr: mntrCount, ruok: ruokCount, probedTargets: probed.reduce((sum, seen) => sum + seen, 0) });
    } else {
      for (const server of servers) server.close();
      process.exit(0);
    }
  });
}
