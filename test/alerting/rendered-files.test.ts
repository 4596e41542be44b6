/**
 * The files under deploy/ are what the definition renders now, and `zkotel rules` prints and tunes the same rules.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { ALERTS } from '../../src/alerting/definition.js';
import { deployFiles, renderRuleFile } from '../../src/alerting/render.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const CLI = path.join(ROOT, 'dist/src/cli.js');

function zkotel(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

type RuleFile = { groups: { rules: { alert?: string; expr: string; for?: string }[] }[] };
const alertRule = (text: string, name: string) => (YAML.parse(text) as RuleFile).groups.flatMap((group) => group.rules).find((rule) => rule.alert === name);

describe('rendered alerting files', () => {
  for (const [file, text] of Object.entries(deployFiles())) {
    it(`${file} is what src/alerting renders (else: npm run build && node dist/scripts/render-alerting.js)`, () => {
      assert.equal(readFileSync(path.join(ROOT, file), 'utf8'), text);
    });
  }
});

describe('deploy/alertmanager/alertmanager.yaml', () => {
  it('amtool check-config accepts it: routes, 4 inhibit rules, 3 receivers', () => {
    const result = spawnSync('amtool', ['check-config', path.join(ROOT, 'deploy/alertmanager/alertmanager.yaml')], { encoding: 'utf8' });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /4 inhibit rules/);
    assert.match(result.stdout, /3 receivers/);
  });
});

describe('zkotel rules', () => {
  it('prints the default rule file', () => {
    const result = zkotel('rules');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, renderRuleFile());
  });

  it('--naming compat prints the Go exporter names', () => {
    const result = zkotel('rules', '--naming', 'compat');
    assert.equal(result.status, 0, result.stderr);
    assert.match(alertRule(result.stdout, 'ZooKeeperServerDown')!.expr, /zk_up == 0/);
  });

  it('--kubernetes prints a PrometheusRule', () => {
    const result = zkotel('rules', '--kubernetes');
    assert.equal(result.status, 0, result.stderr);
    assert.equal((YAML.parse(result.stdout) as { kind: string }).kind, 'PrometheusRule');
  });

  it('--set changes a threshold and a for, and nothing else', () => {
    const result = zkotel('rules', '--set', 'ZooKeeperWatchCountHigh.threshold=50000', '--set', 'ZooKeeperServerDown.for=5m', '--set', 'ZooKeeperConnectionsNearLimit.fallback=250');
    assert.equal(result.status, 0, result.stderr);
    assert.match(alertRule(result.stdout, 'ZooKeeperWatchCountHigh')!.expr, /> 50000$/);
    assert.equal(alertRule(result.stdout, 'ZooKeeperServerDown')!.for, '5m');
    assert.match(alertRule(result.stdout, 'ZooKeeperConnectionsNearLimit')!.expr, /> 250 unless/);
    const base = renderRuleFile();
    for (const alert of ALERTS.filter((a) => !['ZooKeeperWatchCountHigh', 'ZooKeeperServerDown', 'ZooKeeperConnectionsNearLimit'].includes(a.name))) {
      assert.deepEqual(alertRule(result.stdout, alert.name), alertRule(base, alert.name), alert.name);
    }
  });

  it('bad settings are refused with what was expected, all at once, exit 2', () => {
    const result = zkotel('rules', '--set', 'ZooKeeperWatchCount.threshold=1', '--set', 'ZooKeeperWatchCountHigh.threshold=many', '--set', 'ZooKeeperQuorumLost.threshold=1', '--set', 'ZooKeeperServerDown.for=soon', '--set', 'oops');
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /unknown alert "ZooKeeperWatchCount"/);
    assert.match(result.stderr, /ZooKeeperWatchCountHigh\.threshold=many: expected a number, got "many"/);
    assert.match(result.stderr, /ZooKeeperQuorumLost has no parameter "threshold" \(only "for"\)/);
    assert.match(result.stderr, /ZooKeeperServerDown\.for: expected a Prometheus duration such as 5m, got "soon"/);
    assert.match(result.stderr, /--set oops: expected NAME\.PARAM=VALUE/);
  });

  it('--agent-job names the job ZooKeeperAgentDown watches', () => {
    const result = zkotel('rules', '--agent-job', 'zookeeper-agent');
    assert.equal(result.status, 0, result.stderr);
    assert.match(alertRule(result.stdout, 'ZooKeeperAgentDown')!.expr, /absent\(up\{job="zookeeper-agent"\}\)/);
    assert.doesNotMatch(result.stdout, /job="zkotel"/);
  });

  it('--runbook-base points runbook_url at your copy of the runbooks', () => {
    const result = zkotel('rules', '--runbook-base', 'https://wiki.example/zk-runbooks');
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /runbook_url: https:\/\/wiki\.example\/zk-runbooks#zookeeperquorumlost$/m);
    assert.equal(zkotel('rules', '--runbook-base', 'wiki').status, 2);
  });

  it('an unknown naming is refused', () => {
    const result = zkotel('rules', '--naming', 'otel');
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--naming: expected default or compat, got "otel"/);
  });

  it('--help lists every tunable parameter with its default', () => {
    const result = zkotel('rules', '--help');
    assert.equal(result.status, 0);
    assert.match(result.stdout, /ZooKeeperFileDescriptorsNearLimit\.threshold = 0\.8 \(ratio of max_file_descriptor_count\)/);
    assert.match(result.stdout, /ZooKeeperConnectionsNearLimit\.fallback = 1000 \(connections\)/);
  });
});
