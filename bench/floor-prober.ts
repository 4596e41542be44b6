/**
 * The floor the agent's probe cost is compared with: the least a Node prober can do per `mntr` probe. One bare
 * socket per probe (connect, write `mntr`, collect the reply, split it into lines, read each value as a number),
 * on the same schedule as the agent (every target once per interval), with nothing kept. Started by the load
 * bench with the agent-probe preloaded, so its CPU is measured the same way. Env: TARGETS, PORT, INTERVAL_MS.
 */
import net from 'node:net';
import { targetAddress } from './fake-zookeeper.js';

const targets = Number(process.env.TARGETS);
const port = Number(process.env.PORT);
const intervalMs = Number(process.env.INTERVAL_MS);
let keys = 0;

function probe(host: string): void {
  const chunks: Buffer[] = [];
  const socket = net.connect({ host, port }, () => socket.write('mntr'));
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  socket.on('close', () => {
    for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
      const tab = line.indexOf('\t');
      if (tab > 0 && !Number.isNaN(Number(line.slice(tab + 1)))) keys++;
    }
  });
}

for (let i = 0; i < targets; i++) {
  const host = targetAddress(i);
  setTimeout(() => setInterval(() => probe(host), intervalMs), (i * intervalMs) / targets);
}
process.on('SIGTERM', () => process.exit(keys >= 0 ? 0 : 1));
