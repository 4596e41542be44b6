import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { liveHeapBytes } from '../../harness/heap.js';
import { mntrFixtureNames, readMntrFixture } from '../../harness/fixtures.js';

import type { Sample } from '../../../src/core/batch.js';
import type { CommandFailure, ProbeOutcome } from '../../../src/receivers/zookeeper/probe.js';
import { ProbeError } from '../../../src/receivers/zookeeper/four-letter-word.js';
import { LaidOutNumbers, type MntrLayout } from '../../../src/receivers/zookeeper/mntr-layout.js';
import { MntrParser } from '../../../src/receivers/zookeeper/mntr-parser.js';
import { parseMntr, parseSrvr, type MntrReply } from '../../../src/receivers/zookeeper/parse.js';
import { SampleMapper } from '../../../src/receivers/zookeeper/samples.js';

const IDENTITY = Object.freeze({ 'zk.endpoint': 'zk-1.example:2181' });
const SRVR = parseSrvr('Zookeeper version: 3.8.0-x, built on y\nLatency min/avg/max: 0/0.2/5\nReceived: 10\nSent: 9\nMode: follower\nNode count: 5\n');

/** How the endpoint with an MntrParser read a reply. */
type Reading = 'remembered layout' | 'new layout' | 'no layout' | 'error';

const layoutOf = (reply: MntrReply): MntrLayout | undefined => (reply.numbers instanceof LaidOutNumbers ? reply.numbers.layout : undefined);

/**
 * Feeds `replies` in turn to two endpoints: one reads them with an MntrParser (the receiver's way), the other parses
 * each in full with parseMntr (the reference). Every probe must give the same reply and the same samples (descriptor,
 * attributes, value). Every third probe also has a failed ruok, which moves the mntr samples one place.
 */
function differential(replies: readonly string[], options: { srvr?: boolean } = {}): Reading[] {
  const parser = new MntrParser();
  const fast = new SampleMapper(IDENTITY);
  const full = new SampleMapper(IDENTITY);
  let previousLayout: MntrLayout | undefined;
  return replies.map((text, probe) => {
    const failures: CommandFailure[] = probe % 3 === 2 ? [{ command: 'ruok', error: new ProbeError('timeout', 'ruok: no reply') }] : [];
    const fastReply = attempt(() => parser.parse(text));
    const fullReply = attempt(() => parseMntr(text));
    const what = `probe ${probe}: ${JSON.stringify(text.slice(0, 60))}`;
    if (fastReply instanceof ProbeError || fullReply instanceof ProbeError) {
      assert.deepEqual([String(fastReply), (fastReply as ProbeError).reason], [String(fullReply), (fullReply as ProbeError).reason], what);
    } else {
      assert.deepEqual([...fastReply.numbers], [...fullReply.numbers], what);
      assert.deepEqual([...fastReply.strings], [...fullReply.strings], what);
      assert.deepEqual([...fastReply.oddLines], [...fullReply.oddLines], what);
    }
    const outcomeOf = (mntr: MntrReply | ProbeError): ProbeOutcome => ({
      replies: { ...(mntr instanceof ProbeError ? {} : { mntr }), ...(options.srvr ? { srvr: SRVR } : {}) },
      failures: mntr instanceof ProbeError ? [{ command: 'mntr', error: mntr }, ...failures] : failures,
      durationMs: 2,
    });
    assertSameSamples(fast.toSamples(outcomeOf(fastReply), 0), full.toSamples(outcomeOf(fullReply), 0), what);
    if (fastReply instanceof ProbeError) return 'error';
    const layout = layoutOf(fastReply);
    const reading: Reading = layout === undefined ? 'no layout' : layout === previousLayout ? 'remembered layout' : 'new layout';
    previousLayout = layout ?? previousLayout;
    return reading;
  });
}

function attempt(parse: () => MntrReply): MntrReply | ProbeError {
  try {
    return parse();
  } catch (error) {
    assert.ok(error instanceof ProbeError, String(error));
    return error;
  }
}

function assertSameSamples(actual: readonly Sample[], expected: readonly Sample[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: sample count`);
  expected.forEach((sample, i) => {
    const at = `${what}: sample ${i} (${sample.metric.name})`;
    // Structurally: info descriptors (zookeeper.<key>.info) are made per mapper.
    assert.deepEqual(actual[i]!.metric, sample.metric, at);
    assert.deepEqual(actual[i]!.attributes, sample.attributes, at);
    assert.equal(actual[i]!.value, sample.value, at); // Object.is: NaN equals NaN, -0 is not 0
  });
}

/** Lines of `text` (without blank ones), changed by `edit`, joined again with a final line feed. */
function editLines(text: string, edit: (lines: string[]) => string[]): string {
  return edit(text.split('\n').filter((line) => line !== '')).join('\n') + '\n';
}
const withValue = (text: string, key: string, value: string) =>
  editLines(text, (lines) => lines.map((line) => (line.startsWith(`zk_${key}\t`) ? `zk_${key}\t${value}` : line)));
const firstNumberKey = (text: string) => [...parseMntr(text).numbers.keys()][0]!;
/** Every integer value one higher. */
const everyValueChanged = (text: string) => text.replace(/\t(\d+)$/gm, (_, digits: string) => `\t${Number(digits) + 1}`);

describe('MntrParser: a fixture read again and again', () => {
  for (const fixture of mntrFixtureNames()) {
    const text = readMntrFixture(fixture);
    test(`${fixture}: the same reply, and every value changed, are read with the remembered layout and give the full parse's samples`, () => {
      assert.deepEqual(differential([text, text, everyValueChanged(text), text, everyValueChanged(text), text]), [
        'new layout',
        'remembered layout',
        'remembered layout',
        'remembered layout',
        'remembered layout',
        'remembered layout',
      ]);
    });
  }
});

describe('MntrParser: a reply that differs from the remembered one is parsed in full, with the same samples', () => {
  const FIXTURES = mntrFixtureNames();
  const mutations: [string, (text: string) => string, Reading][] = [
    ['a key added at the end', (text) => `${text}zk_brand_new_key\t42\n`, 'new layout'],
    ['a key added in the middle', (text) => editLines(text, (lines) => [...lines.slice(0, 2), 'zk_brand_new_key\t42', ...lines.slice(2)]), 'new layout'],
    ['the last key removed', (text) => editLines(text, (lines) => lines.slice(0, -1)), 'new layout'],
    ['the first key removed', (text) => editLines(text, (lines) => lines.slice(1)), 'new layout'],
    ['two keys swapped', (text) => editLines(text, ([a, b, ...rest]) => [b!, a!, ...rest]), 'new layout'],
    ['an integer value becomes a decimal', (text) => withValue(text, firstNumberKey(text), '12.5'), 'remembered layout'],
    ['a value in exponent notation', (text) => withValue(text, firstNumberKey(text), '1.0E-4'), 'remembered layout'],
    ['a negative value and -0', (text) => withValue(withValue(text, firstNumberKey(text), '-0'), 'znode_count', '-17'), 'remembered layout'],
    ['a value with 16 digits', (text) => withValue(text, firstNumberKey(text), '1234567890123456'), 'remembered layout'],
    ['a number becomes a string', (text) => withValue(text, firstNumberKey(text), 'n/a'), 'new layout'],
    ['an empty value', (text) => withValue(text, firstNumberKey(text), ''), 'new layout'],
    ['a value with spaces around', (text) => withValue(text, firstNumberKey(text), '  7 \t'), 'remembered layout'],
    ['a string value changed', (text) => withValue(text, 'server_state', 'observer'), 'new layout'],
    ['an odd line inserted', (text) => editLines(text, (lines) => [...lines.slice(0, 3), 'an odd line', ...lines.slice(3)]), 'no layout'],
    ['a line of spaces inserted', (text) => editLines(text, (lines) => [...lines.slice(0, 3), '   ', ...lines.slice(3)]), 'no layout'],
    // Parsed in full, but its lines are the remembered ones: the same (shared) layout.
    ['a blank line inserted', (text) => editLines(text, (lines) => [...lines.slice(0, 3), '', ...lines.slice(3)]), 'remembered layout'],
    ['blank lines at the end', (text) => `${text}\n\r\n`, 'remembered layout'],
    ['CRLF line ends', (text) => text.replaceAll('\n', '\r\n'), 'remembered layout'],
    ['no final line feed', (text) => text.slice(0, -1), 'remembered layout'],
    ['the last line cut inside its key (an odd line)', (text) => text.slice(0, text.lastIndexOf('\t') - 1), 'no layout'],
    ['the last line cut inside its value', (text) => text.replace(/(\t-?\d+)\d\n$/, '$1'), 'remembered layout'],
    ['a key printed twice', (text) => editLines(text, (lines) => [...lines, lines[1]!]), 'no layout'],
    [
      'a key with another key as its prefix',
      (text) => editLines(text, (lines) => lines.map((line, i) => (i === 1 ? line.replace('\t', 'x\t') : line))),
      'new layout',
    ],
  ];
  for (const [what, mutate, reading] of mutations) {
    test(`${what}: read with ${reading === 'remembered layout' ? 'the remembered layout' : 'a full parse'}, then the original again`, () => {
      for (const fixture of FIXTURES) {
        const text = readMntrFixture(fixture);
        const mutated = mutate(text);
        const readings = differential([text, text, mutated, mutated, text, text]);
        assert.equal(readings[2], reading, `${fixture}: ${readings.join(', ')}`);
        assert.equal(readings[5], 'remembered layout', fixture);
      }
    });
  }

  test('a summary family known only by its cnt_ key: the mapping of its keys follows the cnt_ key in and out', () => {
    const text = readMntrFixture('mntr-3.8.0-leader.txt');
    const withFamily = `${text}zk_avg_custom_thing\t1.5\nzk_max_custom_thing\t4\nzk_cnt_custom_thing\t3\n`;
    const withoutCount = `${text}zk_avg_custom_thing\t1.5\nzk_max_custom_thing\t4\n`;
    assert.deepEqual(differential([withFamily, withFamily, withoutCount, withoutCount, withFamily, withFamily]), [
      'new layout',
      'remembered layout',
      'new layout',
      'remembered layout',
      'new layout',
      'remembered layout',
    ]);
  });

  test('failed replies in between (empty, not serving, whitelist) fail as the full parse fails, and the layout is kept', () => {
    const text = readMntrFixture('mntr-3.8.0-follower.txt');
    const notServing = 'This ZooKeeper instance is not currently serving requests\n';
    const notWhitelisted = 'mntr is not executed because it is not in the whitelist.\n';
    assert.deepEqual(differential([text, '', text, notServing, text, notWhitelisted, 'zk_only_a_string\tabc\n', text]), [
      'new layout',
      'error',
      'remembered layout',
      'error',
      'remembered layout',
      'error',
      'error',
      'remembered layout',
    ]);
  });

  test('with srvr: srvr fills in only what the laid-out reply lacks', () => {
    const text = readMntrFixture('mntr-3.4.14.txt');
    const lacking = editLines(text, (lines) => lines.filter((line) => !/^zk_(avg|min|max)_latency\t|^zk_znode_count\t/.test(line)));
    assert.deepEqual(differential([text, text, lacking, lacking, text], { srvr: true }), [
      'new layout',
      'remembered layout',
      'new layout',
      'remembered layout',
      'new layout',
    ]);
  });
});

describe('LaidOutNumbers: the ReadonlyMap of a laid-out reply', () => {
  const text = 'zk_version\t3.8.0\nzk_a\t1\nzk_server_state\tleader\nzk_b\t2.5\nzk_ab\t3\n';
  const parser = new MntrParser();
  parser.parse(text);
  const reply = parser.parse(text.replace('2.5', '7'));

  test('get, has, size and iteration in reply order; strings apart', () => {
    const { numbers, strings } = reply;
    assert.ok(numbers instanceof LaidOutNumbers);
    assert.equal(numbers.size, 3);
    assert.deepEqual([numbers.get('a'), numbers.get('b'), numbers.get('ab'), numbers.get('version'), numbers.get('c')], [1, 7, 3, undefined, undefined]);
    assert.deepEqual([numbers.has('ab'), numbers.has('b'), numbers.has('version'), numbers.has('')], [true, true, false, false]);
    assert.deepEqual([...numbers.keys()], ['a', 'b', 'ab']);
    assert.deepEqual([...numbers.values()], [1, 7, 3]);
    assert.deepEqual(Object.fromEntries(numbers), { a: 1, b: 7, ab: 3 });
    const visited: [string, number][] = [];
    numbers.forEach((value, key) => visited.push([key, value]));
    assert.deepEqual(visited, [
      ['a', 1],
      ['b', 7],
      ['ab', 3],
    ]);
    assert.deepEqual(Object.fromEntries(strings), { version: '3.8.0', server_state: 'leader' });
  });
});

describe('SampleMapper on laid-out replies', () => {
  test('a changed value reaches its series; every other sample has the value and series of the probe before', () => {
    const text = readMntrFixture('mntr-3.8.0-follower.txt');
    const parser = new MntrParser();
    const mapper = new SampleMapper(IDENTITY);
    const probe = (reply: string) => mapper.toSamples({ replies: { mntr: parser.parse(reply) }, failures: [], durationMs: 2 }, 0);
    probe(text);
    const before = probe(text);
    const after = probe(withValue(text, 'znode_count', '123456'));
    const znodes = before.findIndex((sample) => sample.metric.name === 'zookeeper.znode.count');
    assert.ok(znodes > 0);
    assert.notEqual(before[znodes]!.value, 123456);
    assert.equal(after[znodes]!.value, 123456);
    assert.equal(after.length, before.length);
    const same = after.filter(
      (sample, i) => sample.metric === before[i]!.metric && sample.attributes === before[i]!.attributes && Object.is(sample.value, before[i]!.value),
    );
    assert.equal(same.length, before.length - 1);
  });
});

describe('MntrParser memory', () => {
  test('endpoints whose servers print the same lines share one layout; other lines have their own', () => {
    const follower = readMntrFixture('mntr-3.8.0-follower.txt');
    const [first, second, third] = [new MntrParser(), new MntrParser(), new MntrParser()];
    const layout = layoutOf(first.parse(follower));
    assert.ok(layout);
    assert.equal(layoutOf(second.parse(withValue(follower, firstNumberKey(follower), '987'))), layout);
    assert.equal(layoutOf(second.parse(follower)), layout);
    assert.notEqual(layoutOf(third.parse(readMntrFixture('mntr-3.8.0-leader.txt'))), layout);
    assert.notEqual(layoutOf(third.parse(withValue(follower, 'server_state', 'observer'))), layout);
    // Each endpoint still reads against its own previous reply.
    assert.deepEqual([...first.parse(follower).numbers], [...parseMntr(follower).numbers]);
  });

  test('a parser does not keep its replies alive (the layout holds copies, not slices of the reply)', () => {
    const PARSERS = 20;
    const PADDING = 1_000_000;
    const follower = readMntrFixture('mntr-3.8.0-follower.txt');
    const before = liveHeapBytes();
    // Each reply is 1 MB of spaces after a value (trimmed away): kept, it would show in the heap.
    const parsers = Array.from({ length: PARSERS }, (_, i) => {
      const parser = new MntrParser();
      for (let probe = 0; probe < 2; probe++) parser.parse(follower.replace(/\n/, `${' '.repeat(PADDING)}\nzk_padding_${i}_${probe}_of_a_long_name\t1\n`));
      return parser;
    });
    const retained = liveHeapBytes() - before;
    assert.equal(parsers.length, PARSERS);
    assert.ok(retained < (PARSERS * PADDING) / 4, `${PARSERS} parsers retain ${retained} bytes`);
  });
});
