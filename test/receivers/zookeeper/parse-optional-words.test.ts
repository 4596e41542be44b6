import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFixture } from '../../harness/fixtures.js';

import type { Attributes, Sample } from '../../../src/core/batch.js';
import { zookeeperReceiverConfigSchema } from '../../../src/receivers/zookeeper/config.js';
import { ProbeError, type FailureReason } from '../../../src/receivers/zookeeper/four-letter-word.js';
import { parseMntr, parseSrvr } from '../../../src/receivers/zookeeper/parse.js';
import {
  DEFAULT_CONS_MAX_ADDRESSES,
  OTHER_ADDRESS,
  parseConf,
  parseCons,
  parseEnvi,
  parseIsro,
  parseStat,
  parseWchs,
} from '../../../src/receivers/zookeeper/parse-optional-words.js';
import type { Replies } from '../../../src/receivers/zookeeper/probe.js';
import { SampleMapper } from '../../../src/receivers/zookeeper/samples.js';

/** Real replies of a 1-node ZooKeeper 3.8.0 ensemble started by the test harness (one client session open). */
const fixture = (command: string): string => readFixture(`4lw/${command}-3.8.0.txt`);

const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests\n';
const notWhitelisted = (command: string) => `${command} is not executed because it is not in the whitelist.\n`;
const GARBAGE = ['garbage', 'HTTP/1.1 400 Bad Request\r\n\r\n', '\n\n', 'zk_version\t3.8.0\n'];

const PARSERS: Readonly<Record<string, (reply: string) => unknown>> = {
  stat: parseStat,
  isro: parseIsro,
  wchs: parseWchs,
  envi: parseEnvi,
  conf: parseConf,
  cons: (reply) => parseCons(reply),
};

function assertProbeError(fn: () => unknown, reason: FailureReason, command: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ProbeError, `a ProbeError, not ${String(error)}`);
    assert.equal(error.reason, reason);
    assert.match(error.message, new RegExp(`^${command}:`));
    return true;
  });
}

describe('every extra parser', () => {
  for (const [command, parse] of Object.entries(PARSERS)) {
    test(`${command}: empty, garbage, not serving and not whitelisted are ProbeErrors`, () => {
      assertProbeError(() => parse(''), 'bad_response', command);
      for (const garbage of GARBAGE) assertProbeError(() => parse(garbage), 'bad_response', command);
      assertProbeError(() => parse(NOT_SERVING), 'not_serving', command);
      assertProbeError(() => parse(notWhitelisted(command)), 'not_whitelisted', command);
    });

    test(`${command}: parses the real 3.8.0 reply`, () => {
      assert.doesNotThrow(() => parse(fixture(command)));
    });

    test(`${command}: never throws anything but a ProbeError, whatever the bytes`, () => {
      const real = fixture(command);
      for (let cut = 0; cut <= real.length; cut += 7) {
        for (const text of [real.slice(0, cut), real.slice(cut), real.slice(0, cut) + '\u0000\uFFFD' + real.slice(cut)]) {
          try {
            parse(text);
          } catch (error) {
            assert.ok(error instanceof ProbeError, `${command} threw ${String(error)} for ${JSON.stringify(text.slice(0, 60))}`);
          }
        }
      }
    });
  }
});

describe('stat', () => {
  test('gives what srvr gives, ignoring the client list', () => {
    const stat = parseStat(fixture('stat'));
    assert.deepEqual(stat, {
      version: '3.8.0-${mvngit.commit.id}',
      mode: 'leader',
      latencyMin: 0,
      latencyAvg: 0,
      latencyMax: 0,
      received: 8,
      sent: 7,
      connections: 2,
      outstanding: 0,
      zxid: 0x100000000n,
      nodeCount: 5,
      proposalSizeLast: -1,
      proposalSizeMin: -1,
      proposalSizeMax: -1,
    });
    const srvrLines = fixture('stat')
      .split('\n')
      .filter((line) => !line.startsWith(' ') && line !== 'Clients:')
      .join('\n');
    assert.deepEqual(stat, parseSrvr(srvrLines));
  });

  test('without a Mode line is a bad response named stat', () => {
    assertProbeError(() => parseStat('Zookeeper version: 3.8.0\nClients:\n /127.0.0.1:1[0](queued=0)\n'), 'bad_response', 'stat');
  });
});

describe('isro', () => {
  test('rw and ro, with or without a newline', () => {
    assert.equal(parseIsro(fixture('isro')), 'rw');
    assert.equal(parseIsro('ro'), 'ro');
    assert.equal(parseIsro('rw\n'), 'rw');
  });

  test('null (no quorum) is not_serving', () => {
    assertProbeError(() => parseIsro('null'), 'not_serving', 'isro');
  });

  test('anything else is a bad response', () => {
    for (const reply of ['RW', 'r', 'rwx', 'imok']) assertProbeError(() => parseIsro(reply), 'bad_response', 'isro');
  });
});

describe('wchs', () => {
  test('the real reply', () => {
    assert.deepEqual(parseWchs(fixture('wchs')), { connections: 1, paths: 1, total: 1 });
  });

  test('the brief example, and a reply without the total line', () => {
    assert.deepEqual(parseWchs('1 connections watching 2 paths\nTotal watches:3\n'), { connections: 1, paths: 2, total: 3 });
    assert.deepEqual(parseWchs('12 connections watching 340 paths\n'), { connections: 12, paths: 340 });
  });
});

describe('envi', () => {
  test('keeps only the bounded set of attributes, zookeeper_version without the build date', () => {
    assert.deepEqual(parseEnvi(fixture('envi')).attributes, {
      zookeeper_version: '3.8.0-${mvngit.commit.id}',
      java_version: '17.0.15',
      java_vendor: 'Debian',
      os_name: 'Linux',
      os_arch: 'amd64',
    });
  });

  test('only the attributes that exist; a huge value is cut', () => {
    const { attributes } = parseEnvi(`Environment:\njava.version=${'9'.repeat(5000)}\nuser.name=root\n`);
    assert.deepEqual(Object.keys(attributes), ['java_version']);
    assert.equal(attributes.java_version!.length, 256);
  });

  test('needs the Environment: header', () => {
    assertProbeError(() => parseEnvi('java.version=17\n'), 'bad_response', 'envi');
  });
});

describe('conf', () => {
  test('the real reply: key settings as attributes, membership version, numeric settings', () => {
    const conf = parseConf(fixture('conf'));
    const { attributes } = conf;
    assert.equal(attributes.tick_time, '2000');
    assert.equal(attributes.max_client_cnxns, '60');
    assert.equal(attributes.election_alg, '3');
    assert.equal(attributes.peer_type, '0');
    assert.equal(attributes.membership_version, '0');
    assert.match(attributes.data_dir ?? '', /\/data\/version-2$/);
    assert.match(attributes.client_port ?? '', /^\d+$/);
    assert.deepEqual(Object.keys(attributes).sort(), [
      'client_port',
      'data_dir',
      'data_log_dir',
      'election_alg',
      'election_port',
      'init_limit',
      'max_client_cnxns',
      'max_session_timeout',
      'membership_version',
      'min_session_timeout',
      'peer_type',
      'quorum_port',
      'sync_limit',
      'tick_time',
    ]);
    assert.deepEqual(Object.fromEntries(conf.numbers), {
      tickTime: 2000,
      maxClientCnxns: 60,
      minSessionTimeout: 4000,
      maxSessionTimeout: 40000,
      initLimit: 10,
      syncLimit: 5,
    });
  });

  test('a standalone reply without membership; a non-numeric number setting is only an attribute', () => {
    const conf = parseConf('clientPort=2181\ndataDir=/var/zk\ntickTime=abc\nversion=7\nserverId=0');
    assert.deepEqual(conf.attributes, { client_port: '2181', data_dir: '/var/zk', tick_time: 'abc' });
    assert.equal(conf.numbers.size, 0);
  });

  test('key=value lines of no known setting are a bad response', () => {
    assertProbeError(() => parseConf('foo=bar\nbaz=1'), 'bad_response', 'conf');
  });
});

describe('cons', () => {
  test('the real reply: one address, its connections summed', () => {
    assert.deepEqual(parseCons(fixture('cons')), { addresses: [{ address: '127.0.0.1', connections: 2, queued: 0, received: 4 }] });
  });

  test('aggregates per client IP: IPv6, host names, sid/lop detail ignored', () => {
    const reply = [
      ' /10.0.0.1:54321[1](queued=1,recved=5,sent=5,sid=0x1,lop=PING,est=1,to=30000,lcxid=0x1,lzxid=0x1,lresp=1,llat=0,minlat=0,avglat=0,maxlat=1)',
      ' /10.0.0.1:54322[1](queued=2,recved=7,sent=7,sid=0x2,lop=GETD)',
      ' client.example/10.0.0.2:40000[1](queued=0,recved=1,sent=1)',
      ' /[0:0:0:0:0:0:0:1]:50000[0](queued=0,recved=1,sent=0)',
      ' /0:0:0:0:0:0:0:1:50001[0](queued=0,recved=2,sent=0)',
      '',
      '',
    ].join('\n');
    assert.deepEqual(parseCons(reply).addresses, [
      { address: '0:0:0:0:0:0:0:1', connections: 2, queued: 0, received: 3 },
      { address: '10.0.0.1', connections: 2, queued: 3, received: 12 },
      { address: '10.0.0.2', connections: 1, queued: 0, received: 1 },
    ]);
  });

  test('bounded: past the limit, addresses are summed under "other"', () => {
    const lines = Array.from({ length: 250 }, (_, i) => ` /10.0.${i >> 8}.${i & 255}:1000[1](queued=1,recved=2,sent=2)`);
    lines.push(' /10.9.9.9:1[1](queued=0,recved=10,sent=1)', ' /10.9.9.9:2[1](queued=0,recved=10,sent=1)');
    const { addresses } = parseCons(lines.join('\n') + '\n');
    assert.equal(addresses.length, DEFAULT_CONS_MAX_ADDRESSES + 1);
    assert.deepEqual(addresses[0], { address: '10.9.9.9', connections: 2, queued: 0, received: 20 }, 'most connections first');
    assert.deepEqual(addresses.at(-1), { address: OTHER_ADDRESS, connections: 151, queued: 151, received: 302 });
    assert.equal(
      addresses.reduce((sum, a) => sum + a.connections, 0),
      252,
      'no connection lost',
    );
    assert.deepEqual(parseCons(lines.join('\n'), 0).addresses, [{ address: OTHER_ADDRESS, connections: 252, queued: 250, received: 520 }]);
  });

  test('per connection only when asked: the real reply gives the session and its latencies, not the probe', () => {
    assert.equal(parseCons(fixture('cons')).connections, undefined, 'off by default');
    const { connections, untracked } = parseCons(fixture('cons'), DEFAULT_CONS_MAX_ADDRESSES, 10);
    assert.deepEqual(connections, [
      { address: '127.0.0.1', port: 38092, sessionId: '0x100008837190000', queued: 0, received: 3, sent: 3, latencyMin: 0, latencyAvg: 3, latencyMax: 6 },
    ]);
    assert.equal(untracked, 0, 'the sessionless connection (the probe itself) is no per-connection series and not untracked');
  });

  test('per connection, capped: the busiest kept, ties by address and port, the rest counted as untracked', () => {
    const line = (address: string, port: number, received: number, sid: string) =>
      ` /${address}:${port}[1](queued=1,recved=${received},sent=${received - 1},sid=${sid},lop=PING,minlat=1,avglat=2,maxlat=3)`;
    const reply = [
      line('10.0.0.2', 2000, 50, '0x2'),
      line('10.0.0.1', 1000, 7, '0x1'),
      line('[::1]', 3000, 50, '0xAB'),
      line('10.0.0.1', 1001, 7, '0x3'),
      ' /10.0.0.9:9[0](queued=0,recved=900,sent=0)',
    ].join('\n');
    const { addresses, connections, untracked } = parseCons(reply, 100, 3);
    assert.deepEqual(
      connections?.map((c) => `${c.address}:${c.port} ${c.sessionId} ${c.received}`),
      ['10.0.0.2:2000 0x2 50', '::1:3000 0xab 50', '10.0.0.1:1000 0x1 7'],
    );
    assert.equal(untracked, 1);
    assert.equal(
      addresses.reduce((sum, a) => sum + a.connections, 0),
      5,
      'the per-address totals still count every connection',
    );
    assert.deepEqual(parseCons(reply, 100, 1000).untracked, 0);
  });
});

describe('config', () => {
  test('the new commands are accepted; the defaults stay mntr, ruok, srvr', () => {
    assert.deepEqual(zookeeperReceiverConfigSchema.parse({}).commands, ['mntr', 'ruok', 'srvr']);
    assert.equal(zookeeperReceiverConfigSchema.parse({}).cons_max_connections, 0, 'per-connection series are opt-in');
    assert.equal(zookeeperReceiverConfigSchema.parse({ cons_max_connections: 20 }).cons_max_connections, 20);
    assert.equal(zookeeperReceiverConfigSchema.safeParse({ cons_max_connections: -1 }).success, false);
    const all = ['mntr', 'ruok', 'srvr', 'stat', 'isro', 'wchs', 'envi', 'conf', 'cons'];
    assert.deepEqual(zookeeperReceiverConfigSchema.parse({ commands: all }).commands, all);
    assert.equal(zookeeperReceiverConfigSchema.safeParse({ commands: ['dump'] }).success, false);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Samples (samples-extra.ts through SampleMapper)

const IDENTITY: Attributes = Object.freeze({ 'zk.endpoint': 'zk-1.example:2181' });
const probe = (replies: Replies): Sample[] =>
  new SampleMapper(IDENTITY)
    .toSamples({ replies, failures: [], durationMs: 1 }, 0)
    .map((sample) => ({ ...sample, attributes: Object.fromEntries(Object.entries(sample.attributes).filter(([key]) => !key.startsWith('__'))) }));
const named = (samples: Sample[], name: string) => samples.filter((sample) => sample.metric.name === name);
const seriesIds = (samples: Sample[]) => samples.map((s) => `${s.metric.name} ${JSON.stringify(Object.entries(s.attributes).sort())}`);

describe('samples of the extra commands', () => {
  test('srvr and stat together give every series once, as srvr alone would', () => {
    const srvr = parseStat(fixture('stat'));
    const both = probe({ srvr, stat: parseStat(fixture('stat')) });
    assert.deepEqual(seriesIds(both), seriesIds(probe({ srvr })));
    assert.equal(new Set(seriesIds(both)).size, both.length);
    assert.deepEqual(seriesIds(probe({ stat: srvr })), seriesIds(probe({ srvr })), 'stat alone stands in for srvr');
  });

  test('isro: read_only 0 for rw, 1 for ro', () => {
    assert.deepEqual(
      named(probe({ isro: 'rw' }), 'zookeeper.read_only').map((s) => s.value),
      [0],
    );
    assert.deepEqual(
      named(probe({ isro: 'ro' }), 'zookeeper.read_only').map((s) => s.value),
      [1],
    );
    assert.equal(named(probe({}), 'zookeeper.read_only').length, 0);
  });

  test('wchs: connections and paths; watch.count only when mntr did not give it, as the same metric', () => {
    const wchs = parseWchs('1 connections watching 2 paths\nTotal watches:3\n');
    const alone = probe({ wchs });
    assert.deepEqual(
      named(alone, 'zookeeper.watch.connections').map((s) => s.value),
      [1],
    );
    assert.deepEqual(
      named(alone, 'zookeeper.watch.paths').map((s) => s.value),
      [2],
    );
    assert.deepEqual(
      named(alone, 'zookeeper.watch.count').map((s) => s.value),
      [3],
    );
    const mntr = parseMntr('zk_watch_count\t7\nzk_znode_count\t5\n');
    const withMntr = probe({ mntr, wchs });
    assert.deepEqual(
      named(withMntr, 'zookeeper.watch.count').map((s) => s.value),
      [7],
    );
    assert.equal(named(withMntr, 'zookeeper.watch.count')[0]!.metric, named(alone, 'zookeeper.watch.count')[0]!.metric, 'one descriptor');
  });

  test('envi and conf: info metrics with attributes, numeric settings as gauges', () => {
    const samples = probe({ envi: parseEnvi(fixture('envi')), conf: parseConf(fixture('conf')) });
    const [envi] = named(samples, 'zookeeper.environment.info');
    assert.equal(envi?.value, 1);
    assert.equal(envi?.attributes.java_version, '17.0.15');
    assert.equal(envi?.attributes['zk.endpoint'], 'zk-1.example:2181');
    const [conf] = named(samples, 'zookeeper.config.info');
    assert.equal(conf?.attributes.tick_time, '2000');
    const tick = named(samples, 'zookeeper.config.tick_time');
    assert.deepEqual(
      tick.map((s) => [s.value, s.metric.unit]),
      [[2000, 'ms']],
    );
    assert.equal(named(samples, 'zookeeper.config.max_session_timeout')[0]?.metric.unit, 'ms');
    assert.deepEqual(
      named(samples, 'zookeeper.config.sync_limit').map((s) => s.value),
      [5],
    );
  });

  test('cons: three gauges per client address', () => {
    const samples = probe({ cons: parseCons(fixture('cons')) });
    for (const [name, value] of [
      ['zookeeper.client.connections', 2],
      ['zookeeper.client.packets.queued', 0],
      ['zookeeper.client.packets.received', 4],
    ] as const) {
      const found = named(samples, name);
      assert.deepEqual(
        found.map((s) => [s.value, s.attributes.client_address]),
        [[value, '127.0.0.1']],
        name,
      );
      assert.equal(found[0]!.metric.kind, 'gauge');
    }
  });

  test('all commands together: no duplicate series', () => {
    const samples = probe({
      stat: parseStat(fixture('stat')),
      srvr: parseStat(fixture('stat')),
      isro: parseIsro(fixture('isro')),
      wchs: parseWchs(fixture('wchs')),
      envi: parseEnvi(fixture('envi')),
      conf: parseConf(fixture('conf')),
      cons: parseCons(fixture('cons')),
    });
    assert.equal(new Set(seriesIds(samples)).size, samples.length);
  });
});

describe('cons samples per connection', () => {
  test('one series set per kept connection plus the untracked gauge; nothing of the kind by default', () => {
    const reply = ' /10.0.0.1:1000[1](queued=2,recved=9,sent=8,sid=0x1a,minlat=0,avglat=1.5,maxlat=4)\n /10.0.0.1:1001[1](queued=0,recved=1,sent=1,sid=0x1b)\n';
    const off = probe({ cons: parseCons(reply) });
    assert.deepEqual(
      off.filter((s) => s.metric.name.startsWith('zookeeper.connection.')),
      [],
    );
    const on = probe({ cons: parseCons(reply, 100, 1) });
    const connection = { 'zk.endpoint': 'zk-1.example:2181', client_address: '10.0.0.1', client_port: '1000', session_id: '0x1a' };
    const perConnection = on.filter((s) => s.metric.name.startsWith('zookeeper.connection.') && s.metric.name !== 'zookeeper.connection.untracked');
    for (const sample of perConnection) assert.deepEqual(sample.attributes, connection, sample.metric.name);
    const values = Object.fromEntries(perConnection.map((s) => [s.metric.name, s.value]));
    assert.deepEqual(values, {
      'zookeeper.connection.requests.outstanding': 2,
      'zookeeper.connection.packets.received': 9,
      'zookeeper.connection.packets.sent': 8,
      'zookeeper.connection.latency.min': 0,
      'zookeeper.connection.latency.avg': 1.5,
      'zookeeper.connection.latency.max': 4,
    });
    assert.deepEqual(
      named(on, 'zookeeper.connection.untracked').map((s) => [s.value, s.attributes]),
      [[1, IDENTITY]],
    );
    assert.deepEqual(
      seriesIds(on).filter((id, index) => seriesIds(on).indexOf(id) !== index),
      [],
      'no duplicate series',
    );
  });
});
