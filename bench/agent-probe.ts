/**
 * Preloaded into the real agent (node --import agent-probe.js dist/src/cli.js) by the load bench: reports the
 * agent's own CPU, RSS and event-loop delay over IPC without changing the agent. {reset} starts a window;
 * {report} answers {cpuMs, rssMb, peakRssMb, eventLoopP99Ms, eventLoopMaxMs} for the window.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

if (process.send) {
  const RESOLUTION_MS = 10;
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  let cpuAtReset = process.cpuUsage();
  let peakRss = 0;
  const sampleRss = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 200);
  sampleRss.unref();
  // The IPC channel must not keep the agent alive once it shuts down, and the agent stops when the bench goes away.
  process.channel?.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  process.on('message', (message: { reset?: true; report?: true }) => {
    if (message.reset) {
      cpuAtReset = process.cpuUsage();
      delay.reset();
      peakRss = process.memoryUsage.rss();
      process.send!({ reset: true });
    } else if (message.report) {
      const cpu = process.cpuUsage(cpuAtReset);
      // The histogram times a timer repeating every RESOLUTION_MS: the delay is what comes on top of that.
      const lagMs = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
      const rss = process.memoryUsage.rss();
      const { heapUsed, heapTotal, external } = process.memoryUsage();
      process.send!({
        heapUsedMb: heapUsed / 1e6,
        heapTotalMb: heapTotal / 1e6,
        externalMb: external / 1e6,
        cpuMs: (cpu.user + cpu.system) / 1000,
        rssMb: rss / 1e6,
        peakRssMb: Math.max(peakRss, rss) / 1e6,
        eventLoopP99Ms: lagMs(delay.percentile(99)),
        eventLoopMaxMs: lagMs(delay.max),
      });
    }
  });
}
