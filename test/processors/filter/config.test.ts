import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPath } from '../../../src/core/config/errors.js';
import { schemaProblems } from '../../../src/core/config/schema.js';
import { filterProcessorConfigSchema } from '../../../src/processors/filter/config.js';
import { filterProcessorFactory } from '../../../src/processors/filter/factory.js';

/** `path::to::field: message` for every problem, as `zkotel validate` prints them (without the file position). */
function problems(config: unknown): string[] {
  const parsed = filterProcessorConfigSchema.safeParse(config, { reportInput: true });
  return parsed.success ? [] : schemaProblems(parsed.error).map((p) => `${formatPath(p.path)}: ${p.message}`);
}

const names = (match_type: string, ...metric_names: string[]) => ({ match_type, metric_names });

describe('filter processor config', () => {
  it('defaults to passing everything', () => {
    assert.deepEqual(filterProcessorFactory.createDefaultConfig(), { metrics: {} });
    assert.equal(filterProcessorFactory.type, 'filter');
    assert.equal(filterProcessorFactory.kind, 'processor');
  });

  it('accepts the documented forms', () => {
    const config = {
      metrics: {
        include: names('strict', 'zookeeper.up', 'zookeeper.latency.avg'),
        exclude: {
          match_type: 'regexp',
          metric_names: ['zookeeper\\..*\\.p999', '(?i)ZOOKEEPER\\.UP'],
          attributes: [{ key: 'zk.cluster', value: 'te.*' }, { key: 'zk.endpoint' }],
        },
      },
    };
    assert.deepEqual(problems(config), []);
    assert.deepEqual(filterProcessorConfigSchema.parse(config), config);
    // Attribute values are strings: YAML numbers and booleans are taken as their text.
    const parsed = filterProcessorConfigSchema.parse({
      metrics: {
        include: {
          match_type: 'strict',
          attributes: [
            { key: 'port', value: 2181 },
            { key: 'tls', value: false },
          ],
        },
      },
    });
    assert.deepEqual(parsed.metrics.include?.attributes, [
      { key: 'port', value: '2181' },
      { key: 'tls', value: 'false' },
    ]);
    // Under strict, names are not regexes, so "invalid regex" names are fine.
    assert.deepEqual(problems({ metrics: { include: names('strict', 'a(') } }), []);
  });

  const cases: { name: string; config: unknown; expected: RegExp[] }[] = [
    {
      name: 'match_type is required',
      config: { metrics: { include: { metric_names: ['a'] } } },
      expected: [/^metrics::include::match_type: required: strict or regexp$/],
    },
    {
      name: 'match_type is strict or regexp',
      config: { metrics: { exclude: names('glob', 'a') } },
      expected: [/^metrics::exclude::match_type: unsupported match_type "glob": expected strict or regexp$/],
    },
    {
      name: 'expr is not supported',
      config: { metrics: { exclude: names('expr', 'a') } },
      expected: [/^metrics::exclude::match_type: .*expr is not supported/],
    },
    {
      name: 'a matcher needs metric_names or attributes',
      config: { metrics: { include: { match_type: 'strict' } } },
      expected: [/^metrics::include: set metric_names, attributes or both/],
    },
    {
      name: 'metric_names must not be empty',
      config: { metrics: { include: names('strict') } },
      expected: [/^metrics::include::metric_names: must not be empty/],
    },
    {
      name: 'attributes must not be empty',
      config: { metrics: { include: { match_type: 'strict', attributes: [] } } },
      expected: [/^metrics::include::attributes: must not be empty/],
    },
    {
      name: 'an invalid name regex names its index',
      config: { metrics: { exclude: names('regexp', 'ok', 'zookeeper\\.(') } },
      expected: [/^metrics::exclude::metric_names::1: invalid RE2 regular expression "zookeeper\\\\\.\(": missing closing \)/],
    },
    {
      name: 'every invalid regex is reported',
      config: { metrics: { exclude: names('regexp', '*', '[z-a]') } },
      expected: [/^metrics::exclude::metric_names::0: invalid RE2/, /^metrics::exclude::metric_names::1: invalid RE2/],
    },
    {
      name: 'RE2, not JavaScript: no backreferences',
      config: { metrics: { exclude: names('regexp', '(a)\\1') } },
      expected: [/^metrics::exclude::metric_names::0: invalid RE2/],
    },
    {
      name: 'RE2, not JavaScript: no lookahead',
      config: { metrics: { exclude: names('regexp', 'a(?=b)') } },
      expected: [/^metrics::exclude::metric_names::0: invalid RE2/],
    },
    {
      name: 'an invalid attribute value regex',
      config: {
        metrics: {
          include: {
            match_type: 'regexp',
            attributes: [
              { key: 'a', value: 'x' },
              { key: 'b', value: '(' },
            ],
          },
        },
      },
      expected: [/^metrics::include::attributes::1::value: invalid RE2/],
    },
    {
      name: 'an attribute matcher needs a key',
      config: { metrics: { include: { match_type: 'strict', attributes: [{ value: 'x' }] } } },
      expected: [/^metrics::include::attributes::0::key: required: expected string$/],
    },
    {
      name: 'an attribute key must not be empty',
      config: { metrics: { include: { match_type: 'strict', attributes: [{ key: '' }] } } },
      expected: [/^metrics::include::attributes::0::key: must not be empty$/],
    },
    {
      name: 'an attribute value is a scalar',
      config: { metrics: { include: { match_type: 'strict', attributes: [{ key: 'a', value: ['x'] }] } } },
      expected: [/^metrics::include::attributes::0::value: expected a string, number or boolean$/],
    },
    {
      name: 'metric_names is a list of strings',
      config: { metrics: { include: { match_type: 'strict', metric_names: 'zookeeper.up' } } },
      expected: [/^metrics::include::metric_names: expected array, got string "zookeeper.up"$/],
    },
    {
      name: 'unknown matcher keys name the valid ones',
      config: { metrics: { include: { match_type: 'strict', names: ['a'] } } },
      expected: [
        /^metrics::include::names: unknown key "names" \(valid keys: attributes, match_type, metric_names\)$/,
        /^metrics::include: set metric_names, attributes or both/,
      ],
    },
    {
      name: 'unknown keys under metrics',
      config: { metrics: { datapoint: ['x'] } },
      expected: [/^metrics::datapoint: unknown key "datapoint" \(valid keys: exclude, include\)$/],
    },
    { name: 'unknown top-level keys', config: { logs: {} }, expected: [/^logs: unknown key "logs" \(valid keys: metrics\)$/] },
    {
      name: 'include and exclude are reported together',
      config: { metrics: { include: { metric_names: ['a'] }, exclude: names('regexp', '(') } },
      expected: [/^metrics::include::match_type: required/, /^metrics::exclude::metric_names::0: invalid RE2/],
    },
  ];
  for (const { name, config, expected } of cases) {
    it(`rejects: ${name}`, () => {
      const found = problems(config);
      assert.equal(found.length, expected.length, `problems: ${JSON.stringify(found)}`);
      expected.forEach((pattern, i) => assert.match(found[i]!, pattern));
    });
  }
});
