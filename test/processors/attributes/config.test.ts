import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPath } from '../../../src/core/config/errors.js';
import { schemaProblems } from '../../../src/core/config/schema.js';
import { attributesProcessorConfigSchema } from '../../../src/processors/attributes/config.js';
import { attributesProcessorFactory } from '../../../src/processors/attributes/factory.js';
import { DOCUMENTED_EXAMPLE } from './documented-example.js';

/** `path::to::field: message` for every problem, as `zkotel validate` prints them (without the file position). */
function problems(config: unknown): string[] {
  const parsed = attributesProcessorConfigSchema.safeParse(config, { reportInput: true });
  return parsed.success ? [] : schemaProblems(parsed.error).map((p) => `${formatPath(p.path)}: ${p.message}`);
}

/** Problems of a config with this one action, placed second so paths show the index. */
const actionProblems = (action: unknown) => problems({ actions: [{ key: 'ok', action: 'delete' }, action] });

describe('attributes processor config', () => {
  it('defaults to no actions (a no-op), so the default config is valid', () => {
    assert.deepEqual(attributesProcessorFactory.createDefaultConfig(), { actions: [] });
    assert.equal(attributesProcessorFactory.type, 'attributes');
    assert.equal(attributesProcessorFactory.kind, 'processor');
  });

  it('accepts every action in its documented form and keeps only the fields it uses', () => {
    const config = {
      ...DOCUMENTED_EXAMPLE,
      actions: [
        ...DOCUMENTED_EXAMPLE.actions,
        { key: 'a', pattern: 'b.*', action: 'hash' },
        { key: 'zk.endpoint', action: 'extract', pattern: '(?<host>[^:]+):(?:\\d+)' },
        { key: 'ratio', action: 'convert', converted_type: 'double' },
        { key: 'ratio', action: 'convert', converted_type: 'string' },
      ],
    };
    assert.deepEqual(problems(config), []);
    assert.deepEqual(attributesProcessorConfigSchema.parse(config), config);
  });

  it('takes action names in any case and YAML scalars as their text, as the Collector does', () => {
    const parsed = attributesProcessorConfigSchema.parse({
      actions: [
        { key: 'account_id', action: 'INSERT', value: 2245 },
        { key: 'redacted', action: 'Upsert', value: true },
      ],
    });
    assert.deepEqual(parsed.actions, [
      { key: 'account_id', action: 'insert', value: '2245' },
      { key: 'redacted', action: 'upsert', value: 'true' },
    ]);
  });

  const cases: { name: string; action: unknown; expected: RegExp[] }[] = [
    {
      name: 'action is required',
      action: { key: 'a', value: 'x' },
      expected: [/^actions::1::action: required: one of insert, update, upsert, delete, hash, extract, convert$/],
    },
    {
      name: 'unknown action',
      action: { key: 'a', action: 'rename' },
      expected: [/^actions::1::action: unknown action "rename": expected one of insert, update, upsert, delete, hash, extract, convert$/],
    },
    { name: 'insert without key', action: { action: 'insert', value: 'x' }, expected: [/^actions::1::key: required by action insert$/] },
    { name: 'update without key', action: { action: 'update', from_attribute: 'x' }, expected: [/^actions::1::key: required by action update$/] },
    { name: 'upsert with an empty key', action: { key: '', action: 'upsert', value: 'x' }, expected: [/^actions::1::key: must not be empty$/] },
    { name: 'extract without key', action: { action: 'extract', pattern: '(?P<a>.*)' }, expected: [/^actions::1::key: required by action extract$/] },
    { name: 'convert without key', action: { action: 'convert', converted_type: 'int' }, expected: [/^actions::1::key: required by action convert$/] },
    { name: 'delete without key or pattern', action: { action: 'delete' }, expected: [/^actions::1: set key, pattern or both: the attributes to delete$/] },
    { name: 'hash without key or pattern', action: { action: 'hash' }, expected: [/^actions::1: set key, pattern or both: the attributes to hash$/] },
    {
      name: 'insert without value or from_attribute',
      action: { key: 'a', action: 'insert' },
      expected: [/^actions::1: set value or from_attribute: the value to insert$/],
    },
    {
      name: 'upsert with value and from_attribute',
      action: { key: 'a', action: 'upsert', value: 'x', from_attribute: 'b' },
      expected: [/^actions::1: set value or from_attribute, not both$/],
    },
    { name: 'from_attribute empty', action: { key: 'a', action: 'upsert', from_attribute: '' }, expected: [/^actions::1::from_attribute: must not be empty$/] },
    {
      name: 'value not a scalar',
      action: { key: 'a', action: 'insert', value: { x: 1 } },
      expected: [/^actions::1::value: expected a string, number or boolean$/],
    },
    {
      name: 'extract without pattern',
      action: { key: 'a', action: 'extract' },
      expected: [/^actions::1::pattern: required by action extract: a regex with named groups/],
    },
    {
      name: 'extract pattern without groups',
      action: { key: 'a', action: 'extract', pattern: '[^:]+:\\d+' },
      expected: [/^actions::1::pattern: has no named groups/],
    },
    {
      name: 'extract pattern with only unnamed groups',
      action: { key: 'a', action: 'extract', pattern: '([^:]+):(\\d+)' },
      expected: [/^actions::1::pattern: has no named groups/],
    },
    {
      name: 'extract pattern with an unnamed group',
      action: { key: 'a', action: 'extract', pattern: '(?P<host>[^:]+):(\\d+)' },
      expected: [/^actions::1::pattern: has an unnamed group: name every group/],
    },
    {
      name: 'extract pattern with a duplicate group name',
      action: { key: 'a', action: 'extract', pattern: '(?P<x>a)(?P<x>b)' },
      expected: [/^actions::1::pattern: invalid RE2 regular expression .*duplicate capture group name/],
    },
    {
      name: 'extract pattern invalid',
      action: { key: 'a', action: 'extract', pattern: '(?P<x>a' },
      expected: [/^actions::1::pattern: invalid RE2 regular expression "\(\?P<x>a": missing closing \)/],
    },
    {
      name: 'delete pattern invalid',
      action: { action: 'delete', pattern: '*tmp' },
      expected: [/^actions::1::pattern: invalid RE2 regular expression "\*tmp": missing argument to repetition operator/],
    },
    { name: 'hash pattern with a JavaScript-only lookbehind', action: { action: 'hash', pattern: '(?<=a)b' }, expected: [/^actions::1::pattern: invalid RE2/] },
    {
      name: 'convert without converted_type',
      action: { key: 'a', action: 'convert' },
      expected: [/^actions::1::converted_type: required by action convert: one of int, double, string$/],
    },
    {
      name: 'convert to an unsupported type',
      action: { key: 'a', action: 'convert', converted_type: 'bool' },
      expected: [/^actions::1::converted_type: unsupported converted_type "bool": expected one of int, double, string$/],
    },
    {
      name: 'pattern on insert',
      action: { key: 'a', action: 'insert', value: 'x', pattern: '.*' },
      expected: [/^actions::1::pattern: not used by action insert$/],
    },
    {
      name: 'converted_type on update',
      action: { key: 'a', action: 'update', value: 'x', converted_type: 'int' },
      expected: [/^actions::1::converted_type: not used by action update$/],
    },
    { name: 'value on delete', action: { key: 'a', action: 'delete', value: 'x' }, expected: [/^actions::1::value: not used by action delete$/] },
    {
      name: 'from_attribute on hash',
      action: { key: 'a', action: 'hash', from_attribute: 'b' },
      expected: [/^actions::1::from_attribute: not used by action hash$/],
    },
    {
      name: 'value on extract',
      action: { key: 'a', action: 'extract', pattern: '(?P<b>.*)', value: 'x' },
      expected: [/^actions::1::value: not used by action extract$/],
    },
    {
      name: 'pattern on convert',
      action: { key: 'a', action: 'convert', converted_type: 'int', pattern: '.*' },
      expected: [/^actions::1::pattern: not used by action convert$/],
    },
    {
      name: 'from_context (no client context in zkotel)',
      action: { key: 'a', action: 'insert', from_context: 'metadata.x' },
      expected: [
        /^actions::1::from_context: unknown key "from_context" \(valid keys: action, converted_type, from_attribute, key, pattern, value\)$/,
        /^actions::1: set value or from_attribute/,
      ],
    },
    {
      name: 'several problems at once',
      action: { action: 'convert', pattern: '(' },
      expected: [/^actions::1::pattern: not used by action convert$/, /^actions::1::key: required by action convert$/, /^actions::1::converted_type: required/],
    },
  ];
  for (const { name, action, expected } of cases) {
    it(`rejects: ${name}`, () => {
      const found = actionProblems(action);
      assert.equal(found.length, expected.length, `problems: ${JSON.stringify(found)}`);
      expected.forEach((pattern, i) => assert.match(found[i]!, pattern));
    });
  }

  it('rejects invalid include/exclude matchers and a wrong actions type, with paths', () => {
    assert.deepEqual(problems({ include: { metric_names: ['a'] }, actions: [] }), ['include::match_type: required: strict or regexp']);
    assert.match(problems({ exclude: { match_type: 'regexp', metric_names: ['ok', '(?P<'] } }).join('\n'), /^exclude::metric_names::1: invalid RE2/);
    assert.deepEqual(problems({ actions: { key: 'a', action: 'delete' } }), ['actions: expected array, got a mapping']);
    assert.match(problems({ action: [] }).join(), /^action: unknown key "action" \(valid keys: actions, exclude, include\)$/);
  });
});
