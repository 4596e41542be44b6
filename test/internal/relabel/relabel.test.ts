import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { goToLower, goToUpper } from '../../../src/internal/relabel/relabel.js';
import { compileRelabelConfigs, type RelabelConfig, type RelabelOptions } from '../../../src/index.js';

/** Runs rules over labels, like Prometheus's relabel.Process. */
function relabel(labels: Record<string, string>, configs: RelabelConfig[], options?: RelabelOptions): Record<string, string> | null {
  return compileRelabelConfigs(configs, options)(labels);
}

/** A replace rule that writes the expansion of `replacement` for `value` to label `out`. */
function expand(value: string, regex: string, replacement: string): string | undefined {
  return relabel({ in: value }, [{ source_labels: ['in'], regex, target_label: 'out', replacement }])?.out;
}

describe('relabel: defaults', () => {
  it('replace copies the joined source values with regex (.*), replacement $1 and separator ;', () => {
    assert.deepEqual(relabel({ a: 'x', b: 'y' }, [{ source_labels: ['a', 'b'], target_label: 'c' }]), { a: 'x', b: 'y', c: 'x;y' });
    assert.deepEqual(relabel({ a: 'x', b: 'y' }, [{ source_labels: ['a', 'b'], separator: '/', target_label: 'c' }]), { a: 'x', b: 'y', c: 'x/y' });
  });

  it('a missing source label is the empty string', () => {
    assert.deepEqual(relabel({ a: 'x' }, [{ source_labels: ['a', 'missing'], target_label: 'c' }]), { a: 'x', c: 'x;' });
  });

  it('a literal replacement without source labels sets a static label', () => {
    assert.deepEqual(relabel({ a: 'x' }, [{ target_label: 'env', replacement: 'prod' }]), { a: 'x', env: 'prod' });
  });

  it('actions are case-insensitive', () => {
    assert.equal(relabel({ a: 'x' }, [{ source_labels: ['a'], regex: 'x', action: 'DROP' }]), null);
    assert.deepEqual(relabel({ a: 'x' }, [{ source_labels: ['a'], target_label: 'b', action: 'Replace' }]), { a: 'x', b: 'x' });
  });

  it('returns a new object sorted by label name and leaves the input alone', () => {
    const input = Object.freeze({ z: '1', a: '2' });
    const output = relabel(input, [{ target_label: 'm', replacement: '3' }]);
    assert.deepEqual(Object.keys(output!), ['a', 'm', 'z']);
    assert.notEqual(output, input);
    assert.deepEqual(relabel(input, []), { a: '2', z: '1' });
  });

  it('handles any label name, __proto__ included', () => {
    const input = Object.fromEntries([
      ['__proto__', 'p'],
      ['constructor', 'c'],
    ]) as Record<string, string>;
    const output = relabel(input, [{ source_labels: ['__proto__', 'constructor', 'toString'], target_label: 'joined' }]);
    assert.equal(output?.joined, 'p;c;');
    assert.ok(Object.hasOwn(output!, '__proto__'));
  });
});

describe('relabel: a label set to the empty string is removed', () => {
  it('copying a missing label deletes the target', () => {
    assert.deepEqual(relabel({ a: 'x', b: 'old' }, [{ source_labels: ['missing'], target_label: 'b' }]), { a: 'x' });
  });

  it('an empty replacement deletes the target (replacement "" and replacement: null)', () => {
    assert.deepEqual(relabel({ a: 'x', b: 'old' }, [{ source_labels: ['a'], target_label: 'b', replacement: '' }]), { a: 'x' });
    assert.deepEqual(relabel({ a: 'x', b: 'old' }, [{ source_labels: ['a'], target_label: 'b', replacement: null }]), { a: 'x' });
  });

  it('an input label with an empty value counts as missing and is not returned', () => {
    assert.deepEqual(relabel({ a: '', b: 'y' }, [{ source_labels: ['a'], regex: '', action: 'keep' }]), { b: 'y' });
  });

  it('lowercase of an empty value deletes the target', () => {
    assert.deepEqual(relabel({ a: 'x', low: 'old' }, [{ source_labels: ['missing'], target_label: 'low', action: 'lowercase' }]), { a: 'x' });
  });
});

describe('relabel: templates expand as Go Regexp.Expand', () => {
  it('$1 and ${1}', () => {
    assert.equal(expand('ab', '(a)(b)', '$2$1-${1}'), 'ba-a');
  });

  it('$1x names the group "1x" (the longest run of letters, digits and _), which does not exist', () => {
    assert.equal(expand('ab', '(a)(b)', '$1x-${1}x'), '-ax');
    assert.equal(expand('ab', '(a)(b)', '$1_$2'), 'b', '$1_ is the group "1_"');
    assert.equal(expand('ab', '(a)(b)', '$1é'), undefined, 'names are Unicode letters too, so the result is empty and the label is not set');
  });

  it('${name} and $name, for (?P<name>...) and (?<name>...)', () => {
    assert.equal(expand('host:2181', '(?P<host>[^:]+):(?<port>\\d+)', '${port}@$host'), '2181@host');
  });

  it('$$ is a literal $', () => {
    assert.equal(expand('a', '(a)', '$$1=$1'), '$1=a');
  });

  it('a missing or non-participating group expands to ""', () => {
    assert.equal(expand('ab', '(a)(b)', '[$3][${9}][$nope]'), '[][][]');
    assert.equal(expand('b', '(a)|(b)', '[$1][$2]'), '[][b]');
  });

  it('a $ that starts no reference is kept as text', () => {
    assert.equal(expand('a', '(a)', 'cost$'), 'cost$');
    assert.equal(expand('a', '(a)', '${1'), '${1');
    assert.equal(expand('a', '(a)', '${}-$-'), '${}-$-');
  });

  it('a number with a leading zero is a name, so $01 is not group 1', () => {
    assert.equal(expand('a', '(a)', '[$01][${01}][$0]'), '[][][a]');
  });

  it('duplicate group names are allowed, as in Go: the first one that took part', () => {
    assert.equal(expand('ax', '(?P<h>a)x|(?P<h>b)y', '${h}'), 'a');
    assert.equal(expand('by', '(?P<h>a)x|(?P<h>b)y', '${h}'), 'b');
    // Group-like text in \Q...\E or in a class is not a group, and is left as written.
    const tricky = '\\Q(?P<h>\\E(?P<h>a)|[(?P<h>]+(?P<h>b)';
    assert.equal(expand('(?P<h>a', tricky, '${h}'), 'a');
    assert.equal(expand('<<b', tricky, '${h}'), 'b');
  });

  it('$1x against a group named 1x, and $ references in a ten-digit or zero-led number are names', () => {
    assert.equal(expand('ab', '(?P<1x>a)(b)', '$1x|${1}x'), 'a|ax');
    assert.equal(expand('ab', '(a)(b)', '[${1234567890}][${123456789}]'), '[][]', 'nine digits is a number (no such group), ten a name');
  });
});

describe('relabel: a replace whose target_label expands to an invalid name writes nothing (relabel.go)', () => {
  type Expected = Record<string, string>;
  /** `a` holds `name=value`; the rule writes `value` to the label named by `target` ("" when `regex` does not match). */
  const cases: { name: string; labels: Record<string, string>; target: string; legacy: Expected; utf8: Expected }[] = [
    { name: 'a valid name is written', labels: { a: 'env=prod' }, target: '${1}', legacy: { env: 'prod' }, utf8: { env: 'prod' } },
    { name: 'an empty expansion writes nothing', labels: { a: '=prod' }, target: '${1}', legacy: {}, utf8: {} },
    { name: 'a missing group expands to "": nothing', labels: { a: 'env=prod' }, target: '${3}', legacy: {}, utf8: {} },
    { name: '$1x is the group "1x", missing: nothing', labels: { a: 'env=prod' }, target: '$1x', legacy: {}, utf8: {} },
    { name: '${1}x is group 1, then x', labels: { a: 'env=prod' }, target: '${1}x', legacy: { envx: 'prod' }, utf8: { envx: 'prod' } },
    { name: 'a dot', labels: { a: 'zk.role=leader' }, target: '${1}', legacy: {}, utf8: { 'zk.role': 'leader' } },
    { name: 'a leading digit', labels: { a: '1x=leader' }, target: '$1', legacy: {}, utf8: { '1x': 'leader' } },
    {
      name: 'a prefix before a leading digit makes it valid',
      labels: { a: '1x=leader' },
      target: 'l_$1',
      legacy: { l_1x: 'leader' },
      utf8: { l_1x: 'leader' },
    },
    { name: 'a dash', labels: { a: 'zk-role=leader' }, target: '${1}', legacy: {}, utf8: { 'zk-role': 'leader' } },
    { name: 'a space', labels: { a: 'zk role=leader' }, target: '${1}_x', legacy: {}, utf8: { 'zk role_x': 'leader' } },
    { name: 'a non-ASCII letter', labels: { a: 'rôle=leader' }, target: '${1}', legacy: {}, utf8: { rôle: 'leader' } },
    { name: 'not well-formed UTF-16 (a lone surrogate) is never valid', labels: { a: '\uD800=v' }, target: '${1}', legacy: {}, utf8: {} },
    {
      name: 'a skipped write leaves the label of that name alone',
      labels: { a: 'b.c=new', 'b.c': 'old' },
      target: '${1}',
      legacy: { 'b.c': 'old' },
      utf8: { 'b.c': 'new' },
    },
    { name: 'an empty replacement deletes the expanded target', labels: { a: 'b=', b: 'old' }, target: '${1}', legacy: {}, utf8: {} },
    {
      name: 'an empty replacement with an invalid target deletes nothing',
      labels: { a: 'b.c=', 'b.c': 'old' },
      target: '${1}',
      legacy: { 'b.c': 'old' },
      utf8: {},
    },
  ];
  for (const testCase of cases) {
    for (const scheme of ['legacy', 'utf8'] as const) {
      it(`${testCase.name} (${scheme})`, () => {
        const rules: RelabelConfig[] = [{ source_labels: ['a'], regex: '(.*)=(.*)', target_label: testCase.target, replacement: '$2' }];
        const { a, ...others } = relabel(testCase.labels, rules, { nameValidationScheme: scheme })!;
        assert.equal(a, testCase.labels.a);
        assert.deepEqual(others, testCase[scheme]);
      });
    }
  }

  it('$$ in a target is one $: a valid UTF-8 name; legacy rejects the rule', () => {
    const rules: RelabelConfig[] = [{ source_labels: ['a'], regex: '(.*)', target_label: 'cost$$${1}', replacement: 'v' }];
    assert.deepEqual(relabel({ a: 'x' }, rules), { a: 'x', cost$x: 'v' });
    assert.throws(() => compileRelabelConfigs(rules, { nameValidationScheme: 'legacy' }), {
      message: `relabel rule 0 target_label: "cost$$\${1}" is invalid 'target_label' for replace action`,
    });
  });
});

describe('relabel: the names other actions write', () => {
  it('labelmap checks only its replacement template, not the names it makes (as relabel.go)', () => {
    const rules: RelabelConfig[] = [{ action: 'labelmap', regex: 'm_(.*)', replacement: '$1' }];
    const labels = { m_1x: 'a', 'm_zk.role': 'b', m_: 'c' };
    assert.deepEqual(relabel(labels, rules, { nameValidationScheme: 'legacy' }), { '': 'c', '1x': 'a', m_: 'c', m_1x: 'a', 'm_zk.role': 'b', 'zk.role': 'b' });
  });

  it('lowercase, uppercase, hashmod, keepequal and dropequal use target_label as written, checked when compiled', () => {
    const actions: RelabelConfig[] = [
      { source_labels: ['a'], target_label: '${1}', action: 'lowercase' },
      { source_labels: ['a'], target_label: '${1}', action: 'uppercase' },
      { source_labels: ['a'], target_label: '${1}', action: 'hashmod', modulus: 10 },
    ];
    for (const rule of actions) {
      assert.throws(() => compileRelabelConfigs([rule], { nameValidationScheme: 'legacy' }), {
        message: `relabel rule 0 target_label: "\${1}" is invalid 'target_label' for ${rule.action} action`,
      });
      assert.deepEqual(Object.keys(relabel({ a: 'Xy' }, [rule])!), ['${1}', 'a'], `${rule.action} writes a label named \${1} under UTF-8`);
    }
    assert.equal(relabel({ a: 'Xy', '${1}': 'Xy' }, [{ source_labels: ['a'], target_label: '${1}', action: 'dropequal' }]), null);
    assert.throws(
      () => compileRelabelConfigs([{ source_labels: ['a'], target_label: 'zk.role', action: 'keepequal' }], { nameValidationScheme: 'legacy' }),
      /"zk\.role" is invalid 'target_label' for keepequal action/,
    );
  });

  it('labeldrop and labelkeep only remove labels', () => {
    assert.deepEqual(
      relabel(
        { a: 'x', b: 'y', c: 'z' },
        [
          { action: 'labeldrop', regex: 'a' },
          { action: 'labelkeep', regex: 'b' },
        ],
        { nameValidationScheme: 'legacy' },
      ),
      { b: 'y' },
    );
  });
});

describe('relabel: keep, drop, keepequal, dropequal', () => {
  it('keep and drop match the joined source values', () => {
    const labels = { job: 'zk', env: 'prod' };
    assert.equal(relabel(labels, [{ source_labels: ['job', 'env'], regex: 'zk;prod', action: 'drop' }]), null);
    assert.deepEqual(relabel(labels, [{ source_labels: ['job', 'env'], regex: 'zk;prod', action: 'keep' }]), labels);
    assert.equal(relabel(labels, [{ source_labels: ['job', 'env'], regex: 'zk', action: 'keep' }]), null);
  });

  it('keepequal and dropequal compare the joined source values with the target label', () => {
    const labels = { a: 'x', b: 'y', ab: 'x;y' };
    assert.deepEqual(relabel(labels, [{ source_labels: ['a', 'b'], target_label: 'ab', action: 'keepequal' }]), labels);
    assert.equal(relabel(labels, [{ source_labels: ['a', 'b'], target_label: 'ab', action: 'dropequal' }]), null);
    assert.equal(relabel(labels, [{ source_labels: ['a'], target_label: 'b', action: 'keepequal' }]), null);
  });

  it('a missing target equals an empty source value', () => {
    assert.equal(relabel({ a: 'x' }, [{ source_labels: ['missing'], target_label: 'also_missing', action: 'dropequal' }]), null);
  });

  it('rules after a drop do not run', () => {
    assert.equal(
      relabel({ a: 'x' }, [
        { source_labels: ['a'], action: 'drop', regex: 'x' },
        { target_label: 'b', replacement: 'y' },
      ]),
      null,
    );
  });
});

describe('relabel: labelmap, labeldrop, labelkeep', () => {
  it('labelmap copies matching labels to names from the replacement template', () => {
    assert.deepEqual(relabel({ zk_endpoint: 'h:1', zk_cluster: 'c', other: 'o' }, [{ action: 'labelmap', regex: 'zk_(.*)', replacement: 'zookeeper_${1}' }]), {
      other: 'o',
      zk_cluster: 'c',
      zk_endpoint: 'h:1',
      zookeeper_cluster: 'c',
      zookeeper_endpoint: 'h:1',
    });
  });

  it('labelmap visits the original labels by name, then labels set by earlier rules in the order set (the last write wins)', () => {
    const rule: RelabelConfig = { action: 'labelmap', regex: '(?:a|b)_(x)', replacement: '$1' };
    assert.deepEqual(relabel({ a_x: '1', b_x: '2' }, [rule]), { a_x: '1', b_x: '2', x: '2' });
    const setA: RelabelConfig = { source_labels: ['a_x'], target_label: 'a_x', replacement: '3' };
    assert.deepEqual(relabel({ a_x: '1', b_x: '2' }, [setA, rule]), { a_x: '3', b_x: '2', x: '3' });
  });

  it('labelmap does not validate the names it makes: an empty capture makes a label with an empty name', () => {
    assert.deepEqual(relabel({ zk_: 'v' }, [{ action: 'labelmap', regex: 'zk_(.*)', replacement: '$1' }]), { '': 'v', zk_: 'v' });
  });

  it('labeldrop and labelkeep match label names, __name__ included', () => {
    const labels = { __name__: 'm', zk_endpoint: 'h', zk_cluster: 'c' };
    assert.deepEqual(relabel(labels, [{ action: 'labeldrop', regex: 'zk_.*' }]), { __name__: 'm' });
    assert.deepEqual(relabel(labels, [{ action: 'labelkeep', regex: 'zk_.*' }]), { zk_cluster: 'c', zk_endpoint: 'h' });
  });
});

describe('relabel: hashmod', () => {
  /** An independent computation: MD5, bytes 8..15 big-endian, modulo. */
  function expected(value: string, modulus: bigint): string {
    const digest = createHash('md5').update(value).digest();
    let n = 0n;
    for (let i = 8; i < 16; i++) n = (n << 8n) | BigInt(digest[i]!);
    return (n % modulus).toString();
  }

  it('takes MD5 bytes 8..15 as an unsigned 64-bit number (not a signed one, not a double)', () => {
    // The last 8 bytes of md5("baz") are 16450797887570275976 > 2^63: 976 only with uint64 arithmetic.
    assert.equal(relabel({ c: 'baz' }, [{ source_labels: ['c'], target_label: 'd', action: 'hashmod', modulus: 1000 }])?.d, '976');
    assert.equal(relabel({ c: 'x' }, [{ source_labels: ['c'], target_label: 'd', action: 'hashmod', modulus: 7 }])?.d, '4');
  });

  it('hashes the joined source values, for any modulus up to 2^64-1', () => {
    for (const modulus of [1n, 2n, 3n, 1000n, 2n ** 53n - 1n, 2n ** 64n - 1n]) {
      const rules: RelabelConfig[] = [{ source_labels: ['endpoint', 'cluster'], target_label: 'shard', action: 'hashmod', modulus }];
      assert.equal(relabel({ endpoint: '10.0.0.1:2181', cluster: 'main' }, rules)?.shard, expected('10.0.0.1:2181;main', modulus), `modulus ${modulus}`);
    }
    assert.equal(relabel({ c: 'x' }, [{ source_labels: ['c'], target_label: 'd', action: 'hashmod', modulus: 2n ** 64n - 1n }])?.d, '17710500428000290726');
  });
});

describe('relabel: lowercase and uppercase map one character at a time, as Go strings.ToLower/ToUpper', () => {
  it('sets the target to the mapped joined value', () => {
    assert.deepEqual(
      relabel({ a: 'LeAdEr', b: 'X' }, [
        { source_labels: ['a', 'b'], target_label: 'low', action: 'lowercase' },
        { source_labels: ['a'], target_label: 'up', action: 'uppercase' },
      ]),
      {
        a: 'LeAdEr',
        b: 'X',
        low: 'leader;x',
        up: 'LEADER',
      },
    );
  });

  it('uses the simple case mapping where JavaScript would use the full one', () => {
    assert.equal(goToUpper('straße'), 'STRAßE', 'ß has no one-character uppercase');
    assert.equal(goToUpper('ﬁx'), 'ﬁX');
    assert.equal(goToUpper('ᾳ'), 'ᾼ');
    assert.equal(goToLower('İ'), 'i');
    assert.equal(goToLower('ΟΔΟΣ'), 'οδοσ', 'no final-sigma rule');
    assert.equal(goToUpper('ǆ😀é'), 'Ǆ😀É');
  });
});

describe('relabel: regexes are Go RE2, anchored as ^(?s:regex)$', () => {
  const keeps = (value: string, regex: string) => relabel({ a: value }, [{ source_labels: ['a'], regex, action: 'keep' }]) !== null;

  it('must match the whole value', () => {
    assert.equal(keeps('foo', 'oo'), false);
    assert.equal(keeps('foo', 'f.*'), true);
    assert.equal(keeps('foo', '^foo$'), true);
  });

  it('the anchors are glued on as text, so a regex with unbalanced groups can escape them (as in Prometheus)', () => {
    // ^(?s:a)|(b)$ : "starts with a" or "ends with b".
    assert.equal(keeps('axyz', 'a)|(b'), true);
    assert.equal(keeps('xyzb', 'a)|(b'), true);
    assert.equal(keeps('xyz', 'a)|(b'), false);
    assert.equal(relabel({ ab: 'v' }, [{ action: 'labelmap', regex: 'a)|(b', replacement: 'x' }])?.xx, 'v', 'labelmap replaces every match');
  });

  it('(?i) makes a match case-insensitive', () => {
    assert.equal(keeps('ZooKeeper_up', '(?i)zookeeper_.*'), true);
    assert.equal(keeps('ZooKeeper_up', 'zookeeper_.*'), false);
  });

  it('. matches a newline unless (?-s) turns it off', () => {
    assert.equal(expand('line1\nline2', 'line1(.*)', '$1'), '\nline2');
    assert.equal(keeps('line1\nline2', 'line1.line2'), true);
    assert.equal(keeps('line1\nline2', '(?-s:line1.line2)'), false);
  });

  it('has RE2 syntax JavaScript lacks: \\Q...\\E, (?U), [[:alpha:]], \\pL', () => {
    assert.equal(keeps('a.*b', '\\Qa.*b\\E'), true);
    assert.equal(keeps('axxb', '\\Qa.*b\\E'), false);
    assert.equal(expand('aaa', '(?U)(a+)(a*)', '$1|$2'), 'a|aa');
    assert.equal(keeps('Zé', '[[:alpha:]]\\pL'), true);
  });

  it('rejects what RE2 does not have: lookaround, backreferences', () => {
    assert.throws(
      () => compileRelabelConfigs([{ source_labels: ['a'], regex: '(?=x)', action: 'keep' }]),
      /invalid regex "\(\?=x\)": invalid or unsupported Perl syntax/,
    );
    assert.throws(
      () => compileRelabelConfigs([{ source_labels: ['a'], regex: '(a)\\1', action: 'keep' }]),
      /invalid regex "\(a\)\\\\1": invalid escape sequence: `\\1`/,
    );
  });

  it('(a+)+$ on a 10 KB value runs in linear time (a backtracking engine would never return)', () => {
    const value = 'a'.repeat(10 * 1024);
    assert.equal(keeps(value + '!', '(a+)+$'), false);
    assert.equal(keeps(value, '(a+)+$'), true);
    assert.equal(expand(value, '(a+)+$', '$1')?.length, value.length, 'leftmost-first: the first iteration takes every a');
  });
});

describe('relabel: invalid configs throw a descriptive Error', () => {
  const cases: [RelabelConfig[], RegExp][] = [
    [[{ source_labels: ['a'], regex: '(', action: 'keep' }], /^relabel rule 0 regex: invalid regex "\(": missing closing \)$/],
    [
      [
        { target_label: 'a', replacement: 'b' },
        { source_labels: ['a'], target_label: 'h', action: 'hashmod' },
      ],
      /^relabel rule 1: relabel configuration for hashmod requires non-zero modulus$/,
    ],
    [[{ action: 'relabel' }], /^relabel rule 0 action: unknown relabel action "relabel"$/],
    [
      [{ regexp: 'x' } as RelabelConfig],
      /^relabel rule 0 regexp: unknown field "regexp" \(valid fields: action, modulus, regex, replacement, separator, source_labels, target_label\)$/,
    ],
    [[{ source_labels: ['a'], target_label: 'zk.role' }], /^relabel rule 0 target_label: "zk.role" is invalid 'target_label' for replace action$/],
  ];
  for (const [configs, message] of cases) {
    it(String(message), () => assert.throws(() => compileRelabelConfigs(configs, { nameValidationScheme: 'legacy' }), { message }));
  }
});
