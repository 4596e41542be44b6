/**
 * The rendered rules under promtool: `check rules` on every rendered and committed file, `test rules` with a
 * firing and a not-firing case for every alert (cases.ts), and the annotations of a firing alert.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import YAML from 'yaml';
import { ALERTS } from '../../src/alerting/definition.js';
import { NAMINGS } from '../../src/alerting/naming.js';
import { alertsFor, deployFiles, renderRuleFile, type RenderOptions } from '../../src/alerting/render.js';
import { COMPAT_CASES, DEFAULT_CASES, member, type AlertCase } from './cases.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-rules-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function promtool(args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function writeRules(name: string, options: RenderOptions): string {
  writeFileSync(path.join(dir, name), renderRuleFile(options));
  return name;
}

function unitTests(ruleFile: string, cases: readonly AlertCase[]): string {
  return YAML.stringify({
    rule_files: [ruleFile],
    evaluation_interval: '1m',
    tests: cases.map((testCase) => ({
      name: testCase.name,
      interval: '1m',
      input_series: testCase.series,
      alert_rule_test: [{ eval_time: testCase.evalTime, alertname: testCase.alert, exp_alerts: testCase.expect.map((labels) => ({ exp_labels: labels })) }],
    })),
  });
}

describe('promtool check rules', () => {
  for (const [file, text] of Object.entries(deployFiles()).filter(([file]) => file.startsWith('deploy/prometheus/'))) {
    it(`${file} is valid`, () => {
      const name = path.basename(file);
      writeFileSync(path.join(dir, name), text);
      const result = promtool(['check', 'rules', name]);
      assert.equal(result.status, 0, result.output);
      assert.match(result.output, /SUCCESS: \d+ rules found/);
    });
  }

  it('deploy/kubernetes/prometheusrule.yaml: its spec.groups are valid rules', () => {
    const manifest = YAML.parse(readFileSync(path.join(ROOT, 'deploy/kubernetes/prometheusrule.yaml'), 'utf8')) as {
      kind: string;
      spec: { groups: unknown[] };
    };
    assert.equal(manifest.kind, 'PrometheusRule');
    writeFileSync(path.join(dir, 'operator.yaml'), YAML.stringify({ groups: manifest.spec.groups }));
    const result = promtool(['check', 'rules', 'operator.yaml']);
    assert.equal(result.status, 0, result.output);
  });

  it('tuned rules (--set) are valid too', () => {
    const name = writeRules('tuned.yaml', { overrides: { ZooKeeperWatchCountHigh: { params: { threshold: 50_000 }, for: '30m' } } });
    assert.equal(promtool(['check', 'rules', name]).status, 0);
  });
});

describe('promtool test rules', () => {
  it('every alert of each naming has a case where it fires and one where it does not', () => {
    for (const [naming, cases] of [
      ['default', DEFAULT_CASES],
      ['compat', COMPAT_CASES],
    ] as const) {
      const expressible = alertsFor(NAMINGS[naming]).map((alert) => alert.name);
      for (const testCase of cases) assert.ok(expressible.includes(testCase.alert), `${naming}: ${testCase.name}: ${testCase.alert} is in the ${naming} rules`);
      if (naming === 'compat') continue;
      for (const name of expressible) {
        assert.ok(
          cases.some((c) => c.alert === name && c.expect.length > 0),
          `${name}: a case where it fires`,
        );
        assert.ok(
          cases.some((c) => c.alert === name && c.expect.length === 0),
          `${name}: a case where it does not fire`,
        );
      }
    }
  });

  it('zkotel names: every case passes', () => {
    const rules = writeRules('default.yaml', { naming: 'default', annotations: false });
    writeFileSync(path.join(dir, 'default-test.yaml'), unitTests(rules, DEFAULT_CASES));
    const result = promtool(['test', 'rules', 'default-test.yaml']);
    assert.equal(result.status, 0, result.output);
  });

  it('Go exporter names: every case passes', () => {
    const rules = writeRules('compat.yaml', { naming: 'compat', annotations: false });
    writeFileSync(path.join(dir, 'compat-test.yaml'), unitTests(rules, COMPAT_CASES));
    const result = promtool(['test', 'rules', 'compat-test.yaml']);
    assert.equal(result.status, 0, result.output);
  });

  it('a failing expectation fails (the harness can fail)', () => {
    const rules = writeRules('default-check.yaml', { naming: 'default', annotations: false });
    const wrong: AlertCase = {
      name: 'healthy cluster, expecting a lost quorum',
      alert: 'ZooKeeperQuorumLost',
      evalTime: '20m',
      series: [...member('a:2181', 'leader'), ...member('b:2181', 'follower'), ...member('c:2181', 'follower')],
      expect: [{ zk_cluster: 'prod', severity: 'critical' }],
    };
    writeFileSync(path.join(dir, 'wrong-test.yaml'), unitTests(rules, [wrong]));
    assert.equal(promtool(['test', 'rules', 'wrong-test.yaml']).status, 1);
  });

  it('ZooKeeperServerDown says why, and QuorumLost how many serve of how many voters', () => {
    const rules = writeRules('annotated.yaml', { naming: 'default', runbookBase: 'https://runbooks.example/zk' });
    const down = [...member('a:2181', 'leader', { synced: 1 }), ...member('b:2181', 'follower', { serving: 5, down: 25 }), ...member('c:2181', 'follower')];
    const lost = ['a', 'b', 'c'].flatMap((name) => member(`${name}:2181`, name === 'a' ? 'leader' : 'follower', { serving: 5, down: 25 }));
    const tests = {
      rule_files: [rules],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: down,
          alert_rule_test: [
            {
              eval_time: '20m',
              alertname: 'ZooKeeperServerDown',
              exp_alerts: [
                {
                  exp_labels: { zk_cluster: 'prod', zk_endpoint: 'b:2181', severity: 'warning' },
                  exp_annotations: {
                    summary: 'ZooKeeper server b:2181 (cluster prod) is down',
                    description: 'ZooKeeper server b:2181 (cluster prod) does not serve: mntr: refused. The ensemble has one failure less in reserve.',
                    runbook_url: 'https://runbooks.example/zk#zookeeperserverdown',
                  },
                },
              ],
            },
          ],
        },
        {
          interval: '1m',
          input_series: lost,
          alert_rule_test: [
            {
              eval_time: '20m',
              alertname: 'ZooKeeperQuorumLost',
              exp_alerts: [
                {
                  exp_labels: { zk_cluster: 'prod', severity: 'critical' },
                  exp_annotations: {
                    summary: 'ZooKeeper cluster prod has lost its quorum',
                    description:
                      'Only 0 voting members of cluster prod serve requests, fewer than a majority of the 3 voting members. Clients can neither read nor write.',
                    runbook_url: 'https://runbooks.example/zk#zookeeperquorumlost',
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    writeFileSync(path.join(dir, 'annotated-test.yaml'), YAML.stringify(tests));
    const result = promtool(['test', 'rules', 'annotated-test.yaml']);
    assert.equal(result.status, 0, result.output);
  });

  it('every alert carries severity and the summary, description and runbook annotations (a section of docs/runbooks.md without a base URL)', () => {
    for (const naming of ['default', 'compat'] as const) {
      const groups = (
        YAML.parse(renderRuleFile({ naming })) as {
          groups: { rules: { alert?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[];
        }
      ).groups;
      const alerts = groups.flatMap((group) => group.rules).filter((rule) => rule.alert);
      assert.equal(alerts.length, alertsFor(NAMINGS[naming]).length);
      for (const rule of alerts) {
        const definition = ALERTS.find((alert) => alert.name === rule.alert)!;
        assert.equal(rule.labels?.severity, definition.severity, rule.alert);
        assert.deepEqual(Object.keys(rule.annotations ?? {}).sort(), ['description', 'runbook', 'summary'], rule.alert);
        assert.equal(rule.annotations!.runbook, `zkotel docs/runbooks.md#${definition.name.toLowerCase()}`, rule.alert);
        assert.match(rule.annotations!.description!, /\$value|\$labels|query/, `${rule.alert}: the description shows live data`);
        if (naming === 'compat') {
          assert.equal(rule.labels?.zk_cluster, '{{ $labels.job }}', rule.alert);
          if (definition.scope === 'server') assert.equal(rule.labels?.zk_endpoint, '{{ $labels.zk_host }}', rule.alert);
        }
      }
    }
  });
});
