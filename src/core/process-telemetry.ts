import { monitorEventLoopDelay } from 'node:perf_hooks';
import { AGENT_VERSION } from '../version.js';
import type { SelfTelemetry } from './telemetry.js';

const RESOLUTION_MS = 10;

/** The agent process's own health: CPU, memory, event-loop lag, and what is running. */
export function registerProcessTelemetry(telemetry: SelfTelemetry): () => void {
  const cpu = telemetry.counter('zkotel.process.cpu_seconds', {
    unit: 's',
    valueType: 'double',
    description: 'CPU time the agent process has used (user + system), in seconds.',
  });
  let cpuSeenUs = 0;
  const memory = telemetry.gauge('zkotel.process.memory.bytes', {
    unit: 'By',
    valueType: 'int',
    description: 'Memory of the agent process, by kind (rss, heap_used, heap_total, external).',
  });
  const lag = telemetry.gauge('zkotel.process.eventloop.lag.seconds', {
    unit: 's',
    description: 'Event-loop delay of the agent since the previous scrape, by statistic (mean, p99, max).',
  });
  const build = telemetry.gauge('zkotel.build.info', { valueType: 'int', description: 'The zkotel version and Node.js version running, value 1.' });
  build({ version: AGENT_VERSION, node_version: process.version }, 1);
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  // The histogram times a timer repeating every RESOLUTION_MS: the lag is what comes on top of that.
  const lagSeconds = (nanoseconds: number) => Math.max(0, nanoseconds / 1e6 - RESOLUTION_MS) / 1000;
  delay.enable();
  telemetry.onSnapshot(() => {
    const usage = process.cpuUsage();
    cpu({}, (usage.user + usage.system - cpuSeenUs) / 1e6);
    cpuSeenUs = usage.user + usage.system;
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    for (const [kind, bytes] of [
      ['rss', rss],
      ['heap_used', heapUsed],
      ['heap_total', heapTotal],
      ['external', external],
    ] as const)
      memory({ kind }, bytes);
    if (delay.count > 0) {
      lag({ statistic: 'mean' }, lagSeconds(delay.mean));
      lag({ statistic: 'p99' }, lagSeconds(delay.percentile(99)));
      lag({ statistic: 'max' }, lagSeconds(delay.max));
    }
    delay.reset();
  });
  return () => delay.disable();
}
