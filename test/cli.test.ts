import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { scrape } from './harness/exposition.js';
import { startFakeZk } from './harness/fake-zk.js';
import { repoRoot } from './harness/fixtures.js';
import { freePort } from './harness/ports.js';
import { pollUntil } from './harness/process.js';

const CLI = path.join(repoRoot(), 'dist/src/cli.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-cli-'));

function zkotel(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: repoRoot(), timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function writeConfig(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const configFor = (zookeeper: string, metrics: string) => `
receivers:
  zookeeper: { endpoint: ${zookeeper}, collection_interval: 1s, timeout: 30s }
exporters:
  prometheus: { endpoint: ${metrics} }
service:
  pipelines:
    metrics: { receivers: [zookeeper], exporters: [prometheus] }
`;

describe('zkotel command line', () => {
  it('prints its version and help', () => {
    const version = zkotel('--version');
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^zkotel \d+\.\d+\.\d+\n$/);
    const help = zkotel('--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /zkotel validate/);
  });

  it('rejects an unknown option with one line and exit 2', () => {
    const result = zkotel('--frobnicate');
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.match(result.stderr, /frobnicate.*see zkotel --help/);
  });

  it('validates the default config and every ready-made pipeline', () => {
    const result = zkotel('validate');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /otel-config\.yaml: valid/);
    const pipelines = readdirSync(path.join(repoRoot(), 'pipelines')).filter((name) => name.endsWith('.yaml'));
    assert.ok(pipelines.length >= 3, pipelines.join());
    for (const name of pipelines) {
      const checked = zkotel('validate', '--config', path.join('pipelines', name));
      assert.equal(checked.code, 0, `${name}: ${checked.stderr}`);
      assert.equal(checked.stderr, '', `${name} validates without warnings`);
    }
  });

  it('validate lists every error as FILE:LINE:COL: path: message and exits 1', () => {
    const file = writeConfig(
      'bad.yaml',
      'receivers:\n  zookeeper:\n    timeout: soon\n    commands: [mntr, wchc]\nexporters:\n  prometheus: {}\nservice:\n  pipelines:\n    metrics: { receivers: [zookeeper], exporters: [prometheus, debug] }\n',
    );
    const result = zkotel('validate', '--config', file);
    assert.equal(result.code, 1);
    const lines = result.stderr.trim().split('\n');
    assert.deepEqual(
      lines.slice(0, 3).map((line) => line.split(': ')[0]),
      [`${file}:3:5`, `${file}:4:22`, `${file}:9:64`],
    );
    assert.match(lines[3]!, /3 problem/);
  });

  it('validate rejects bad relabel rules with line and column: invalid regex, missing modulus, invalid target_label', () => {
    const file = writeConfig(
      'relabel.yaml',
      [
        'receivers:',
        '  zookeeper: {}',
        'processors:',
        '  relabel:',
        '    rules:',
        '      - source_labels: [__name__]',
        '        regex: "zookeeper_(.*"',
        '      - source_labels: [zk_endpoint]',
        '        action: hashmod',
        '        target_label: shard',
        '      - source_labels: [zk_endpoint]',
        '        target_label: ""',
        'exporters:',
        '  prometheus: {}',
        'service:',
        '  pipelines:',
        '    metrics: { receivers: [zookeeper], processors: [relabel], exporters: [prometheus] }',
        '',
      ].join('\n'),
    );
    const result = zkotel('validate', '--config', file);
    assert.equal(result.code, 1);
    const lines = result.stderr.trim().split('\n');
    assert.match(lines[0]!, new RegExp(`^${escape(file)}:7:9: processors::relabel::rules::0::regex: .*zookeeper_`));
    assert.match(lines[1]!, new RegExp(`^${escape(file)}:\\d+:\\d+: processors::relabel::rules::1.*modulus`));
    assert.match(lines[2]!, new RegExp(`^${escape(file)}:1[12]:\\d+: processors::relabel::rules::2.*target_label`));
  });

  it('merges repeated --config files, later over earlier', () => {
    const base = writeConfig('base.yaml', configFor('127.0.0.1:2181', '127.0.0.1:9464'));
    const override = writeConfig('override.yaml', 'receivers:\n  zookeeper:\n    timeout: nope\n');
    const result = zkotel('validate', '--config', base, '--config', override);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`^${escape(override)}:3:5: receivers::zookeeper::timeout: invalid duration`));
  });

  it('names an unreadable config file in one line, without a stack trace', () => {
    const result = zkotel('--config', path.join(dir, 'nope.yaml'));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot read config file .*nope\.yaml: no such file/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  it('names a port already in use in one line, without a stack trace', async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const result = zkotel('--config', writeConfig('busy.yaml', configFor('127.0.0.1:1', `127.0.0.1:${port}`)));
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr.trim(),
        `zkotel: exporter "prometheus": cannot listen on 127.0.0.1:${port}: address already in use (is another agent running?)`,
      );
    } finally {
      blocker.close();
    }
  });

  it('serves its own metrics on service.telemetry.metrics.address instead of on the exporter, when set', async () => {
    const [metrics, telemetry] = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
    const config = configFor('127.0.0.1:1', metrics).replace('service:\n', `service:\n  telemetry:\n    metrics: { address: ${telemetry} }\n`);
    const agent = spawn(process.execPath, [CLI, '--config', writeConfig('telemetry.yaml', config)], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));
    try {
      const main = await pollUntil(
        async () => {
          const { series } = await scrape(`http://${metrics}/metrics`);
          return series.some((s) => s.name === 'zookeeper_up') ? series : undefined;
        },
        { timeoutMs: 10_000, what: 'a first probe' },
      );
      assert.deepEqual(
        main.filter((s) => s.name.startsWith('zkotel_')).map((s) => s.name),
        [],
      );
      const own = (await scrape(`http://${telemetry}/metrics`)).series;
      assert.ok(own.some((s) => s.name === 'zkotel_receiver_probe_failures_total' && s.labels.reason === 'refused'));
      assert.ok(own.some((s) => s.name === 'zkotel_exporter_prometheus_scrapes_total' && s.labels.exporter === 'prometheus' && s.labels.code === '200'));
      assert.ok(own.every((s) => !s.name.startsWith('zookeeper_')));
    } finally {
      agent.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });

  it('stops gracefully on SIGTERM and SIGINT while a probe hangs, and exits 0', async () => {
    const hung = await startFakeZk({ kind: 'hang' });
    try {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        const metrics = `127.0.0.1:${await freePort()}`;
        const agent = spawn(process.execPath, [CLI, '--config', writeConfig(`run-${signal}.yaml`, configFor(hung.endpoint, metrics))], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const exited = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));
        // Ready when /metrics answers and the hung probe is in flight.
        await pollUntil(async () => (await fetch(`http://${metrics}/metrics`)).ok && hung.open > 0, {
          timeoutMs: 10_000,
          what: 'the agent to serve and probe',
        });
        agent.kill(signal);
        assert.equal(await exited, 0, `exit code after ${signal}`);
        await pollUntil(() => hung.open === 0, { timeoutMs: 5000, what: 'the in-flight probe to be cancelled' });
      }
    } finally {
      await hung.close();
    }
  });
});
