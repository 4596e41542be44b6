/**
 * The release soak (npm run soak; not part of npm test): the agent as a process for SOAK_SECONDS (default 600)
 * against healthy and misbehaving servers, with a scrape loop, reloads every 20 s (good and bad), login floods and
 * slowloris bursts. RSS and heap are sampled from its own zkotel_process_memory_bytes every 5 s; after a warm-up
 * third, the slope of each one's per-minute floor must stay under its bound, or the soak exits 1.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { parseExposition, select } from '../harness/exposition.js';
import { startFakeZk, type FakeZk } from '../harness/fake-zk.js';
import { readMntrFixture } from '../harness/fixtures.js';
import { freePort } from '../harness/ports.js';
import { faultAgentConfig, spawnAgent } from './agent.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const SAMPLE_MS = 5000;
/**
 * Growth allowed after warm-up, in MiB per hour, of the per-minute floor (the lowest sample of each minute: what
 * survives garbage collection). A leak of 1 KiB per probe here is ~90 MiB/h.
 */
const MAX_SLOPE_MIB_PER_HOUR = { rss: 96, heap_used: 48 };

const credentials = `Basic ${Buffer.from('prometheus:secret').toString('base64')}`;

function get(url: string, authorization?: string, localAddress?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, headers: authorization ? { authorization } : {}, ...(localAddress ? { localAddress } : {}) }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    });
    request.on('error', () => resolve({ status: 0, body: '' }));
  });
}

/**
 * Theil–Sen slope of (t, y): the median of the slopes between every two points. One minute that happened to catch
 * a burst (a 10 MB reply, a login flood) does not tilt it, as it would a least-squares fit; a steady leak does.
 */
function slope(points: readonly (readonly [number, number])[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dt = points[j]![0] - points[i]![0];
      if (dt > 0) slopes.push((points[j]![1] - points[i]![1]) / dt);
    }
  }
  slopes.sort((a, b) => a - b);
  const middle = slopes.length >> 1;
  return slopes.length === 0 ? 0 : slopes.length % 2 ? slopes[middle]! : (slopes[middle - 1]! + slopes[middle]!) / 2;
}

async function main(): Promise<number> {
  const fakes: FakeZk[] = await Promise.all([
    startFakeZk({ kind: 'reply', replies: { mntr: readMntrFixture('mntr-3.8.0-follower.txt'), ruok: 'imok', srvr: 'Mode: follower\n' } }),
    startFakeZk({ kind: 'hang' }),
    startFakeZk({ kind: 'garbage', bytes: 4096 }),
    startFakeZk({ kind: 'huge', bytes: 10 * 1024 * 1024 }),
  ]);
  const endpoints = [...fakes.map((fake) => fake.endpoint), `127.0.0.1:${await freePort()}`];
  const [metricsPort, healthPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-soak-'));
  const web = path.join(dir, 'web.yml');
  writeFileSync(web, `basic_auth_users:\n  prometheus: ${bcrypt.hashSync('secret', 10)}\n`);
  const config = (interval: string) => faultAgentConfig({ endpoints, metricsPort, healthPort, webConfigFile: web, interval });
  const agent = spawnAgent(config('200ms'));
  const url = `http://127.0.0.1:${metricsPort}/metrics`;
  const samples: { t: number; rss: number; heap_used: number }[] = [];
  const started = Date.now();
  let failedScrapes = 0;
  let scrapes = 0;
  let reloads = 0;
  const until = started + SECONDS * 1000;
  const scraper = (async () => {
    while (Date.now() < until) {
      const { status } = await get(url, credentials);
      scrapes++;
      if (status !== 200 && Date.now() - started > 5000) failedScrapes++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  let tick = 0;
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    tick++;
    const { status, body } = await get(url, credentials);
    if (status === 200) {
      const series = parseExposition(body);
      const memory = (kind: string) => select(series, 'zkotel_process_memory_bytes', { kind })[0]?.value ?? NaN;
      samples.push({ t: (Date.now() - started) / 3_600_000, rss: memory('rss'), heap_used: memory('heap_used') });
      const last = samples.at(-1)!;
      process.stdout.write(
        `soak: ${Math.round((Date.now() - started) / 1000)} s rss ${(last.rss / 2 ** 20).toFixed(1)} MiB heap ${(last.heap_used / 2 ** 20).toFixed(1)} MiB scrapes ${scrapes} failed ${failedScrapes} reloads ${reloads}\n`,
      );
    }
    if (tick % 4 === 0) {
      // A reload: good configs alternate with a broken one.
      agent.writeConfig(tick % 12 === 0 ? 'receivers:\n  zookeeper:\n    timeout: never\n' : config(tick % 8 === 0 ? '300ms' : '200ms'));
      agent.child.kill('SIGHUP');
      reloads++;
    }
    if (tick % 6 === 0)
      await Promise.all(Array.from({ length: 50 }, () => get(url, `Basic ${Buffer.from('prometheus:wrong').toString('base64')}`, '127.0.0.2')));
    if (tick % 6 === 3) {
      const sockets = Array.from({ length: 50 }, () =>
        net
          .connect(healthPort, '127.0.0.1')
          .on('error', () => {})
          .resume(),
      );
      setTimeout(() => sockets.forEach((socket) => socket.destroy()), 8000);
    }
  }
  await scraper;
  const alive = agent.exitCode() === undefined;
  await agent.stop();
  await Promise.all(fakes.map((fake) => fake.close()));

  const steady = samples.slice(Math.floor(samples.length / 3));
  const byMinute = new Map<number, typeof steady>();
  for (const sample of steady) byMinute.set(Math.floor(sample.t * 60), [...(byMinute.get(Math.floor(sample.t * 60)) ?? []), sample]);
  const minutes = [...byMinute.values()];
  let ok = alive && failedScrapes === 0 && minutes.length >= 3;
  if (minutes.length < 3) process.stdout.write('soak: too short to judge a slope: run at least 270 s\n');
  for (const kind of ['rss', 'heap_used'] as const) {
    const floors = minutes.map((minute) => [minute[0]!.t, Math.min(...minute.map((sample) => sample[kind]))] as const);
    const perHour = slope(floors) / 2 ** 20;
    const within = perHour < MAX_SLOPE_MIB_PER_HOUR[kind];
    ok &&= within;
    process.stdout.write(`soak: ${kind} slope ${perHour.toFixed(1)} MiB/h (bound ${MAX_SLOPE_MIB_PER_HOUR[kind]}) ${within ? 'ok' : 'TOO STEEP'}\n`);
  }
  process.stdout.write(
    `soak: ${ok ? 'passed' : 'FAILED'}: ${SECONDS} s, ${scrapes} scrapes (${failedScrapes} failed), ${reloads} reloads, agent ${alive ? 'alive' : 'dead'}\n`,
  );
  return ok ? 0 : 1;
}

main().then((code) => process.exit(code));
