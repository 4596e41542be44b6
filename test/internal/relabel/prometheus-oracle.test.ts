import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compileRelabelConfigs, type RelabelConfig } from '../../../src/index.js';
import { startPrometheus, type PrometheusServer } from '../../harness/prometheus.js';

/**
 * The same rules through a real Prometheus (Debian's 2.42, target relabeling: the same relabel.Process as metric
 * relabeling) and through zkotel, under legacy label names (2.42 knows no other). Each case is a scrape job with
 * one static target: Prometheus reports the labels relabeling saw (`discoveredLabels`) and what it made of them
 * (`labels`, without `__` labels). zkotel runs the rules on the same discovered labels.
 *
 * Left out on purpose: a templated target_label with a replacement that expands to "". 2.42 then deletes the label
 * named by the unexpanded template (so nothing); Prometheus 2.50+ deletes the expanded target, and so does zkotel
 * (Prometheus's own TestRelabel case "Blank replacement should delete the label", in conformance.test.ts).
 */
interface OracleCase {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly rules: RelabelConfig[];
}

const split = (target: string, replacement = '$2', regex = '(.*)=(.*)'): RelabelConfig[] => [
  { source_labels: ['a'], regex, target_label: target, replacement },
];

const CASES: OracleCase[] = [
  { name: 'target expands to a valid name', labels: { a: 'env=prod' }, rules: split('${1}') },
  { name: 'target expands to ""', labels: { a: '=prod' }, rules: split('${1}') },
  { name: 'target expands to a name with a dot', labels: { a: 'zk.role=leader' }, rules: split('${1}') },
  { name: 'target expands to a name with a dash', labels: { a: 'zk-role=leader' }, rules: split('$1') },
  { name: 'target expands to a name starting with a digit', labels: { a: '1x=leader' }, rules: split('${1}') },
  { name: 'a prefix makes a digit-led expansion valid', labels: { a: '1x=leader' }, rules: split('l_${1}') },
  { name: 'target expands to a non-ASCII letter', labels: { a: 'rôle=leader' }, rules: split('${1}') },
  { name: 'target expands to a name with a space', labels: { a: 'zk role=leader' }, rules: split('${1}_x') },
  { name: 'a skipped write leaves an existing label alone', labels: { a: 'b.c=new', b: 'old' }, rules: split('${1}') },
  { name: '$1x names the group "1x" (none): target ""', labels: { a: 'env=prod' }, rules: split('$1x') },
  { name: '${1}x is group 1 then x', labels: { a: 'env=prod' }, rules: split('${1}x') },
  { name: 'a missing group expands to ""', labels: { a: 'env=prod' }, rules: split('${3}') },
  { name: 'a non-participating group expands to ""', labels: { a: 'prod' }, rules: split('x_${1}', '$2', '(?:(.*)=)?(.*)') },
  { name: 'a ten-digit reference is a name, not a group number', labels: { a: 'env=prod' }, rules: split('x_${1234567890}') },
  { name: 'a leading zero makes a name: $01 is not group 1', labels: { a: 'env=prod' }, rules: split('x_$01') },
  { name: 'named groups, $name and ${name}', labels: { a: 'env=prod' }, rules: split('${key}_$key', '${value}', '(?P<key>.*)=(?P<value>.*)') },
  { name: 'a group named 1x is what $1x refers to', labels: { a: 'env=prod' }, rules: split('l_$1x', '$2', '(?P<1x>.*)=(.*)') },
  { name: '$$ in a replacement is one $', labels: { a: 'env=prod' }, rules: split('${1}', '$$2=$2') },
  { name: 'a $ that starts no reference is text', labels: { a: 'env=prod' }, rules: split('${1}', 'cost$-${2') },
  {
    name: 'an empty replacement with a literal target deletes it',
    labels: { a: 'x', b: 'old' },
    rules: [{ source_labels: ['a'], target_label: 'b', replacement: '' }],
  },
  {
    name: 'labelmap writes names it does not check: a digit-led one',
    labels: { m_1x: 'v', m_ok: 'w' },
    rules: [{ action: 'labelmap', regex: 'm_(.*)', replacement: '$1' }],
  },
  {
    name: 'lowercase and uppercase write their fixed target',
    labels: { a: 'LeAdEr' },
    rules: [
      { source_labels: ['a'], target_label: 'low', action: 'lowercase' },
      { source_labels: ['a'], target_label: 'up', action: 'uppercase' },
    ],
  },
  { name: 'hashmod writes its fixed target', labels: { a: 'baz' }, rules: [{ source_labels: ['a'], target_label: 'shard', action: 'hashmod', modulus: 1000 }] },
  {
    name: 'labeldrop and labelkeep only remove',
    labels: { a: 'x', b: 'y', c: 'z' },
    rules: [
      { action: 'labeldrop', regex: 'a' },
      { action: 'labelkeep', regex: 'b|__.*|job' },
    ],
  },
];

/** The labels Prometheus shows for a target: no `__` labels, and `instance` (set from __address__ after the rules). */
function visible(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([name]) => !name.startsWith('__') && name !== 'instance'));
}

describe('relabel agrees with a real Prometheus 2.42 (legacy label names)', () => {
  let prometheus: PrometheusServer;
  const byJob = new Map<string, { discoveredLabels: Record<string, string>; labels: Record<string, string> }>();

  before(async () => {
    const jobs = CASES.map((testCase, index) => ({
      job_name: `case_${index}`,
      // Nothing listens there: the scrape (at most one, with this interval) fails, which changes no labels.
      scrape_interval: '1h',
      scrape_timeout: '1s',
      static_configs: [{ targets: [`127.0.0.1:${index + 1}`], labels: testCase.labels }],
      relabel_configs: testCase.rules,
    }));
    prometheus = await startPrometheus({
      scrapeTargets: ['127.0.0.1:1'],
      jobName: 'unused',
      scrapeInterval: '1h',
      scrapeTimeout: '1s',
      extraConfig: { scrape_configs: jobs },
    });
    const targets = await prometheus.waitFor(
      async () => {
        const active = await prometheus.targets();
        return active.filter((target) => target.scrapePool.startsWith('case_')).length === CASES.length ? active : undefined;
      },
      30_000,
      `all ${CASES.length} relabeled targets`,
    );
    for (const target of targets) byJob.set(target.scrapePool, target);
  });

  after(async () => {
    await prometheus?.stop();
  });

  CASES.forEach((testCase, index) => {
    it(testCase.name, () => {
      const target = byJob.get(`case_${index}`);
      assert.ok(target, `Prometheus has no target for case_${index}`);
      const ours = compileRelabelConfigs(testCase.rules, { nameValidationScheme: 'legacy' })(target.discoveredLabels);
      assert.ok(ours, 'zkotel kept the target, as Prometheus did');
      assert.deepEqual(visible(ours), visible(target.labels));
    });
  });
});
