import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mntrFixtureNames, readMntrFixture } from '../../harness/fixtures.js';

import { ProbeError, type FailureReason } from '../../../src/receivers/zookeeper/four-letter-word.js';
import { parseMntr, parseRuok, parseSrvr, type SrvrReply } from '../../../src/receivers/zookeeper/parse.js';

const FIXTURES = mntrFixtureNames();
const readFixture = readMntrFixture;

/**
 * The oracle: a deliberately naive reading of a fixture, independent of parse.ts.
 * Every line is `zk_<key>\t<value>`; a value is numeric when Number() gives a finite number.
 */
function naiveMntr(text: string): { numbers: Array<[string, number]>; strings: Array<[string, string]> } {
  const numbers: Array<[string, number]> = [];
  const strings: Array<[string, string]> = [];
  for (const line of text.split('\n').filter((l) => l !== '')) {
    const [key = '', value = ''] = line.split('\t');
    const number = Number(value);
    if (value.trim() !== '' && Number.isFinite(number)) numbers.push([key.slice('zk_'.length), number]);
    else strings.push([key.slice('zk_'.length), value]);
  }
  return { numbers, strings };
}

/** Asserts that `run` throws a ProbeError with the given reason. */
function assertProbeError(run: () => unknown, reason: FailureReason, label: string): void {
  assert.throws(
    run,
    (error: unknown) => {
      assert.ok(error instanceof ProbeError, `${label}: not a ProbeError: ${String(error)}`);
      assert.equal(error.reason, reason, `${label}: ${error.message}`);
      return true;
    },
    label,
  );
}

/** Replies any four-letter word can get instead of its own, and the reason each one maps to. */
const COMMON_FAILURES: ReadonlyArray<[label: string, reply: string, reason: FailureReason]> = [
  ['empty reply', '', 'bad_response'],
  ['not in the whitelist', 'mntr is not executed because it is not in the whitelist.\n', 'not_whitelisted'],
  ['not serving', 'This ZooKeeper instance is not currently serving requests\n', 'not_serving'],
  ['binary garbage', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256)).toString('utf8'), 'bad_response'],
];

describe('parseMntr: real replies', () => {
  test('fixtures exist for several versions', () => {
    assert.ok(FIXTURES.length >= 5, FIXTURES.join(', '));
  });

  for (const name of FIXTURES) {
    describe(name, () => {
      const text = readFixture(name);
      const expected = naiveMntr(text);

      test('every zk_<key>\\t<number> line is in numbers, with its value, in reply order', () => {
        const reply = parseMntr(text);
        assert.ok(expected.numbers.length > 0);
        assert.deepEqual([...reply.numbers], expected.numbers);
      });

      test('the other lines are in strings (version, server_state, peer_state) and nothing is odd', () => {
        const reply = parseMntr(text);
        assert.deepEqual(Object.fromEntries(reply.strings), Object.fromEntries(expected.strings));
        assert.ok(reply.strings.get('version')?.match(/^3\.\d+\.\d+/), 'version');
        assert.match(reply.strings.get('server_state') ?? '', /^(leader|follower|standalone)$/);
        if (/^3\.[6-9]/.test(reply.strings.get('version')!) && reply.strings.get('server_state') !== 'standalone') {
          assert.match(reply.strings.get('peer_state') ?? '', /^(leading|following) - broadcast$/);
        }
        assert.deepEqual(reply.oddLines, []);
      });

      test('CRLF line endings parse to the same reply', () => {
        const lf = parseMntr(text);
        const crlf = parseMntr(text.replaceAll('\n', '\r\n'));
        assert.deepEqual([...crlf.numbers], [...lf.numbers]);
        assert.deepEqual([...crlf.strings], [...lf.strings]);
        assert.deepEqual(crlf.oddLines, []);
      });
    });
  }
});

describe('parseMntr: values', () => {
  test('floats stay floats', () => {
    const reply = parseMntr('zk_avg_latency\t0.0989\nzk_avg_fsynctime\t430.9095\nzk_avg_readlatency\t0.0\nzk_tiny\t1.0E-4\n');
    assert.deepEqual(
      [...reply.numbers],
      [
        ['avg_latency', 0.0989],
        ['avg_fsynctime', 430.9095],
        ['avg_readlatency', 0],
        ['tiny', 0.0001],
      ],
    );
  });

  const NUMBERS: ReadonlyArray<[text: string, value: number]> = [
    ['0', 0],
    ['-1', -1],
    ['-0.5', -0.5],
    ['+3', 3],
    ['10785712138', 10785712138],
    ['157116771486', 157116771486],
    ['1.5E10', 1.5e10],
    ['2.5e-3', 0.0025],
    ['.5', 0.5],
    ['7.', 7],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['NaN', NaN],
    [' 42 ', 42], // surrounding blanks are trimmed
  ];
  for (const [text, value] of NUMBERS) {
    test(`zk_x\\t${JSON.stringify(text)} is the number ${value}`, () => {
      const reply = parseMntr(`zk_x\t${text}\n`);
      assert.ok(reply.numbers.has('x'), `not a number: ${JSON.stringify(text)}`);
      assert.equal(reply.numbers.get('x'), value); // assert.equal is Object.is: NaN equals NaN, -0 is not 0
      assert.equal(reply.strings.size, 0);
    });
  }

  const NOT_NUMBERS = ['null', '', '1,5', '0x10', '1.2.3', '12abc', 'leading - broadcast', '--Infinity', '+-1', 'nan', 'true'];
  for (const text of NOT_NUMBERS) {
    test(`zk_x\\t${JSON.stringify(text)} is a string, not a number`, () => {
      // zk_ok keeps the reply valid: a reply without any number is rejected.
      const reply = parseMntr(`zk_ok\t1\nzk_x\t${text}\n`);
      assert.equal(reply.numbers.has('x'), false, `parsed as ${reply.numbers.get('x')}`);
      assert.equal(reply.strings.get('x'), text.trim());
      assert.deepEqual([...reply.numbers], [['ok', 1]]);
    });
  }

  test('a NaN in numbers only ever comes from a literal NaN', () => {
    const values = [...NUMBERS.map(([text]) => text), ...NOT_NUMBERS];
    const reply = parseMntr(values.map((value, i) => `zk_k${i}\t${value}\n`).join('') + 'zk_ok\t1\n');
    for (const [key, value] of reply.numbers) {
      if (Number.isNaN(value)) assert.equal(values[Number(key.slice(1))]!.trim(), 'NaN', `zk_${key}`);
    }
  });

  test('string keys land in strings with their full value', () => {
    const reply = parseMntr(
      [
        'zk_version\t3.8.0-5a02a05eddb59aee6ac762f7ea82e92a68eb9c0f, built on 2022-02-25 08:49 UTC',
        'zk_server_state\tfollower',
        'zk_peer_state\tfollowing - broadcast',
        'zk_observer_master_id\tnull',
        'zk_znode_count\t5',
        '',
      ].join('\n'),
    );
    assert.deepEqual(Object.fromEntries(reply.strings), {
      version: '3.8.0-5a02a05eddb59aee6ac762f7ea82e92a68eb9c0f, built on 2022-02-25 08:49 UTC',
      server_state: 'follower',
      peer_state: 'following - broadcast',
      observer_master_id: 'null',
    });
    assert.deepEqual([...reply.numbers], [['znode_count', 5]]);
  });

  test('a repeated key keeps the last value', () => {
    assert.equal(parseMntr('zk_a\t1\nzk_a\t2\n').numbers.get('a'), 2);
  });
});

describe('parseMntr: line endings and odd lines', () => {
  test('CRLF: no \\r left in keys, values or odd lines', () => {
    const reply = parseMntr('zk_version\t3.8.0, built on x\r\nzk_avg_latency\t0.5\r\nzk_server_state\tleader\r\nodd line\r\nzk_last\t7');
    assert.deepEqual(Object.fromEntries(reply.strings), { version: '3.8.0, built on x', server_state: 'leader' });
    assert.deepEqual(
      [...reply.numbers],
      [
        ['avg_latency', 0.5],
        ['last', 7],
      ],
    );
    assert.deepEqual(reply.oddLines, ['odd line']);
  });

  test('the last line needs no newline; a lone trailing \\r is dropped', () => {
    assert.deepEqual(
      [...parseMntr('zk_a\t1\nzk_b\t2').numbers],
      [
        ['a', 1],
        ['b', 2],
      ],
    );
    assert.deepEqual(
      [...parseMntr('zk_a\t1\nzk_b\t2\r').numbers],
      [
        ['a', 1],
        ['b', 2],
      ],
    );
  });

  const ODD_LINES: ReadonlyArray<[label: string, line: string]> = [
    ['no tab', 'zk_avg_latency 5'],
    ['no zk_ prefix', 'avg_latency\t5'],
    ['upper-case prefix', 'ZK_AVG_LATENCY\t5'],
    ['empty key', 'zk_\t5'],
    ['tab before the prefix', '\tzk_a\t5'],
    ['indented', ' zk_a\t5'],
    ['prose', 'Exception in thread "main" java.lang.NullPointerException'],
    ['blanks only', '   '],
  ];
  for (const [label, line] of ODD_LINES) {
    test(`odd line (${label}) is counted without losing the others`, () => {
      const reply = parseMntr(`zk_version\t3.7.0\nzk_a\t1\n${line}\nzk_b\t2.5\nzk_server_state\tleader\n`);
      assert.deepEqual(reply.oddLines, [line]);
      assert.deepEqual(
        [...reply.numbers],
        [
          ['a', 1],
          ['b', 2.5],
        ],
      );
      assert.deepEqual(Object.fromEntries(reply.strings), { version: '3.7.0', server_state: 'leader' });
    });
  }

  test('every odd line is kept, in order', () => {
    const lines = ODD_LINES.map(([, line]) => line);
    const reply = parseMntr(lines.map((line, i) => `${line}\nzk_k${i}\t${i}\n`).join(''));
    assert.deepEqual(reply.oddLines, lines);
    assert.equal(reply.numbers.size, lines.length);
  });

  test('empty lines (LF or CRLF) are skipped: not odd, and no other line is lost', () => {
    const reply = parseMntr('\nzk_a\t1\n\n\nzk_b\t2\r\n\r\n\nzk_c\t3\n\n');
    assert.deepEqual(
      [...reply.numbers],
      [
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ],
    );
    assert.deepEqual(reply.oddLines, []);
  });
});

describe('parseMntr: failures', () => {
  for (const [label, reply, reason] of COMMON_FAILURES) {
    test(`${label} -> ${reason}`, () => assertProbeError(() => parseMntr(reply), reason, label));
  }

  const NO_NUMBERS: ReadonlyArray<[label: string, reply: string]> = [
    ['only a newline', '\n'],
    ['only odd lines', 'hello\nworld\n'],
    ['only string keys', 'zk_version\t3.8.0\nzk_server_state\tleader\n'],
    ['the srvr reply', 'Zookeeper version: 3.8.0\nMode: leader\n'],
    ['an HTTP reply', 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'],
  ];
  for (const [label, reply] of NO_NUMBERS) {
    test(`${label} -> bad_response`, () => assertProbeError(() => parseMntr(reply), 'bad_response', label));
  }
});

describe('parseRuok', () => {
  for (const reply of ['imok', 'imok\n', 'imok\r\n']) {
    test(`${JSON.stringify(reply)} -> true`, () => assert.equal(parseRuok(reply), true));
  }

  for (const [label, reply, reason] of COMMON_FAILURES) {
    test(`${label} -> ${reason}`, () => assertProbeError(() => parseRuok(reply.replace('mntr', 'ruok')), reason, label));
  }

  for (const reply of ['IMOK', 'imnotok', 'im ok', 'ok']) {
    test(`${JSON.stringify(reply)} -> bad_response`, () => assertProbeError(() => parseRuok(reply), 'bad_response', reply));
  }
});

describe('parseSrvr', () => {
  /** parseSrvr always returns every field; those the reply lacks are undefined. */
  const NOTHING: Omit<SrvrReply, 'mode'> = {
    version: undefined,
    latencyMin: undefined,
    latencyAvg: undefined,
    latencyMax: undefined,
    received: undefined,
    sent: undefined,
    connections: undefined,
    outstanding: undefined,
    zxid: undefined,
    nodeCount: undefined,
  };
  const CASES: ReadonlyArray<[label: string, reply: string, expected: SrvrReply]> = [
    [
      '3.8.0 leader',
      [
        'Zookeeper version: 3.8.0-5a02a05eddb59aee6ac762f7ea82e92a68eb9c0f, built on 2022-02-25 08:49 UTC',
        'Latency min/avg/max: 0/0.2/5',
        'Received: 10',
        'Sent: 9',
        'Connections: 1',
        'Outstanding: 0',
        'Zxid: 0x100000003',
        'Mode: leader',
        'Node count: 5',
        'Proposal sizes last/min/max: 48/48/92',
        '',
      ].join('\n'),
      {
        version: '3.8.0-5a02a05eddb59aee6ac762f7ea82e92a68eb9c0f',
        mode: 'leader',
        latencyMin: 0,
        latencyAvg: 0.2,
        latencyMax: 5,
        received: 10,
        sent: 9,
        connections: 1,
        outstanding: 0,
        zxid: 0x100000003n,
        nodeCount: 5,
        proposalSizeLast: 48,
        proposalSizeMin: 48,
        proposalSizeMax: 92,
      },
    ],
    [
      '3.7.0 follower',
      [
        'Zookeeper version: 3.7.0-e3704b390a6697bfdf4b0bef79e3da7a4f6bac4b, built on 2021-03-17 09:46 UTC',
        'Latency min/avg/max: 0/1.6087/950',
        'Received: 10785712',
        'Sent: 10785950',
        'Connections: 27',
        'Outstanding: 2',
        'Zxid: 0x2d000b8a1f',
        'Mode: follower',
        'Node count: 86754',
        '',
      ].join('\n'),
      {
        version: '3.7.0-e3704b390a6697bfdf4b0bef79e3da7a4f6bac4b',
        mode: 'follower',
        latencyMin: 0,
        latencyAvg: 1.6087,
        latencyMax: 950,
        received: 10785712,
        sent: 10785950,
        connections: 27,
        outstanding: 2,
        zxid: 0x2d000b8a1fn,
        nodeCount: 86754,
      },
    ],
    [
      '3.4.14 standalone, stat reply with a Clients section, CRLF',
      [
        'Zookeeper version: 3.4.14-4c25d480e66aadd371de8bd2fd8da255ac140bcf, built on 03/06/2019 16:18 GMT',
        'Clients:',
        ' /127.0.0.1:54328[0](queued=0,recved=1,sent=0)',
        '',
        'Latency min/avg/max: 0/0/0',
        'Received: 2',
        'Sent: 1',
        'Connections: 1',
        'Outstanding: 0',
        'Zxid: 0x0',
        'Mode: standalone',
        'Node count: 4',
        '',
      ].join('\r\n'),
      {
        version: '3.4.14-4c25d480e66aadd371de8bd2fd8da255ac140bcf',
        mode: 'standalone',
        latencyMin: 0,
        latencyAvg: 0,
        latencyMax: 0,
        received: 2,
        sent: 1,
        connections: 1,
        outstanding: 0,
        zxid: 0n,
        nodeCount: 4,
      },
    ],
    ['only a Mode line (read-only server)', 'Mode: read-only\n', { ...NOTHING, mode: 'read-only' }],
    [
      'unreadable values become undefined, not NaN',
      'Latency min/avg/max: n/a\nReceived: many\nSent: \nZxid: 12345\nMode: observer\nNode count: -\n',
      { ...NOTHING, mode: 'observer' },
    ],
  ];
  for (const [label, reply, expected] of CASES) {
    test(label, () => assert.deepEqual(parseSrvr(reply), expected));
  }

  for (const [label, reply, reason] of COMMON_FAILURES) {
    test(`${label} -> ${reason}`, () => assertProbeError(() => parseSrvr(reply.replace('mntr', 'srvr')), reason, label));
  }

  test('no Mode line -> bad_response', () => {
    assertProbeError(() => parseSrvr('Zookeeper version: 3.8.0\nReceived: 1\n'), 'bad_response', 'no Mode');
    assertProbeError(() => parseSrvr('zk_server_state\tleader\n'), 'bad_response', 'mntr reply');
  });
});
