import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { formatProblem } from '../../../src/core/config/errors.js';
import { loadConfig } from '../../../src/core/config/resolve.js';
import { schemaProblems } from '../../../src/core/config/schema.js';
import { Registry } from '../../../src/core/registry.js';
import { prometheusExporterFactory } from '../../../src/exporters/prometheus/factory.js';
import { relabelProcessorConfigSchema } from '../../../src/processors/relabel/config.js';
import { relabelProcessorFactory } from '../../../src/processors/relabel/factory.js';
import { zookeeperReceiverFactory } from '../../../src/receivers/zookeeper/factory.js';

/** `path: message` for each problem the schema finds, as `zkotel validate` prints them after the location. */
function problemsOf(config: unknown): string[] {
  const parsed = relabelProcessorConfigSchema.safeParse(config, { reportInput: true });
  return parsed.success ? [] : schemaProblems(parsed.error).map(({ path, message }) => `${path.join('::')}: ${message}`);
}

const rule = (fields: Record<string, unknown>, scheme?: 'utf8' | 'legacy') =>
  problemsOf({ rules: [fields], ...(scheme ? { metric_name_validation_scheme: scheme } : {}) });

describe('relabel config: every error Prometheus raises, at its field', () => {
  const requireOnlyEqual = "action requires only 'source_labels' and `target_label`, and no other fields";
  const cases: { name: string; fields: Record<string, unknown>; scheme?: 'utf8' | 'legacy'; expected: string }[] = [
    { name: 'invalid regex', fields: { source_labels: ['a'], regex: '(', action: 'keep' }, expected: 'rules::0::regex: invalid regex "(": missing closing )' },
    {
      name: 'invalid regex names the offending part',
      fields: { source_labels: ['a'], regex: 'a**' },
      expected: 'rules::0::regex: invalid regex "a**": invalid nested repetition operator: `**`',
    },
    {
      name: 'lookahead is not RE2',
      fields: { source_labels: ['a'], regex: 'x(?!y)', action: 'drop' },
      expected: 'rules::0::regex: invalid regex "x(?!y)": invalid or unsupported Perl syntax: `(?!`',
    },
    { name: 'unknown action', fields: { action: 'relabel' }, expected: 'rules::0::action: unknown relabel action "relabel"' },
    { name: 'empty action string', fields: { action: '' }, expected: 'rules::0::action: unknown relabel action ""' },
    { name: 'null action', fields: { action: null }, expected: 'rules::0::action: relabel action cannot be empty' },
    {
      name: 'hashmod without modulus',
      fields: { source_labels: ['a'], target_label: 'b', action: 'hashmod' },
      expected: 'rules::0: relabel configuration for hashmod requires non-zero modulus',
    },
    {
      name: 'hashmod with modulus 0',
      fields: { source_labels: ['a'], target_label: 'b', action: 'hashmod', modulus: 0 },
      expected: 'rules::0::modulus: relabel configuration for hashmod requires non-zero modulus',
    },
    {
      name: 'negative modulus',
      fields: { source_labels: ['a'], target_label: 'b', action: 'hashmod', modulus: -1 },
      expected: 'rules::0::modulus: invalid modulus -1: expected a whole number from 0 to 18446744073709551615',
    },
    {
      name: 'fractional modulus',
      fields: { source_labels: ['a'], target_label: 'b', action: 'hashmod', modulus: 1.5 },
      expected: 'rules::0::modulus: invalid modulus 1.5: expected a whole number from 0 to 18446744073709551615',
    },
    {
      name: 'modulus beyond 2^53',
      fields: { source_labels: ['a'], target_label: 'b', action: 'hashmod', modulus: 2 ** 64 },
      expected: 'rules::0::modulus: modulus 18446744073709552000 is not exact as a number: the largest supported is 9007199254740991',
    },
    ...['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal'].map((action) => ({
      name: `${action} without target_label`,
      fields: { source_labels: ['a'], action, ...(action === 'hashmod' ? { modulus: 2 } : {}) },
      expected: `rules::0: relabel configuration for ${action} action requires 'target_label' value`,
    })),
    {
      name: 'empty target_label',
      fields: { source_labels: ['a'], target_label: '' },
      expected: "rules::0::target_label: relabel configuration for replace action requires 'target_label' value",
    },
    {
      name: 'invalid target_label (legacy)',
      fields: { source_labels: ['a'], target_label: 'zk.role' },
      scheme: 'legacy',
      expected: `rules::0::target_label: "zk.role" is invalid 'target_label' for replace action`,
    },
    {
      name: 'invalid templated target_label (legacy)',
      fields: { source_labels: ['a'], regex: '(.*)', target_label: '-${1}' },
      scheme: 'legacy',
      expected: `rules::0::target_label: "-\${1}" is invalid 'target_label' for replace action`,
    },
    {
      name: 'invalid target_label (UTF-8: not well-formed)',
      fields: { source_labels: ['a'], target_label: 'a\udc00' },
      expected: `rules::0::target_label: "a\\udc00" is invalid 'target_label' for replace action`,
    },
    ...['lowercase', 'uppercase', 'keepequal', 'dropequal'].map((action) => ({
      name: `${action}: no templates in target_label (legacy)`,
      fields: { source_labels: ['a'], target_label: '${1}', action },
      scheme: 'legacy' as const,
      expected: `rules::0::target_label: "\${1}" is invalid 'target_label' for ${action} action`,
    })),
    {
      name: 'hashmod: invalid target_label (legacy)',
      fields: { source_labels: ['a'], target_label: 'shard-id', action: 'hashmod', modulus: 3 },
      scheme: 'legacy',
      expected: `rules::0::target_label: "shard-id" is invalid 'target_label' for hashmod action`,
    },
    ...['lowercase', 'uppercase', 'keepequal', 'dropequal'].map((action) => ({
      name: `${action} with a replacement`,
      fields: { source_labels: ['a'], target_label: 'b', replacement: 'x', action },
      expected: `rules::0::replacement: 'replacement' can not be set for ${action} action`,
    })),
    {
      name: 'labelmap: invalid replacement (legacy)',
      fields: { regex: 'zk_(.*)', replacement: 'zk-$1', action: 'labelmap' },
      scheme: 'legacy',
      expected: `rules::0::replacement: "zk-$1" is invalid 'replacement' for labelmap action`,
    },
    {
      name: 'labelmap: empty replacement',
      fields: { regex: 'zk_(.*)', replacement: '', action: 'labelmap' },
      expected: `rules::0::replacement: "" is invalid 'replacement' for labelmap action`,
    },
    {
      name: 'keepequal with a regex, even the default one',
      fields: { source_labels: ['a'], target_label: 'b', regex: '(.*)', action: 'keepequal' },
      expected: `rules::0::regex: keepequal ${requireOnlyEqual}`,
    },
    {
      name: 'dropequal with a separator',
      fields: { source_labels: ['a'], target_label: 'b', separator: ',', action: 'dropequal' },
      expected: `rules::0::separator: dropequal ${requireOnlyEqual}`,
    },
    {
      name: 'dropequal with a modulus',
      fields: { source_labels: ['a'], target_label: 'b', modulus: 3, action: 'dropequal' },
      expected: `rules::0::modulus: dropequal ${requireOnlyEqual}`,
    },
    {
      name: 'labeldrop with source_labels, even empty',
      fields: { source_labels: [], regex: 'x', action: 'labeldrop' },
      expected: "rules::0::source_labels: labeldrop action requires only 'regex', and no other fields",
    },
    {
      name: 'labelkeep with a target_label',
      fields: { regex: 'x', target_label: 'y', action: 'labelkeep' },
      expected: "rules::0::target_label: labelkeep action requires only 'regex', and no other fields",
    },
    {
      name: 'labelkeep with a replacement',
      fields: { regex: 'x', replacement: 'y', action: 'labelkeep' },
      expected: "rules::0::replacement: labelkeep action requires only 'regex', and no other fields",
    },
    {
      name: 'invalid source label',
      fields: { source_labels: ['a', ''], target_label: 'b' },
      expected: 'rules::0::source_labels::1: "" is not a valid label name',
    },
    {
      name: 'unknown field',
      fields: { source_labels: ['a'], target_label: 'b', regexp: 'x' },
      expected: 'rules::0::regexp: unknown key "regexp" (valid keys: action, modulus, regex, replacement, separator, source_labels, target_label)',
    },
    { name: 'wrong type', fields: { source_labels: 'a', target_label: 'b' }, expected: 'rules::0::source_labels: expected array, got string "a"' },
  ];
  for (const { name, fields, scheme, expected } of cases) {
    it(name, () => assert.deepEqual(rule(fields, scheme), [expected]));
  }

  it('a null rule', () => {
    assert.deepEqual(problemsOf({ rules: [{ source_labels: ['a'], target_label: 'b' }, null] }), ['rules::1: empty or null relabeling rule']);
  });

  it('names that are only valid as UTF-8 are accepted by default, as in Prometheus 3', () => {
    assert.deepEqual(rule({ source_labels: ['a'], target_label: 'zk.role' }), []);
    assert.deepEqual(rule({ source_labels: ['a'], target_label: '${1}', action: 'lowercase' }), []);
  });

  it('reports a problem in every rule', () => {
    assert.deepEqual(problemsOf({ rules: [{ regex: '[', action: 'labeldrop' }, { action: 'nope' }, { target_label: 'ok', replacement: 'v' }] }), [
      'rules::0::regex: invalid regex "[": missing closing ]',
      'rules::1::action: unknown relabel action "nope"',
    ]);
  });

  it('an unknown name validation scheme', () => {
    assert.deepEqual(problemsOf({ metric_name_validation_scheme: 'ascii' }), [
      'metric_name_validation_scheme: Invalid option: expected one of "utf8"|"legacy"',
    ]);
  });

  it('defaults to no rules and UTF-8 names; fields left out stay out (Prometheus treats a given regex differently)', () => {
    assert.deepEqual(relabelProcessorFactory.createDefaultConfig(), { rules: [], metric_name_validation_scheme: 'utf8' });
    const config = relabelProcessorConfigSchema.parse({ rules: [{ action: 'labeldrop', regex: 'zk_cluster' }] });
    assert.deepEqual(config.rules, [{ action: 'labeldrop', regex: 'zk_cluster' }]);
  });
});

describe('relabel config errors through loadConfig: FILE:LINE:COL, path, message', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-relabel-'));
  const registry = new Registry([zookeeperReceiverFactory, relabelProcessorFactory, prometheusExporterFactory]);
  let count = 0;
  const TAIL =
    'exporters:\n  prometheus: {}\nservice:\n  pipelines:\n    metrics: { receivers: [zookeeper], processors: [relabel/tidy], exporters: [prometheus] }\n';

  /** Problems for a config whose relabel/tidy rules are `rules` (YAML, indented 6). */
  function problemsFor(rules: string, extra = ''): string[] {
    const file = path.join(dir, `config-${++count}.yaml`);
    writeFileSync(file, `receivers:\n  zookeeper: {}\nprocessors:\n  relabel/tidy:\n${extra}    rules:\n${rules}${TAIL}`);
    return loadConfig([file], registry, {}).problems.map((problem) => formatProblem(problem).replace(file, 'FILE'));
  }

  it('invalid regex', () => {
    assert.deepEqual(problemsFor('      - source_labels: [__name__]\n        regex: (\n        action: keep\n'), [
      'FILE:7:9: processors::relabel/tidy::rules::0::regex: invalid regex "(": missing closing )',
    ]);
  });

  it('missing modulus for hashmod points at the rule', () => {
    assert.deepEqual(problemsFor('      - source_labels: [zk_endpoint]\n        target_label: shard\n        action: hashmod\n'), [
      'FILE:6:9: processors::relabel/tidy::rules::0: relabel configuration for hashmod requires non-zero modulus',
    ]);
  });

  it('invalid target_label', () => {
    assert.deepEqual(problemsFor('      - source_labels: [zk_endpoint]\n        target_label: zk.host\n', '    metric_name_validation_scheme: legacy\n'), [
      `FILE:8:9: processors::relabel/tidy::rules::0::target_label: "zk.host" is invalid 'target_label' for replace action`,
    ]);
  });

  it('unknown action', () => {
    assert.deepEqual(problemsFor('      - regex: zk_cluster\n        action: label_drop\n'), [
      'FILE:7:9: processors::relabel/tidy::rules::0::action: unknown relabel action "label_drop"',
    ]);
  });

  it('several rules, several problems, in file order', () => {
    const rules = [
      '      - action: labelmap',
      '        regex: zk_(.*)',
      "        replacement: ''",
      '      -',
      '      - action: keepequal',
      '        source_labels: [a]',
      '        target_label: b',
      '        separator: ","',
      '',
    ].join('\n');
    assert.deepEqual(problemsFor(rules), [
      `FILE:8:9: processors::relabel/tidy::rules::0::replacement: "" is invalid 'replacement' for labelmap action`,
      'FILE:9:8: processors::relabel/tidy::rules::1: empty or null relabeling rule',
      "FILE:13:9: processors::relabel/tidy::rules::2::separator: keepequal action requires only 'source_labels' and `target_label`, and no other fields",
    ]);
  });

  it('the README example is valid as copied from Prometheus: ${1} stays a Go template, $${1} is an escaped one', () => {
    const rules = (replacement: string) =>
      [
        '      - source_labels: [__name__]',
        '        regex: zookeeper_(.*)',
        '        target_label: __name__',
        `        replacement: ${replacement}`,
        '      - action: labeldrop',
        '        regex: zk_cluster',
        '',
      ].join('\n');
    assert.deepEqual(problemsFor(rules('zk_$1')), []);
    assert.deepEqual(problemsFor(rules('zk_$${1}')), []);
    assert.deepEqual(problemsFor(rules('zk_${1}')), []);
  });
});
