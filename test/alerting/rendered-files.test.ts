/**
 * The files under deploy/ are what the definition renders now, and `zkotel rules` prints and tunes the same rules.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
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

describe('scripts/render-alerting.ts', () => {
  it('--runbook-base URL --out DIR writes your own set with runbook_url links, and leaves the committed files alone', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'zkotel-render-alerting-'));
    try {
      const result = spawnSync(
        process.execPath,
        [path.join(ROOT, 'dist/scripts/render-alerting.js'), '--runbook-base', 'https://wiki.example/zk', '--out', out],
        { encoding: 'utf8' },
      );
      assert.equal(result.status, 0, result.stderr);
      const files = [
        'deploy/prometheus/zookeeper-rules.yaml',
        'deploy/prometheus/zookeeper-rules-compat.yaml',
        'deploy/kubernetes/prometheusrule.yaml',
        'deploy/alertmanager/alertmanager.yaml',
      ];
      for (const file of files) assert.equal(readFileSync(path.join(out, file), 'utf8'), deployFiles({ runbookBase: 'https://wiki.example/zk' })[file], file);
      assert.match(readFileSync(path.join(out, files[0]!), 'utf8'), /runbook_url: https:\/\/wiki\.example\/zk#zookeeperserverdown$/m);
      assert.doesNotMatch(readFileSync(path.join(ROOT, files[0]!), 'utf8'), /^ +runbook_url:/m);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('refuses a runbook base that is not an http(s) URL, writing nothing', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'zkotel-render-alerting-'));
    try {
      const result = spawnSync(process.execPath, [path.join(ROOT, 'dist/scripts/render-alerting.js'), '--runbook-base', 'wiki', '--out', out], {
        encoding: 'utf8',
      });
      assert.equal(result.status, 2);
      assert.match(result.stderr, /--runbook-base: expected an http\(s\) URL/);
      assert.equal(existsSync(path.join(out, 'deploy')), false);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
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
    const result = zkotel(
      'rules',
      '--set',
      'ZooKeeperWatchCountHigh.threshold=50000',
      '--set',
      'ZooKeeperServerDown.for=5m',
      '--set',
      'ZooKeeperConnectionsNearLimit.fallback=250',
    );
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
    const result = zkotel(
      'rules',
      '--set',
      'ZooKeeperWatchCount.threshold=1',
      '--set',
      'ZooKeeperWatchCountHigh.threshold=many',
      '--set',
      'ZooKeeperQuorumLost.threshold=1',
      '--set',
      'ZooKeeperServerDown.for=soon',
      '--set',
      'oops',
    );
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

  it('--runbook-base points runbook_url at your copy of the runbooks; without it, no link (the runbook annotation names the section)', () => {
    const result = zkotel('rules', '--runbook-base', 'https://wiki.example/zk-runbooks');
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /runbook_url: https:\/\/wiki\.example\/zk-runbooks#zookeeperquorumlost$/m);
    assert.doesNotMatch(result.stdout, /^ +runbook:/m);
    const plain = zkotel('rules');
    assert.doesNotMatch(plain.stdout, /^ +runbook_url:/m);
    assert.match(plain.stdout, /^ +runbook: zkotel docs\/runbooks\.md#zookeeperquorumlost$/m);
    for (const bad of ['wiki', 'https://wiki.example/zk#runbooks']) {
      const refused = zkotel('rules', '--runbook-base', bad);
      assert.equal(refused.status, 2, bad);
      assert.match(refused.stderr, /--runbook-base: expected an http\(s\) URL without #fragment/, bad);
    }
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
