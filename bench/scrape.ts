/**
 * Cost of serving `/metrics` from the Prometheus exporter, with the snapshot of 3, 50, 200 and 1,000 endpoints,
 * each one batch made from the real 3.8.0 leader mntr fixture, asking for gzip as Prometheus does: an unchanged
 * snapshot (the body reused), one endpoint's batch new before each scrape (with the event-loop delay meanwhile),
 * and every endpoint's batch new (a whole body made from fresh renderings). The HTTP client runs in this process,
 * so the CPU figure is server + a minimal keep-alive client (which only collects the body's bytes). Then, from a
 * rendered snapshot of the same batches outside the exporter: the bytes of its renderings per endpoint and the
 * CPU of copying a whole body in chunks of CHUNK_BYTES families as body.ts does, into one reused buffer (no gzip,
 * HTTP, fresh memory or garbage: the part rendering.ts decides).
 * Run: node dist/bench/scrape.js  (SCRAPE_SIZES=200,1000 for some sizes only)
 */
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import { prometheusExporterConfigSchema } from '../src/exporters/prometheus/config.js';
import { PrometheusExporter } from '../src/exporters/prometheus/exporter.js';
import { CHUNK_BYTES } from '../src/exporters/prometheus/body.js';
import { copyFamilies, familiesLength, FragmentRenderer, RenderedSnapshot, type RenderedBatch } from '../src/exporters/prometheus/rendering.js';
import type { Batch } from '../src/core/batch.js';
import { parseMntr } from '../src/receivers/zookeeper/parse.js';
import { SampleMapper } from '../src/receivers/zookeeper/samples.js';
import { freePort } from '../test/harness/ports.js';
import { fmt, fmtBytes, percentile, runAsync } from './measure.js';
import { readMntrFixture } from '../test/harness/fixtures.js';
import { testSettings } from '../test/harness/settings.js';

const reply = readMntrFixture('mntr-3.8.0-leader.txt');
// parseHostPort rejects port 0, so the exporter cannot pick its own port: take a free one.
const config = prometheusExporterConfigSchema.parse({ endpoint: `127.0.0.1:${await freePort()}` });
const exporter = new PrometheusExporter(testSettings('prometheus'), config);
await exporter.start();
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers: { 'accept-encoding': 'gzip' } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => (response.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`GET ${url}: HTTP ${response.statusCode}`))));
        response.on('error', reject);
      })
      .on('error', reject);
  });
}

const mappers: SampleMapper[] = [];
function feed(endpoints: number, from = 0, consume = (batch: Batch) => exporter.consume(batch)): void {
  const now = Date.now();
  for (let i = from; i < endpoints; i++) {
    const endpoint = `zk-${i}.example:2181`;
    mappers[i] ??= new SampleMapper(Object.freeze({ 'zk.endpoint': endpoint }));
    const samples = mappers[i]!.toSamples({ replies: { mntr: parseMntr(reply) }, failures: [], durationMs: 2.5 }, 0);
    consume({ source: `zookeeper|${endpoint}`, timeMs: now, startTimeMs: now - 60_000, samples });
  }
}

/** The renderings' bytes per endpoint, and the CPU of copying whole bodies from them (p50 of 15). */
function assembly(endpoints: number): string {
  const snapshot = new RenderedSnapshot(new FragmentRenderer({ namespace: '', constantLabels: {} }));
  const rendered: RenderedBatch[] = [];
  feed(endpoints, 0, (batch) => rendered.push(snapshot.renderer.render(batch)));
  feed(endpoints, 0, (batch) => snapshot.put(batch));
  const capture = snapshot.capture()!;
  const families = capture.layout.names.length;
  // Chunks as body.ts makes them: families up to CHUNK_BYTES, at least one.
  const eachChunk = (each: (from: number, to: number, size: number) => void) => {
    for (let from = 0, to = 0; from < families; from = to) {
      let size = 0;
      for (; to < families && (to === from || size < CHUNK_BYTES); to++) size += familiesLength(capture, to, to + 1);
      each(from, to, size);
    }
  };
  let largest = 0;
  eachChunk((from, to, size) => (largest = Math.max(largest, size)));
  const chunk = Buffer.alloc(largest);
  const cpu: number[] = [];
  for (let i = 0; i < 18; i++) {
    const started = process.cpuUsage();
    eachChunk((from, to) => copyFamilies(capture, from, to, chunk, 0));
    const { user, system } = process.cpuUsage(started);
    if (i >= 3) cpu.push((user + system) / 1000);
  }
  cpu.sort((a, b) => a - b);
  const bytes = rendered.reduce((sum, { bytes }) => sum + bytes.byteLength, 0) / endpoints;
  return `renderings ${fmtBytes(bytes)} per endpoint; a whole body copied in chunks in ${fmt(percentile(cpu, 50), 1)} ms CPU (p50, min ${fmt(cpu[0]!, 1)})`;
}

try {
  const url = `http://${exporter.address}${config.path}`;
  // SCRAPE_SIZES=200,1000: only some snapshot sizes.
  for (const endpoints of process.env.SCRAPE_SIZES?.split(',').map(Number) ?? [3, 50, 200, 1000]) {
    feed(endpoints);
    const timing = await runAsync(() => get(url), { warmup: 10, minIterations: 20, minMs: 2000 });
    // A new batch of one endpoint before every scrape: the body is assembled and gzipped anew each time.
    let next = 0;
    // How long scrape work keeps the loop from other work (probe replies, in the agent): 1 ms resolution.
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const changing = await runAsync(
      async () => {
        feed((next % endpoints) + 1, next++ % endpoints);
        await new Promise((resolve) => setTimeout(resolve, 50));
        return get(url);
      },
      { warmup: 3, minIterations: 10, minMs: 2000 },
    );
    loop.disable();
    // Every endpoint's batch new before each scrape, and long enough after the last body that it is not shared:
    // the wall time of making a whole body from fresh renderings (the feeding itself not timed).
    const fresh: number[] = [];
    let freshCpuMs = 0;
    for (let i = 0; i < 8; i++) {
      feed(endpoints);
      await new Promise((resolve) => setTimeout(resolve, 700));
      const started = performance.now();
      const cpu = process.cpuUsage();
      await get(url);
      fresh.push(performance.now() - started);
      const { user, system } = process.cpuUsage(cpu);
      freshCpuMs += (user + system) / 1000 / 8;
    }
    fresh.sort((a, b) => a - b);
    const body = gunzipSync(timing.last).toString('utf8');
    const series = body.split('\n').filter((line) => line.length > 0 && !line.startsWith('#')).length;
    const label = `scrape /metrics (${endpoints} endpoints, ${fmt(series, 0)} series, ${fmtBytes(timing.last.length)})`;
    console.log(
      `${label}: ${fmt(timing.wallUs / 1000, 2)} ms/scrape (p50 ${fmt(percentile(timing.latenciesUs, 50) / 1000, 2)}, p99 ${fmt(percentile(timing.latenciesUs, 99) / 1000, 2)}), ` +
        `${fmt(timing.cpuUs / 1000, 2)} ms CPU/scrape, ${fmt(timing.cpuUs / series, 2)} µs CPU/series, ${timing.iterations} scrapes`,
    );
    console.log(
      `${label}, one endpoint's batch new before each scrape: p50 ${fmt(percentile(changing.latenciesUs, 50) / 1000 - 50, 2)} ms, p99 ${fmt(percentile(changing.latenciesUs, 99) / 1000 - 50, 2)} ms ` +
        `(after a 50 ms pause), ${fmt(changing.cpuUs / 1000, 2)} ms CPU per batch + scrape; event-loop delay p99 ${fmt(Math.max(0, loop.percentile(99) / 1e6 - 1), 1)} ms, ` +
        `max ${fmt(Math.max(0, loop.max / 1e6 - 1), 1)} ms`,
    );
    console.log(
      `${label}, every endpoint's batch new before each scrape: p50 ${fmt(percentile(fresh, 50), 1)} ms, max ${fmt(fresh[fresh.length - 1]!, 1)} ms over ${fresh.length} scrapes, ${fmt(freshCpuMs, 1)} ms CPU (all threads) per scrape`,
    );
    console.log(`${label}: ${assembly(endpoints)}`);
  }
} finally {
  agent.destroy();
  await exporter.shutdown();
}
