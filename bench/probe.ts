/**
 * End-to-end cost of one probe against a real ZooKeeper (1-node ensemble from the test harness):
 * mntr + ruok + srvr, each on its own connection, then mapping to samples. Sequential, as one endpoint's loop is.
 * Run: node dist/bench/probe.js   (PROBES=n to change the count; default 500)
 */
import fs from 'node:fs';
import { probeEndpoint } from '../src/receivers/zookeeper/probe.js';
import { FourLetterWordTransport } from '../src/receivers/zookeeper/transport.js';
import { SampleMapper } from '../src/receivers/zookeeper/samples.js';
import { startEnsemble } from '../test/harness/ensemble.js';
import { fmt, percentile, runAsync } from './measure.js';

const PROBES = Number(process.env.PROBES ?? 500);

/** utime + stime of a process in ms, from /proc (Linux); undefined elsewhere. */
function processCpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

const ensemble = await startEnsemble({ size: 1 });
try {
  await ensemble.waitReady();
  const node = ensemble.nodes[0]!;
  const mapper = new SampleMapper(Object.freeze({ 'zk.endpoint': node.endpoint }));
  const signal = new AbortController().signal;
  // As the receiver does: one transport per endpoint, for the life of the loop (each command still opens its own connection).
  const transport = new FourLetterWordTransport({ host: '127.0.0.1', port: node.clientPort });
  let failed = 0;
  let version: string | undefined;
  const probe = async () => {
    const outcome = await probeEndpoint({ commands: ['mntr', 'ruok', 'srvr'], timeoutMs: 5000, maxBytes: 1 << 20, signal, transport });
    if (outcome.failures.length > 0) failed++;
    version = outcome.replies.srvr?.version?.split('-')[0]; // Debian's build says '3.8.0-${mvngit.commit.id}'
    return mapper.toSamples(outcome, 0);
  };
  const jvmBefore = processCpuMs(node.pid);
  const timing = await runAsync(probe, { warmup: 50, minIterations: PROBES, minMs: 0 });
  const jvmAfter = processCpuMs(node.pid);
  transport.close();
  if (failed > 0) throw new Error(`${failed} probes had failures; figures would be meaningless`);
  const label = `probe mntr+ruok+srvr (real ZooKeeper ${version ?? '?'}, 1 node, loopback, ${timing.last.length} samples, ${timing.iterations} sequential)`;
  console.log(`${label}: ${fmt(timing.cpuUs)} µs Node CPU/probe (user+system)`);
  console.log(
    `${label}: wall p50 ${fmt(percentile(timing.latenciesUs, 50) / 1000, 2)} ms, p99 ${fmt(percentile(timing.latenciesUs, 99) / 1000, 2)} ms, ${fmt(timing.opsPerSec, 0)} probes/s`,
  );
  if (jvmBefore !== undefined && jvmAfter !== undefined) {
    console.log(
      `${label}: ${fmt(((jvmAfter - jvmBefore) * 1000) / timing.iterations, 0)} µs ZooKeeper JVM CPU/probe (incl. its background threads, 10 ms resolution)`,
    );
  }
} finally {
  await ensemble.stop();
}
