import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { it } from 'node:test';
import { repoRoot } from '../harness/fixtures.js';

it('the quick-start demo brings up an ensemble, the agent and Prometheus, which sees all three nodes up', () => {
  const result = spawnSync(process.execPath, [path.join(repoRoot(), 'dist/scripts/demo.js'), '--smoke'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, `demo failed:\n${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /zkotel \/metrics: +http:\/\/127\.0\.0\.1:9464\/metrics/);
  assert.match(result.stdout, /zkotel status page: +http:\/\/127\.0\.0\.1:13134\//);
  assert.match(result.stdout, /Prometheus sees all three ZooKeeper nodes up/);
  assert.match(result.stdout, /the status page shows one cluster, quorum ok, three members up/);
  assert.match(result.stdout, /Alertmanager: +http:\/\/127\.0\.0\.1:\d+\/#\/alerts/);
  assert.match(result.stdout, /Prometheus evaluates the ZooKeeper alerting rules and sends alerts to Alertmanager/);
});
