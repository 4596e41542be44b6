import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { select, scrape, type Series } from './harness/exposition.js';
import { startFakeZk, type FakeZk } from './harness/fake-zk.js';
import { readMntrFixture, repoRoot } from './harness/fixtures.js';
import { freePort } from './harness/ports.js';
import { pollUntil } from './harness/process.js';

const fakes: FakeZk[] = [];
after(() => Promise.all(fakes.map((fake) => fake.close())));
const replies = { mntr: readMntrFixture('mntr-3.8.0-follower.txt'), ruok: 'imok', srvr: 'Mode: follower\n' };

it('reloads on SIGHUP and POST /-/reload under a live scrape loop: endpoints come and go, a bad config is rejected', async () => {
  const [a, b] = await Promise.all([startFakeZk({ kind: 'reply', replies }), startFakeZk({ kind: 'reply', replies })]);
  fakes.push(a!, b!);
  const [metricsPort, healthPort] = [await freePort(), await freePort()];
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'zkotel-reload-')), 'config.yaml');
  const write = (endpoints: string[], timeout = '1s') =>
    writeFileSync(
      file,
      `
receivers:
  zookeeper: { endpoints: [${endpoints.join(', ')}], collection_interval: 200ms, timeout: ${timeout} }
exporters:
  prometheus: { endpoint: 127.0.0.1:${metricsPort} }
extensions:
  health_check: { endpoint: 127.0.0.1:${healthPort} }
service:
  extensions: [health_check]
  pipelines:
    metrics: { receivers: [zookeeper], exporters: [prometheus] }
`,
    );
  write([a!.endpoint]);
  const agent = spawn(process.execPath, [path.join(repoRoot(), 'dist/src/cli.js'), '--config', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const up = (series: Series[], endpoint: string) => select(series, 'zookeeper_up', { zk_endpoint: endpoint })[0]?.value;
  const reloadGauge = (series: Series[]) => select(series, 'zkotel_config_last_reload_successful')[0]?.value;

  // The scrape loop: every scrape must succeed, and endpoint A, never removed until the end, must never vanish.
  let scrapes = 0;
  const failures: string[] = [];
  let latest: Series[] = [];
  let watchA = true;
  let looping = true;
  await pollUntil(async () => up((await scrape(metricsUrl)).series, a!.endpoint) === 1, { timeoutMs: 10_000, what: 'the agent to report endpoint A' });
  const loop = (async () => {
    while (looping) {
      try {
        latest = (await scrape(metricsUrl)).series;
        scrapes++;
        if (watchA && up(latest, a!.endpoint) !== 1) failures.push(`scrape ${scrapes}: endpoint A missing`);
      } catch (error) {
        failures.push(`scrape ${scrapes}: ${String(error)}`);
      }
      // No pause: scrapes run back to back, so any gap in what the agent serves during a reload is seen.
    }
  })();
  try {
    write([a!.endpoint, b!.endpoint]);
    agent.kill('SIGHUP');
    await pollUntil(() => up(latest, b!.endpoint) === 1, { timeoutMs: 10_000, what: 'endpoint B to appear after SIGHUP' });
    assert.equal(reloadGauge(latest), 1);
    // The agent's own telemetry rides along: probe durations, process health, build info.
    assert.ok((select(latest, 'zkotel_receiver_probe_duration_count', { receiver: 'zookeeper' })[0]?.value ?? 0) > 0);
    assert.equal(select(latest, 'zkotel_receiver_probe_duration_bucket', { receiver: 'zookeeper', le: '+Inf' }).length, 1);
    assert.ok((select(latest, 'zkotel_process_memory_bytes', { kind: 'rss' })[0]?.value ?? 0) > 1e6);
    assert.ok((select(latest, 'zkotel_process_cpu_seconds_total')[0]?.value ?? 0) > 0);
    assert.equal(select(latest, 'zkotel_build_info')[0]?.labels.node_version, process.version);

    writeFileSync(file, 'receivers:\n  zookeeper:\n    timeout: never\n');
    const rejected = await fetch(`http://127.0.0.1:${healthPort}/-/reload`, { method: 'POST' });
    assert.equal(rejected.status, 400);
    const body = (await rejected.json()) as { errors: string[] };
    assert.ok(
      body.errors.some((error) => error.startsWith(`${file}:3:5: receivers::zookeeper::timeout: invalid duration`)),
      body.errors.join('\n'),
    );
    await pollUntil(() => reloadGauge(latest) === 0, { timeoutMs: 5000, what: 'the reload gauge to show the failure' });
    const countBefore = scrapes;
    await pollUntil(() => scrapes >= countBefore + 5, { timeoutMs: 5000, what: 'five more scrapes on the old config' });
    assert.equal(up(latest, b!.endpoint), 1, 'the running config keeps working');

    watchA = false;
    write([b!.endpoint]);
    assert.equal((await fetch(`http://127.0.0.1:${healthPort}/-/reload`, { method: 'POST' })).status, 200);
    await pollUntil(() => up(latest, a!.endpoint) === undefined, { timeoutMs: 10_000, what: 'removed endpoint A to disappear' });
    assert.equal(up(latest, b!.endpoint), 1);
    assert.equal(reloadGauge(latest), 1);
  } finally {
    looping = false;
    await loop;
    agent.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
  assert.deepEqual(failures, [], `${failures.length} of ${scrapes} scrapes failed`);
  assert.ok(scrapes >= 10, `${scrapes} scrapes`);
});
