/**
 * Every way a config can fail ends the same for SIGHUP and POST /-/reload: a located problem, logged, counted in
 * zkotel_config_last_reload_successful, and the running config kept.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { builtinRegistry } from '../../src/components.js';
import { loadConfig } from '../../src/core/config/resolve.js';
import { createLogger } from '../../src/core/logger.js';
import { ConfigReloader } from '../../src/core/reloader.js';
import { Service } from '../../src/core/service.js';
import { SelfTelemetry } from '../../src/core/telemetry.js';
import { freePort } from '../harness/ports.js';

function reloadGauge(telemetry: SelfTelemetry): number | undefined {
  return telemetry.snapshot().samples.find((sample) => sample.metric.name === 'zkotel.config.last_reload_successful')?.value;
}

it('a loader failure (deep nesting, alias bomb in the web config) is a located, logged, counted reload failure', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-reloader-'));
  const file = path.join(dir, 'config.yaml');
  const webConfig = path.join(dir, 'web.yaml');
  const port = await freePort();
  const config = (extra: string) =>
    `receivers:\n  zookeeper: { endpoint: 127.0.0.1:1, initial_delay: 1h }\nexporters:\n  prometheus: { endpoint: 127.0.0.1:${port}${extra} }\nservice:\n  pipelines:\n    metrics: { receivers: [zookeeper], exporters: [prometheus] }\n`;
  writeFileSync(file, config(''));
  const registry = builtinRegistry();
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger('info', (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
  const telemetry = new SelfTelemetry();
  const reloader = new ConfigReloader([file], registry, logger, telemetry);
  const service = await Service.start(loadConfig([file], registry).config!, logger, { telemetry });
  reloader.attach(service);
  try {
    assert.equal(reloadGauge(telemetry), 1);

    writeFileSync(file, `receivers:\n  zookeeper:\n    x: ${'['.repeat(3000)}${']'.repeat(3000)}\n`);
    const deep = await reloader.reload();
    assert.equal(deep.ok, false);
    assert.ok(!deep.ok && deep.errors.every((error) => error.startsWith(`${file}:`)), JSON.stringify(deep));
    assert.equal(reloadGauge(telemetry), 0);

    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      laughs.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    writeFileSync(webConfig, `${laughs.join('\n')}\n`);
    writeFileSync(file, config(`, web_config_file: ${webConfig}`));
    const bomb = await reloader.reload();
    assert.ok(
      !bomb.ok && bomb.errors.length === 1 && bomb.errors[0]!.includes(`${webConfig}:1:1: aliases expand to more than the limit`),
      JSON.stringify(bomb),
    );
    assert.equal(logs.filter((log) => log.level === 'error' && String(log.msg).startsWith('reload rejected')).length, 2, 'each failure logged');

    writeFileSync(file, config(''));
    assert.deepEqual(await reloader.reload(), { ok: true });
    assert.equal(reloadGauge(telemetry), 1);
    assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 200);
  } finally {
    await service.shutdown();
  }
});
