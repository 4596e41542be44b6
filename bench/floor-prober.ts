/**
 * The floor the agent's probe cost is compared with: the least a Node prober can do per probe. One bare socket
 * per command (connect, write it, collect the reply; for `mntr`, split it into lines and read each value as a
 * number), on the same schedule as the agent (every target once per interval), with nothing kept. Started by the
 * load bench with the agent-probe preloaded, so its CPU is measured the same way.
 * Env: TARGETS, PORT, INTERVAL_MS, COMMANDS (comma-separated, default mntr).
 */
import net from 'node:net';
import { targetAddress } from './fake-zookeeper.js';

const targets = Number(process.env.TARGETS);
const port = Number(process.env.PORT);
const intervalMs = Number(process.env.INTERVAL_MS);
const commands = (process.env.COMMANDS ?? 'mntr').split(',');
let keys = 0;

function exchange(host: string, command: string): void {
  const chunks: Buffer[] = [];
  const socket = net.connect({ host, port }, () => socket.write(command));
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  socket.on('close', () => {
    const reply = Buffer.concat(chunks).toString('utf8');
    if (command !== 'mntr') keys += reply.length > 0 ? 1 : 0;
    else
      for (const line of reply.split('\n')) {
        const tab = line.indexOf('\t');
        if (tab > 0 && !Number.isNaN(Number(line.slice(tab + 1)))) keys++;
      }
  });
}

for (let i = 0; i < targets; i++) {
  const host = targetAddress(i);
  setTimeout(() => setInterval(() => commands.forEach((command) => exchange(host, command)), intervalMs), (i * intervalMs) / targets);
}
process.on('SIGTERM', () => process.exit(keys >= 0 ? 0 : 1));
