import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Attributes } from '../../../src/core/batch.js';
import { createLogger, silentLogger } from '../../../src/core/logger.js';
import { compileActions, convertValue, hashValue } from '../../../src/processors/attributes/actions.js';
import { attributesProcessorConfigSchema, type ConvertedType } from '../../../src/processors/attributes/config.js';

/** The actions, validated by the schema, compiled into one edit. */
function edit(actions: unknown[], logger = silentLogger) {
  return compileActions(attributesProcessorConfigSchema.parse({ actions }).actions, logger);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('attributes processor actions', () => {
  const input: Attributes = Object.freeze({ 'zk.cluster': 'main', 'zk.endpoint': 'zk1.example:2181', other: 'copied', tmp_a: '1', tmp_b: '2', port: '+02181' });

  const cases: { name: string; actions: unknown[]; expected: Record<string, string> | 'unchanged' }[] = [
    { name: 'insert adds an absent key', actions: [{ key: 'env', action: 'insert', value: 'prod' }], expected: { ...input, env: 'prod' } },
    { name: 'insert leaves a present key alone', actions: [{ key: 'zk.cluster', action: 'insert', value: 'other' }], expected: 'unchanged' },
    { name: 'insert from_attribute', actions: [{ key: 'copy', action: 'insert', from_attribute: 'other' }], expected: { ...input, copy: 'copied' } },
    { name: 'insert from an absent attribute does nothing', actions: [{ key: 'copy', action: 'insert', from_attribute: 'missing' }], expected: 'unchanged' },
    {
      name: 'update changes a present key, in place',
      actions: [{ key: 'zk.cluster', action: 'update', value: 'prod' }],
      expected: { ...input, 'zk.cluster': 'prod' },
    },
    { name: 'update leaves an absent key absent', actions: [{ key: 'env', action: 'update', value: 'prod' }], expected: 'unchanged' },
    { name: 'update to the same value changes nothing', actions: [{ key: 'zk.cluster', action: 'update', value: 'main' }], expected: 'unchanged' },
    { name: 'upsert inserts', actions: [{ key: 'dc', action: 'upsert', value: 'eu-1' }], expected: { ...input, dc: 'eu-1' } },
    { name: 'upsert updates', actions: [{ key: 'zk.cluster', action: 'upsert', value: 'eu-1' }], expected: { ...input, 'zk.cluster': 'eu-1' } },
    {
      name: 'upsert from_attribute',
      actions: [{ key: 'zk.cluster', action: 'upsert', from_attribute: 'other' }],
      expected: { ...input, 'zk.cluster': 'copied' },
    },
    {
      name: 'upsert from an absent attribute does nothing',
      actions: [{ key: 'zk.cluster', action: 'upsert', from_attribute: 'missing' }],
      expected: 'unchanged',
    },
    {
      name: 'delete by key',
      actions: [{ key: 'other', action: 'delete' }],
      expected: { 'zk.cluster': 'main', 'zk.endpoint': 'zk1.example:2181', tmp_a: '1', tmp_b: '2', port: '+02181' },
    },
    { name: 'delete an absent key changes nothing', actions: [{ key: 'secret', action: 'delete' }], expected: 'unchanged' },
    {
      name: 'delete by pattern (anchored: tmp_ does not match other keys containing it)',
      actions: [{ pattern: 'tmp_.*', action: 'delete' }],
      expected: { 'zk.cluster': 'main', 'zk.endpoint': 'zk1.example:2181', other: 'copied', port: '+02181' },
    },
    {
      name: 'delete by pattern with ^…$ written out',
      actions: [{ pattern: '^tmp_a$', action: 'delete' }],
      expected: { 'zk.cluster': 'main', 'zk.endpoint': 'zk1.example:2181', other: 'copied', tmp_b: '2', port: '+02181' },
    },
    { name: 'delete by a pattern that only matches part of a key deletes nothing', actions: [{ pattern: 'tmp', action: 'delete' }], expected: 'unchanged' },
    {
      name: 'delete by key and pattern',
      actions: [{ key: 'port', pattern: '(?i)ZK\\..*', action: 'delete' }],
      expected: { other: 'copied', tmp_a: '1', tmp_b: '2' },
    },
    { name: 'hash by key: SHA-256 hex', actions: [{ key: 'zk.endpoint', action: 'hash' }], expected: { ...input, 'zk.endpoint': sha256('zk1.example:2181') } },
    {
      name: 'hash by pattern, and a key the pattern also matches is hashed once',
      actions: [{ key: 'tmp_a', pattern: 'tmp_[ab]', action: 'hash' }],
      expected: { ...input, tmp_a: sha256('1'), tmp_b: sha256('2') },
    },
    { name: 'hash an absent key changes nothing', actions: [{ key: 'secret', action: 'hash' }], expected: 'unchanged' },
    {
      name: 'extract named groups into new attributes; the source is kept',
      actions: [{ key: 'zk.endpoint', action: 'extract', pattern: '^(?P<zk_host>[^:]+):(?P<zk_port>\\d+)$' }],
      expected: { ...input, zk_host: 'zk1.example', zk_port: '2181' },
    },
    {
      name: 'extract overwrites existing attributes',
      actions: [{ key: 'zk.endpoint', action: 'extract', pattern: '(?P<other>[^:.]+).*' }],
      expected: { ...input, other: 'zk1' },
    },
    {
      name: 'extract with (?<name>…) groups and a non-capturing group',
      actions: [{ key: 'zk.endpoint', action: 'extract', pattern: '(?<host>[^.]+)(?:\\.[^:]+)?:\\d+' }],
      expected: { ...input, host: 'zk1' },
    },
    {
      name: 'extract: a group that took no part gives an empty value',
      actions: [{ key: 'zk.endpoint', action: 'extract', pattern: '(?P<h>[^:]+):(?P<v6>\\[.*\\])?(?P<p>\\d+)' }],
      expected: { ...input, h: 'zk1.example', v6: '', p: '2181' },
    },
    {
      name: 'extract is anchored: a partial match extracts nothing',
      actions: [{ key: 'zk.endpoint', action: 'extract', pattern: '(?P<zk_port>\\d+)' }],
      expected: 'unchanged',
    },
    { name: 'extract from an absent key does nothing', actions: [{ key: 'missing', action: 'extract', pattern: '(?P<x>.*)' }], expected: 'unchanged' },
    { name: 'convert int normalises', actions: [{ key: 'port', action: 'convert', converted_type: 'int' }], expected: { ...input, port: '2181' } },
    { name: 'convert a non-number leaves it unchanged', actions: [{ key: 'zk.cluster', action: 'convert', converted_type: 'double' }], expected: 'unchanged' },
    {
      name: 'convert string is a no-op (every value is a string)',
      actions: [{ key: 'port', action: 'convert', converted_type: 'string' }],
      expected: 'unchanged',
    },
    { name: 'convert an absent key does nothing', actions: [{ key: 'missing', action: 'convert', converted_type: 'int' }], expected: 'unchanged' },
    {
      name: 'actions apply in order, each to the result of the previous one',
      actions: [
        { key: 'zk.endpoint', action: 'extract', pattern: '(?P<host>[^:]+):(?P<port>\\d+)' },
        { key: 'host', action: 'hash' },
        { key: 'addr', action: 'insert', from_attribute: 'host' },
        { pattern: 'tmp_.*|zk\\.endpoint|other', action: 'delete' },
        { key: 'port', action: 'convert', converted_type: 'int' },
      ],
      expected: { 'zk.cluster': 'main', port: '2181', host: sha256('zk1.example'), addr: sha256('zk1.example') },
    },
    {
      name: 'delete then insert the same value gives back the input itself',
      actions: [
        { key: 'other', action: 'delete' },
        { key: 'other', action: 'insert', value: 'copied' },
      ],
      expected: 'unchanged',
    },
  ];
  for (const { name, actions, expected } of cases) {
    it(name, () => {
      const output = edit(actions)(input);
      if (expected === 'unchanged') {
        assert.equal(output, input, 'the same object');
      } else {
        assert.notEqual(output, input);
        assert.deepEqual(output, expected);
        assert.ok(Object.isFrozen(output), 'output attributes are frozen');
      }
      assert.deepEqual(
        input,
        { 'zk.cluster': 'main', 'zk.endpoint': 'zk1.example:2181', other: 'copied', tmp_a: '1', tmp_b: '2', port: '+02181' },
        'the input is never modified',
      );
    });
  }

  it('keeps the key order: updates in place, inserts at the end', () => {
    const output = edit([
      { key: 'a', action: 'update', value: 'A' },
      { key: 'z', action: 'insert', value: 'Z' },
    ])({ b: '1', a: '2', c: '3' });
    assert.deepEqual(Object.keys(output), ['b', 'a', 'c', 'z']);
  });

  it('treats a key named __proto__ as an ordinary attribute', () => {
    const output = edit([{ key: '__proto__', action: 'insert', value: 'x' }])({ a: '1' });
    assert.equal(Object.getPrototypeOf(output), Object.prototype);
    assert.deepEqual(Object.entries(output), [
      ['a', '1'],
      ['__proto__', 'x'],
    ]);
    assert.equal(
      edit([{ key: 'toString', action: 'update', value: 'x' }])({ a: '1' }).toString,
      Object.prototype.toString,
      'inherited names are not attributes',
    );
  });

  it('hash: SHA-256 lowercase hex of the UTF-8 value; an empty value stays empty, as in the Collector', () => {
    assert.equal(hashValue('zk1:2181'), sha256('zk1:2181'));
    assert.equal(hashValue('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(hashValue('é'), createHash('sha256').update(Buffer.from('c3a9', 'hex')).digest('hex'));
    assert.equal(hashValue(''), '');
  });

  it('convert: Go strconv rules, normalised text, undefined (leave unchanged) when not convertible', () => {
    const table: [string, ConvertedType, string | undefined][] = [
      ['42', 'int', '42'],
      ['+007', 'int', '7'],
      ['-0', 'int', '0'],
      ['-9223372036854775808', 'int', '-9223372036854775808'],
      ['9223372036854775807', 'int', '9223372036854775807'],
      ['9223372036854775808', 'int', undefined],
      ['1.5', 'int', undefined],
      ['1e3', 'int', undefined],
      [' 42', 'int', undefined],
      ['0x1f', 'int', undefined],
      ['1_000', 'int', undefined],
      ['', 'int', undefined],
      ['1.50', 'double', '1.5'],
      ['1e3', 'double', '1000'],
      ['-.5', 'double', '-0.5'],
      ['5.', 'double', '5'],
      ['42', 'double', '42'],
      ['+Inf', 'double', '+Inf'],
      ['-infinity', 'double', '-Inf'],
      ['INF', 'double', '+Inf'],
      ['nan', 'double', 'NaN'],
      ['1e400', 'double', undefined],
      ['1e-400', 'double', '0'],
      ['Infinity1', 'double', undefined],
      ['0x10', 'double', undefined],
      ['1,5', 'double', undefined],
      ['', 'double', undefined],
      ['anything', 'string', 'anything'],
    ];
    for (const [value, type, expected] of table) assert.equal(convertValue(value, type), expected, `${JSON.stringify(value)} → ${type}`);
  });

  it('logs a failed conversion at debug level, naming the key and value', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    const output = edit([{ key: 'port', action: 'convert', converted_type: 'int' }], logger)({ port: 'http' });
    assert.deepEqual(output, { port: 'http' });
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, 'debug');
    assert.equal(lines[0]!.key, 'port');
    assert.equal(lines[0]!.value, 'http');
  });
});
