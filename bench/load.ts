/**
 * The load bench: the real agent (dist/src/cli.js, its own process) probing fake ZooKeeper targets (another
 * process, bench/fake-zookeeper.ts, answering a real 3.8 follower mntr) while scrapers fetch /metrics with
 * `Accept-Encoding: gzip` as Prometheus does. Every figure of issue 9 comes from one run, so ratios compare like
 * with like on a machine shared with other work. The agent starts as `zkotel` does (the interpreter line of
 * dist/src/cli.js, with its node flags). Run: node dist/bench/load.js  (LOAD_WINDOW_S=n to lengthen windows)
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { freePort } from '../test/harness/ports.js';
import { readMntrFixture, repoRoot } from '../test/harness/fixtures.js';
import { fmt, percentile } from './measure.js';
import { targetAddress } from './fake-zookeeper.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const WINDOW_S = Number(process.env.LOAD_WINDOW_S ?? 15);
const MAX_TARGETS = 5000;

interface Scenario {
  readonly label: string;
  readonly targets: number;
  readonly intervalMs: number;
  readonly commands: readonly string[];
  readonly scrapers: number;
  /** The bare-socket floor prober instead of the agent. */
  readonly floor?: boolean;
  readonly windowS?: number;
}

interface AgentReport {
  cpuMs: number;
  rssMb: number;
  peakRssMb: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
}
interface FakeReport {
  mntr: number;
  ruok: number;
  probedTargets: number;
}

/** Sends `message` and waits for the first reply that has `key`. */
function ask<T>(child: ChildProcess, message: object, key?: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: Record<string, unknown>) => {
      if ('failed' in reply) reject(new Error(String(reply.failed)));
      else if (!key || key in reply) {
        child.off('message', onMessage);
        resolve(reply as T);
      }
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startFake(): Promise<{ child: ChildProcess; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = fork(path.join(here, 'fake-zookeeper.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    try {
      await ask(child, { start: { count: MAX_TARGETS, port, mntr: readMntrFixture('mntr-3.8.0-follower.txt') } }, 'listening');
      return { child, port };
    } catch (error) {
      child.kill();
      if (attempt >= 3) throw error;
    }
  }
}

function agentConfig(scenario: Scenario, zkPort: number, metricsPort: number): string {
  const endpoints = Array.from({ length: scenario.targets }, (_, i) => `${targetAddress(i)}:${zkPort}`);
  return [
    'receivers:',
    '  zookeeper:',
    `    endpoints: [${endpoints.join(', ')}]`,
    `    collection_interval: ${scenario.intervalMs}ms`,
    `    timeout: ${Math.min(5000, scenario.intervalMs)}ms`,
    `    commands: [${scenario.commands.join(', ')}]`,
    'exporters:',
    '  prometheus:',
    `    endpoint: 127.0.0.1:${metricsPort}`,
    'service:',
    '  pipelines:',
    '    metrics:',
    '      receivers: [zookeeper]',
    '      exporters: [prometheus]',
    '',
  ].join('\n');
}

interface Scrapes {
  latenciesMs: number[];
  incomplete: number;
  checked: number;
  wrongUpCount: number;
}

function scrapeOnce(url: string, agent: http.Agent): Promise<{ ms: number; body: Buffer; complete: boolean; gzip: boolean }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const request = http.get(url, { agent, headers: { 'accept-encoding': 'gzip' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          ms: performance.now() - started,
          body: Buffer.concat(chunks),
          complete: response.complete && response.statusCode === 200,
          gzip: response.headers['content-encoding'] === 'gzip',
        }),
      );
      response.on('error', () => resolve({ ms: performance.now() - started, body: Buffer.alloc(0), complete: false, gzip: false }));
    });
    request.on('error', () => resolve({ ms: performance.now() - started, body: Buffer.alloc(0), complete: false, gzip: false }));
  });
}

/**
 * `count` scrapers, each scraping once a second (or back to back when a scrape takes longer) until `untilMs`.
 * Scraper 0 checks one body a second in the background (the next scrape is not held back by it), reading the
 * decompressed bytes without making a string of them: at 5,000 targets a body is ~190 MB, and decoding it into a
 * string and splitting it took ~1.5 s of the bench's CPU per check, on the two cores the agent is measured on.
 */
async function scrape(url: string, count: number, untilMs: number, targets: number): Promise<Scrapes> {
  const result: Scrapes = { latenciesMs: [], incomplete: 0, checked: 0, wrongUpCount: 0 };
  const checks: Promise<void>[] = [];
  let checking = false;
  const check = async (body: Buffer, gzip: boolean) => {
    const plain = gzip ? await promisify(gunzip)(body) : body;
    result.checked++;
    if (countOccurrences(plain, '\nzookeeper_up{') !== targets || plain[plain.length - 1] !== 0x0a) result.wrongUpCount++;
  };
  const run = async (index: number) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let lastChecked = 0;
    while (Date.now() < untilMs) {
      const started = Date.now();
      const { ms, body, complete, gzip } = await scrapeOnce(url, agent);
      result.latenciesMs.push(ms);
      if (!complete) result.incomplete++;
      // One check at a time: a slow check skips bodies rather than piling up.
      else if (index === 0 && started - lastChecked >= 1000 && !checking) {
        lastChecked = started;
        checking = true;
        checks.push(check(body, gzip).finally(() => (checking = false)));
      }
      await sleep(Math.max(0, started + 1000 - Date.now()));
    }
    agent.destroy();
  };
  await Promise.all(Array.from({ length: count }, (_, i) => run(i)));
  await Promise.all(checks);
  result.latenciesMs.sort((a, b) => a - b);
  return result;
}

function countOccurrences(haystack: Buffer, needle: string): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}

/** Sums of the agent's own probe counters, read from /metrics: probes finished and ticks skipped. */
async function probeCounters(url: string): Promise<{ done: number; skipped: number }> {
  const agent = new http.Agent();
  try {
    const { body, gzip } = await scrapeOnce(url, agent);
    const text = (gzip ? await promisify(gunzip)(body) : body).toString('utf8');
    const sum = (name: string) =>
      [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((total, match) => total + Number(match[1]), 0);
    return { done: sum('zkotel_receiver_probe_duration_count'), skipped: sum('zkotel_receiver_probe_skipped_total') };
  } finally {
    agent.destroy();
  }
}

/**
 * The agent started as `zkotel` starts it: the environment and node flags of dist/src/cli.js's interpreter line
 * (`#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2`), then `nodeArgs` as real node arguments
 * (NODE_OPTIONS refuses some, such as --cpu-prof), then the script.
 */
function startAgent(configFile: string, nodeArgs: readonly string[]): ChildProcess {
  const cli = path.join(repoRoot(), 'dist/src/cli.js');
  const { env, flags } = interpreterLine(readFileSync(cli, 'utf8').split('\n', 1)[0]!);
  return spawn(process.execPath, [...flags, ...nodeArgs, cli, '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, ...env },
  });
}

/** `#!/usr/bin/env -S NAME=value … node --flag …`: the variables before `node`, the flags after it. */
function interpreterLine(line: string): { env: Record<string, string>; flags: string[] } {
  const words = line.startsWith('#!') ? line.slice(2).trim().split(/\s+/) : [];
  const node = words.findIndex((word) => word === 'node' || word.endsWith('/node'));
  if (node < 0) return { env: {}, flags: [] };
  const env = Object.fromEntries(
    words.slice(0, node).flatMap((word) => (/^[A-Z_][A-Z0-9_]*=/.test(word) ? [word.split(/=(.*)/s, 2) as [string, string]] : [])),
  );
  return { env, flags: words.slice(node + 1) };
}

async function runScenario(scenario: Scenario, fake: { child: ChildProcess; port: number }, dir: string): Promise<void> {
  const metricsPort = await freePort();
  const configFile = path.join(dir, `agent-${scenario.targets}.yaml`);
  writeFileSync(configFile, agentConfig(scenario, fake.port, metricsPort));
  // LOAD_NODE_ARGS: extra node flags for the measured process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const probe = [`--import=${path.join(here, 'agent-probe.js')}`, ...(process.env.LOAD_NODE_ARGS?.split(' ').filter(Boolean) ?? [])];
  const child = scenario.floor
    ? fork(path.join(here, 'floor-prober.js'), [], {
        execArgv: probe,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        env: {
          ...process.env,
          TARGETS: String(scenario.targets),
          PORT: String(fake.port),
          INTERVAL_MS: String(scenario.intervalMs),
          COMMANDS: scenario.commands.join(','),
        },
      })
    : startAgent(configFile, probe);
  let downs = 0;
  let output = '';
  const count = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4096);
    downs += chunk.toString('utf8').split('endpoint down').length - 1;
  };
  child.stdout!.on('data', count);
  child.stderr!.on('data', count);
  const windowS = scenario.windowS ?? WINDOW_S;
  try {
    // Warm up: every target probed at least once, and one more interval so every batch is in the snapshot.
    await ask(fake.child, { reset: true }, 'reset');
    const warmupDeadline = Date.now() + 60_000;
    for (;;) {
      const { probedTargets } = await ask<FakeReport>(fake.child, { report: true }, 'mntr');
      if (probedTargets >= scenario.targets) break;
      if (Date.now() > warmupDeadline || child.exitCode !== null)
        throw new Error(`warm-up: ${probedTargets}/${scenario.targets} targets probed; agent output:\n${output}`);
      await sleep(250);
    }
    await sleep(scenario.intervalMs + 500);
    const url = `http://127.0.0.1:${metricsPort}/metrics`;
    // The agent's own counters are read around the window; a read takes time, so the window they cover is bracketed.
    const readStarted = Date.now();
    const countersBefore = scenario.floor ? undefined : await probeCounters(url);
    const readDone = Date.now();
    await Promise.all([ask(child, { reset: true }, 'reset'), ask(fake.child, { reset: true }, 'reset')]);
    const started = Date.now();
    const scrapes = await scrape(`http://127.0.0.1:${metricsPort}/metrics`, scenario.scrapers, started + windowS * 1000, scenario.targets);
    if (scenario.scrapers === 0) await sleep(started + windowS * 1000 - Date.now());
    const elapsedS = (Date.now() - started) / 1000;
    const [agent, zk] = await Promise.all([ask<AgentReport>(child, { report: true }, 'cpuMs'), ask<FakeReport>(fake.child, { report: true }, 'mntr')]);
    const secondReadStarted = Date.now();
    const countersAfter = countersBefore && (await probeCounters(url));
    const secondReadDone = Date.now();
    const cycles = (elapsedS * 1000) / scenario.intervalMs;
    const scheduled = scenario.targets * cycles;
    // The machine's load average says how far the figures can be trusted: above the core count, processes wait for a CPU.
    const what =
      `${scenario.floor ? 'floor' : 'zkotel'} ${scenario.label}, ${scenario.targets} targets, ${scenario.intervalMs / 1000} s interval, ${scenario.commands.join('+')}, ` +
      `${scenario.scrapers} scraper(s), ${fmt(elapsedS, 0)} s (machine load average ${fmt(os.loadavg()[0]!, 1)} on ${os.cpus().length} cores)`;
    const lines = [
      `CPU ${fmt(agent.cpuMs / (scenario.targets * cycles), 3)} ms per target per cycle, ${fmt(agent.cpuMs / Math.max(1, zk.mntr), 3)} ms per mntr probe (${fmt((agent.cpuMs / (elapsedS * 1000)) * 100, 0)}% of a core)`,
      `RSS ${fmt(agent.rssMb, 0)} MB (peak ${fmt(agent.peakRssMb, 0)} MB; JS heap ${fmt(agent.heapUsedMb, 0)} of ${fmt(agent.heapTotalMb, 0)} MB, external ${fmt(agent.externalMb, 0)} MB)`,
      `probes done ${fmt(zk.mntr, 0)} of ${fmt(scheduled, 0)} scheduled (${fmt((100 * zk.mntr) / scheduled, 1)}%), ${zk.probedTargets}/${scenario.targets} targets probed in the window`,
      `event-loop delay p99 ${fmt(agent.eventLoopP99Ms, 1)} ms (max ${fmt(agent.eventLoopMaxMs, 0)} ms)`,
    ];
    if (!scenario.floor) lines.push(`false down transitions ${downs}`);
    if (countersBefore && countersAfter) {
      const done = countersAfter.done - countersBefore.done;
      const skipped = countersAfter.skipped - countersBefore.skipped;
      const scheduledIn = (ms: number) => (scenario.targets * ms) / scenario.intervalMs;
      lines.push(
        `agent's own count: ${fmt(done, 0)} probes done + ${fmt(skipped, 0)} ticks skipped (zkotel_receiver_probe_skipped_total) = ${fmt(done + skipped, 0)}; ` +
          `scheduled between its two reads: ${fmt(scheduledIn(secondReadStarted - readDone), 0)}–${fmt(scheduledIn(secondReadDone - readStarted), 0)}`,
      );
    }
    if (scenario.scrapers > 0) {
      const l = scrapes.latenciesMs;
      lines.push(
        `scrape p50 ${fmt(percentile(l, 50), 1)} ms, p99 ${fmt(percentile(l, 99), 1)} ms, max ${fmt(l[l.length - 1] ?? NaN, 0)} ms over ${l.length} scrapes; ` +
          `${scrapes.incomplete} incomplete, ${scrapes.checked - scrapes.wrongUpCount}/${scrapes.checked} bodies checked complete`,
      );
    }
    console.log(`${what}:\n  ${lines.join('\n  ')}`);
    (scenario as { result?: unknown }).result = { agent, zk };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
  }
}

const scenarios: (Scenario & { result?: { agent: AgentReport; zk: FakeReport } })[] = [
  { label: 'probe floor', targets: 200, intervalMs: 1000, commands: ['mntr'], scrapers: 0, floor: true },
  { label: 'probe cost', targets: 200, intervalMs: 1000, commands: ['mntr'], scrapers: 0 },
  { label: 'one scrape/s', targets: 200, intervalMs: 1000, commands: ['mntr', 'ruok'], scrapers: 1 },
  { label: '20 scrapers', targets: 200, intervalMs: 1000, commands: ['mntr', 'ruok'], scrapers: 20 },
  { label: 'one scrape/s', targets: 1000, intervalMs: 1000, commands: ['mntr', 'ruok'], scrapers: 1 },
  { label: '20 scrapers', targets: 1000, intervalMs: 1000, commands: ['mntr', 'ruok'], scrapers: 20 },
  { label: 'one scrape/s', targets: 5000, intervalMs: 10_000, commands: ['mntr', 'ruok'], scrapers: 1, windowS: Math.max(30, WINDOW_S) },
  // The floor of a whole cycle (mntr and ruok, each on its own connection), for the per-cycle figures: per target it
  // is much cheaper at 1,000 targets than at 200 (the loop wakes for several sockets at once).
  { label: 'cycle floor', targets: 200, intervalMs: 1000, commands: ['mntr', 'ruok'], scrapers: 0, floor: true },
  { label: 'cycle floor', targets: 1000, intervalMs: 1000, commands: ['mntr', 'ruok'], scrapers: 0, floor: true },
];

const only = process.env.LOAD_ONLY ? new Set(process.env.LOAD_ONLY.split(',').map(Number)) : undefined;
const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-load-'));
const fake = await startFake();
console.log(`load bench: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}; fake ZooKeeper process pid ${fake.child.pid}`);
try {
  for (const [index, scenario] of scenarios.entries()) if (!only || only.has(index)) await runScenario(scenario, fake, dir);
  // Every target gets one mntr per cycle: CPU per mntr probe is also CPU per target per cycle.
  const perProbe = (r: { agent: AgentReport; zk: FakeReport }) => r.agent.cpuMs / r.zk.mntr;
  const [floor, agent] = scenarios;
  if (floor?.result && agent?.result) {
    console.log(
      `CPU per mntr probe: zkotel ${fmt(perProbe(agent.result), 3)} ms vs floor ${fmt(perProbe(floor.result), 3)} ms = ${fmt(perProbe(agent.result) / perProbe(floor.result), 2)}x the floor`,
    );
  }
  for (const floorScenario of scenarios.filter((s) => s.floor && s.commands.length === 2 && s.result)) {
    const measured = scenarios.filter((s) => !s.floor && s.result && s.commands.length === 2 && s.targets === floorScenario.targets);
    if (measured.length === 0) continue;
    console.log(
      `CPU per target per cycle (mntr+ruok) at ${floorScenario.targets} targets vs the bare-socket floor of the same two exchanges ` +
        `(${fmt(perProbe(floorScenario.result!), 3)} ms): ` +
        measured
          .map((s) => `${s.scrapers} scraper(s) ${fmt(perProbe(s.result!), 3)} ms = ${fmt(perProbe(s.result!) / perProbe(floorScenario.result!), 2)}x`)
          .join('; '),
    );
  }
} finally {
  fake.child.send({ stop: true });
  rmSync(dir, { recursive: true, force: true });
}
