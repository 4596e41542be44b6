import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { collectGarbage, liveHeapBytes } from '../../harness/heap.js';
import { mntrFixtureNames, readMntrFixture } from '../../harness/fixtures.js';

import type { Attributes, MetricDescriptor, MetricKind, Sample } from '../../../src/core/batch.js';
import { COUNTER_KEYS, OTEL_MNTR_METRICS } from '../../../src/receivers/zookeeper/catalog.js';
import type { FourLetterWord } from '../../../src/receivers/zookeeper/config.js';
import { ProbeError, type FailureReason } from '../../../src/receivers/zookeeper/four-letter-word.js';
import { MntrParser } from '../../../src/receivers/zookeeper/mntr-parser.js';
import { parseMntr, parseSrvr } from '../../../src/receivers/zookeeper/parse.js';
import type { ProbeOutcome, Replies } from '../../../src/receivers/zookeeper/probe.js';
import { mapKey, METRICS, MNTR_KEY_ATTRIBUTE, SampleMapper, SERVER_STATES, splitZxid } from '../../../src/receivers/zookeeper/samples.js';

// ---------------------------------------------------------------------------------------------------------------------
// Fixtures and an independent reading of them

const FIXTURES = mntrFixtureNames();
const readFixture = readMntrFixture;

interface FixtureView {
  readonly numbers: ReadonlyMap<string, number>;
  readonly strings: ReadonlyMap<string, string>;
}

/** A naive reading of `zk_<key>\t<value>` lines, independent of parse.ts: numeric when Number() is finite. */
function naiveMntr(text: string): FixtureView {
  const numbers = new Map<string, number>();
  const strings = new Map<string, string>();
  for (const line of text.split('\n').filter((l) => l !== '')) {
    const [key = '', value = ''] = line.split('\t');
    if (value.trim() !== '' && Number.isFinite(Number(value))) numbers.set(key.slice(3), Number(value));
    else strings.set(key.slice(3), value);
  }
  return { numbers, strings };
}

/** The fixture's text with some `zk_<key>` lines replaced (value), appended (new key) or removed (undefined). */
function withValues(text: string, values: Readonly<Record<string, string | number | undefined>>): string {
  const pending = new Map(Object.entries(values));
  const lines = text.split('\n').filter((line) => line !== '');
  const kept = lines.flatMap((line) => {
    const key = line.slice(3, line.indexOf('\t'));
    if (!pending.has(key)) return [line];
    const value = pending.get(key);
    pending.delete(key);
    return value === undefined ? [] : [`zk_${key}\t${value}`];
  });
  for (const [key, value] of pending) if (value !== undefined) kept.push(`zk_${key}\t${value}`);
  return kept.join('\n') + '\n';
}

/** A realistic `srvr` reply (3.8.0 leader by default). */
function srvrText(mode: string, fields: Readonly<Record<string, string>> = {}): string {
  const all: Record<string, string> = {
    'Zookeeper version': '3.8.0-5a02a05eddb59aee6ac762f7ea82e92a68eb9c0f, built on 2022-02-25 08:49 UTC',
    'Latency min/avg/max': '0/0.2/5',
    Received: '10',
    Sent: '9',
    Connections: '1',
    Outstanding: '0',
    Zxid: '0x100000003',
    Mode: mode,
    'Node count': '5',
    'Proposal sizes last/min/max': '48/48/92',
    ...fields,
  };
  return Object.entries(all)
    .map(([name, value]) => `${name}: ${value}\n`)
    .join('');
}

// ---------------------------------------------------------------------------------------------------------------------
// Probes and sample lookup

const IDENTITY: Attributes = Object.freeze({ 'zk.endpoint': 'zk-1.example:2181', 'zk.cluster': 'prod' });

type Failure = readonly [FourLetterWord, FailureReason];

function outcome(replies: Replies, failures: readonly Failure[] = []): ProbeOutcome {
  return {
    replies,
    failures: failures.map(([command, reason]) => ({ command, error: new ProbeError(reason, `${command}: ${reason}`) })),
    durationMs: 1,
  };
}

/** Samples as exporters get them: the service strips meta (`__*`) attributes such as `__mntr_key`. */
const withoutMeta = (samples: Sample[]): Sample[] =>
  samples.map((sample) => ({ ...sample, attributes: Object.fromEntries(Object.entries(sample.attributes).filter(([key]) => !key.startsWith('__'))) }));

/** One probe of a fresh mapper. */
const probe = (replies: Replies, failures: readonly Failure[] = []): Sample[] =>
  withoutMeta(new SampleMapper(IDENTITY).toSamples(outcome(replies, failures), 0));

/** The samples of one probe that got only `mntr`, parsed from `text`. */
const mntrSamples = (text: string): Sample[] => probe({ mntr: parseMntr(text) });

const canonical = (attributes: Attributes) => JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** `name {attributes}`: what identifies a series. */
const seriesId = (sample: Sample) => `${sample.metric.name} ${canonical(sample.attributes)}`;

/** Series that occur more than once. */
function duplicateSeries(samples: readonly Sample[]): string[] {
  const seen = new Set<string>();
  return samples.map(seriesId).filter((id) => seen.has(id) || !seen.add(id));
}

/** The samples named `name` (with `attributes` among theirs, when given). */
function named(samples: readonly Sample[], name: string, attributes: Attributes = {}): Sample[] {
  return samples.filter((sample) => sample.metric.name === name && Object.entries(attributes).every(([key, value]) => sample.attributes[key] === value));
}

/** The one sample of series `name` with attributes exactly IDENTITY + `extra`. */
function only(samples: readonly Sample[], name: string, extra: Attributes = {}): Sample {
  const wanted = canonical({ ...IDENTITY, ...extra });
  const found = samples.filter((sample) => sample.metric.name === name && canonical(sample.attributes) === wanted);
  assert.equal(found.length, 1, `${name} ${canonical(extra)}: ${found.length} samples; have ${[...new Set(samples.map((s) => s.metric.name))].join(' ')}`);
  return found[0]!;
}

/** Asserts the series exists once with this value (Object.is: NaN equals NaN) and, when given, kind and unit. */
function assertSeries(samples: readonly Sample[], name: string, extra: Attributes, expected: { value: number; kind?: MetricKind; unit?: string }): Sample {
  const sample = only(samples, name, extra);
  assert.equal(sample.value, expected.value, `${name} ${canonical(extra)} value`);
  if (expected.kind) assert.equal(sample.metric.kind, expected.kind, `${name} kind`);
  if (expected.unit !== undefined) assert.equal(sample.metric.unit, expected.unit, `${name} unit`);
  return sample;
}

/** The state that zookeeper.server.state says is current, after checking the five known states are all there once. */
function currentState(samples: readonly Sample[]): string {
  const states = named(samples, METRICS.serverState.name);
  for (const state of SERVER_STATES) assert.equal(named(states, METRICS.serverState.name, { state }).length, 1, state);
  const current = states.filter((sample) => sample.value === 1);
  assert.equal(current.length, 1, `states at 1: ${current.map(seriesId).join(', ')}`);
  assert.ok(states.every((sample) => sample.value === 0 || sample.value === 1));
  return current[0]!.attributes.state!;
}

/** Metrics that do not come from a numeric mntr key. */
const NOT_FROM_NUMBERS = new Set(
  [
    METRICS.up,
    METRICS.probeDuration,
    METRICS.probeSkipped,
    METRICS.probeFailure,
    METRICS.unparsedLines,
    METRICS.ruok,
    METRICS.serverState,
    METRICS.peerState,
    METRICS.buildInfo,
  ].map((metric) => metric.name),
);
const isUnsynced = (sample: Sample) => sample.metric.name === METRICS.followers.name && sample.attributes.state === 'unsynced';

const SUMMARY_KEY = /^(avg|min|max|cnt|sum|p50|p95|p99|p999)_(.+)$/;
/** Keys that are not part of a summary (no `cnt_<rest>` beside them): mapped by the plain rule or the OTel table. */
const isPlainKey = (key: string, numbers: ReadonlyMap<string, number>) => {
  const match = SUMMARY_KEY.exec(key);
  return !match || !numbers.has(`cnt_${match[2]!}`);
};

// ---------------------------------------------------------------------------------------------------------------------

describe('SampleMapper over every fixture', () => {
  for (const name of FIXTURES) {
    describe(name, () => {
      const text = readFixture(name);
      const fixture = naiveMntr(text);
      const state = fixture.strings.get('server_state')!;

      test('every numeric mntr key yields exactly one sample with its value (none dropped, none invented)', () => {
        const samples = mntrSamples(text);
        const fromNumbers = samples.filter((sample) => !NOT_FROM_NUMBERS.has(sample.metric.name) && !isUnsynced(sample));
        assert.equal(fromNumbers.length, fixture.numbers.size);
        const byValue = (a: number, b: number) => a - b;
        assert.deepEqual(fromNumbers.map((sample) => sample.value).sort(byValue), [...fixture.numbers.values()].sort(byValue));
        const reply = parseMntr(text);
        for (const [key, value] of fixture.numbers) {
          const mapping = mapKey(key, reply.numbers);
          assert.equal(only(samples, mapping.metric.name, mapping.extra).value, value, `zk_${key}`);
        }
      });

      test('every sample carries zk.endpoint and zk.cluster; without a cluster, only zk.endpoint', () => {
        // A failed ruok adds zookeeper.probe.failure{command,reason} and zookeeper.ruok 0: they carry the identity too.
        const replies: Replies = { mntr: parseMntr(text), srvr: parseSrvr(srvrText(state)) };
        const failures: Failure[] = [['ruok', 'timeout']];
        for (const sample of probe(replies, failures)) {
          assert.equal(sample.attributes['zk.endpoint'], IDENTITY['zk.endpoint'], seriesId(sample));
          assert.equal(sample.attributes['zk.cluster'], IDENTITY['zk.cluster'], seriesId(sample));
        }
        const endpointOnly = Object.freeze({ 'zk.endpoint': '10.0.0.7:2181' });
        for (const sample of new SampleMapper(endpointOnly).toSamples(outcome(replies, failures), 0)) {
          assert.equal(sample.attributes['zk.endpoint'], '10.0.0.7:2181', seriesId(sample));
          assert.equal('zk.cluster' in sample.attributes, false, seriesId(sample));
        }
      });

      test('no two samples share metric name and attributes (mntr + ruok + srvr)', () => {
        const samples = probe({ mntr: parseMntr(text), ruok: true, srvr: parseSrvr(srvrText(state)) });
        assert.deepEqual(duplicateSeries(samples), []);
      });

      test('samples of one metric and mntr key share one descriptor; samples of one metric agree on kind, unit, type, description', () => {
        const byName = new Map<string, MetricDescriptor>();
        const byNameAndKey = new Map<string, MetricDescriptor>();
        const mappers = [new SampleMapper(IDENTITY), new SampleMapper(Object.freeze({ 'zk.endpoint': '10.9.9.9:2181' }))];
        for (const mapper of mappers) {
          for (const sample of mapper.toSamples(outcome({ mntr: parseMntr(text), ruok: true, srvr: parseSrvr(srvrText(state)) }), 0)) {
            const { name, kind, unit, valueType, description } = sample.metric;
            const first = byName.get(name) ?? sample.metric;
            byName.set(name, first);
            assert.deepEqual(
              { kind, unit, valueType, description },
              { kind: first.kind, unit: first.unit, valueType: first.valueType, description: first.description },
              seriesId(sample),
            );
            const id = `${name}|${sample.metric.meta?.[MNTR_KEY_ATTRIBUTE] ?? ''}`;
            const keyed = byNameAndKey.get(id) ?? sample.metric;
            byNameAndKey.set(id, keyed);
            assert.ok(sample.metric === keyed, `${seriesId(sample)}: another descriptor instance for ${id}`);
          }
        }
      });

      test('plain keys: COUNTER_KEYS become counters, every other key (znode_count, *_count, ...) a gauge', () => {
        const samples = mntrSamples(text);
        for (const [key] of fixture.numbers) {
          if (!isPlainKey(key, fixture.numbers)) continue;
          const otel = OTEL_MNTR_METRICS[key];
          const sample = only(samples, otel?.name ?? `zookeeper.${key}`, otel?.attributes);
          assert.equal(sample.metric.kind, COUNTER_KEYS.has(key) ? 'counter' : 'gauge', `zk_${key}`);
        }
      });

      test(`zookeeper.server.state: five states, only ${state} at 1; version and peer state as info`, () => {
        const samples = mntrSamples(text);
        assert.equal(currentState(samples), state);
        assertSeries(samples, METRICS.buildInfo.name, { version: fixture.strings.get('version')!.split(',')[0]! }, { value: 1 });
        const peerState = fixture.strings.get('peer_state');
        assert.equal(named(samples, METRICS.peerState.name).length, peerState ? 1 : 0);
        if (peerState) assertSeries(samples, METRICS.peerState.name, { state: peerState }, { value: 1 });
        assertSeries(samples, METRICS.unparsedLines.name, {}, { value: 0 });
      });

      test(`leader-only series (sync.pending, follower.count) ${state === 'leader' ? 'present' : 'absent'}`, () => {
        const samples = mntrSamples(text);
        const leader = state === 'leader';
        for (const [series, extra] of [
          ['zookeeper.sync.pending', {}],
          ['zookeeper.follower.count', { state: 'synced' }],
          ['zookeeper.follower.count', { state: 'unsynced' }],
        ] as const) {
          assert.equal(named(samples, series, extra).length, leader ? 1 : 0, `${series} ${canonical(extra)}`);
        }
      });

      test('a second probe with a freshly parsed reply reuses every descriptor and attribute object', () => {
        const mapper = new SampleMapper(IDENTITY);
        const probeOnce = () => mapper.toSamples(outcome({ mntr: parseMntr(text), srvr: parseSrvr(srvrText(state)) }, [['ruok', 'timeout']]), 0);
        const first = probeOnce();
        const second = probeOnce();
        assert.equal(second.length, first.length);
        first.forEach((sample, i) => {
          const again = second[i]!;
          assert.ok(again.metric === sample.metric, `descriptor of ${seriesId(sample)}`);
          assert.ok(again.attributes === sample.attributes, `attributes of ${seriesId(sample)}`);
          assert.ok(Object.isFrozen(again.attributes), `attributes of ${seriesId(sample)} are frozen`);
        });
      });
    });
  }
});

describe('OpenTelemetry Collector metrics', () => {
  /** mntr key -> the Collector's metric. */
  const OTEL: ReadonlyArray<[key: string, name: string, kind: MetricKind, unit: string, extra?: Attributes]> = [
    ['avg_latency', 'zookeeper.latency.avg', 'gauge', 'ms'],
    ['min_latency', 'zookeeper.latency.min', 'gauge', 'ms'],
    ['max_latency', 'zookeeper.latency.max', 'gauge', 'ms'],
    ['num_alive_connections', 'zookeeper.connection.active', 'gauge', '{connections}'],
    ['outstanding_requests', 'zookeeper.request.active', 'gauge', '{requests}'],
    ['znode_count', 'zookeeper.znode.count', 'gauge', '{znodes}'],
    ['watch_count', 'zookeeper.watch.count', 'gauge', '{watches}'],
    ['ephemerals_count', 'zookeeper.data_tree.ephemeral_node.count', 'gauge', '{nodes}'],
    ['approximate_data_size', 'zookeeper.data_tree.size', 'gauge', 'By'],
    ['open_file_descriptor_count', 'zookeeper.file_descriptor.open', 'gauge', '{file_descriptors}'],
    ['max_file_descriptor_count', 'zookeeper.file_descriptor.limit', 'gauge', '{file_descriptors}'],
    ['packets_received', 'zookeeper.packet.count', 'counter', '{packets}', { direction: 'received' }],
    ['packets_sent', 'zookeeper.packet.count', 'counter', '{packets}', { direction: 'sent' }],
    ['fsync_threshold_exceed_count', 'zookeeper.fsync.exceeded_threshold.count', 'counter', '{events}'],
    ['pending_syncs', 'zookeeper.sync.pending', 'gauge', '{syncs}'],
    ['synced_followers', 'zookeeper.follower.count', 'gauge', '{followers}', { state: 'synced' }],
  ];

  test('the table covers every key the Collector reads', () => {
    assert.deepEqual(OTEL.map(([key]) => key).sort(), Object.keys(OTEL_MNTR_METRICS).sort());
  });

  for (const [key, name, kind, unit, extra = {}] of OTEL) {
    test(`zk_${key} -> ${name} ${canonical(extra)} (${kind}, ${unit})`, () => {
      const withKey = FIXTURES.filter((fixture) => naiveMntr(readFixture(fixture)).numbers.has(key));
      assert.ok(withKey.length > 0, `no fixture has zk_${key}`);
      for (const fixture of withKey) {
        const text = readFixture(fixture);
        assertSeries(mntrSamples(text), name, extra, { value: naiveMntr(text).numbers.get(key)!, kind, unit });
      }
    });
  }

  test('zk_avg_latency 0.0989 stays 0.0989 (a double, not truncated)', () => {
    const sample = assertSeries(mntrSamples(readFixture('mntr-3.7.2.txt')), 'zookeeper.latency.avg', {}, { value: 0.0989 });
    assert.equal(sample.metric.valueType, 'double');
  });

  const RUOK: ReadonlyArray<[label: string, replies: Replies, failures: Failure[], expected: number | undefined]> = [
    ['imok', { ruok: true }, [], 1],
    ['failed', {}, [['ruok', 'not_serving']], 0],
    ['not configured', { srvr: parseSrvr(srvrText('leader')) }, [], undefined],
  ];
  for (const [label, replies, failures, expected] of RUOK) {
    test(`zookeeper.ruok: ${label} -> ${expected ?? 'absent'}`, () => {
      const samples = probe(replies, failures);
      if (expected === undefined) assert.deepEqual(named(samples, 'zookeeper.ruok'), []);
      else assertSeries(samples, 'zookeeper.ruok', {}, { value: expected, kind: 'gauge' });
    });
  }
});

describe('summary families', () => {
  const withFamily = (family: string) => FIXTURES.filter((name) => naiveMntr(readFixture(name)).numbers.has(`cnt_${family}`));

  /** Asserts every stat of `family` in every fixture that has it: name, kind, unit and value. */
  function assertFamily(family: string, stats: readonly string[], expectation: { name: string; extra?: Attributes; timeUnit: string }) {
    const fixtures = withFamily(family);
    assert.ok(fixtures.length > 0, `no fixture has zk_cnt_${family}`);
    for (const fixture of fixtures) {
      const text = readFixture(fixture);
      const numbers = naiveMntr(text).numbers;
      const samples = mntrSamples(text);
      for (const stat of stats) {
        const counter = stat === 'cnt' || stat === 'sum';
        assertSeries(samples, `zookeeper.${expectation.name}.${stat === 'cnt' ? 'count' : stat}`, expectation.extra ?? {}, {
          value: numbers.get(`${stat}_${family}`)!,
          kind: counter ? 'counter' : 'gauge',
          unit: stat === 'cnt' ? '' : expectation.timeUnit,
        });
      }
    }
  }

  const BASIC = ['avg', 'min', 'max', 'cnt', 'sum'];
  const PERCENTILE = [...BASIC, 'p50', 'p95', 'p99', 'p999'];

  test('zk_{avg,min,max,cnt,sum}_fsynctime -> zookeeper.fsynctime.{avg,min,max} gauges, .count/.sum counters, in ms', () => {
    assert.ok(withFamily('fsynctime').some((name) => /3\.7|3\.8/.test(name)));
    assertFamily('fsynctime', BASIC, { name: 'fsynctime', timeUnit: 'ms' });
  });

  test('percentile families also give p50/p95/p99/p999', () => {
    assertFamily('readlatency', PERCENTILE, { name: 'readlatency', timeUnit: 'ms' });
    assertFamily('updatelatency', PERCENTILE, { name: 'updatelatency', timeUnit: 'ms' });
  });

  test('_ms families drop _ms from the name and carry unit ms', () => {
    assertFamily('jvm_pause_time_ms', PERCENTILE, { name: 'jvm_pause_time', timeUnit: 'ms' });
    assertFamily('time_waiting_empty_pool_in_commit_processor_read_ms', BASIC, { name: 'time_waiting_empty_pool_in_commit_processor_read', timeUnit: 'ms' });
    for (const fixture of FIXTURES) {
      const names = mntrSamples(readFixture(fixture)).map((sample) => sample.metric.name);
      assert.deepEqual(
        names.filter((name) => /_ms(\.|$)/.test(name)),
        [],
        fixture,
      );
    }
  });

  test('non-time families have no unit', () => {
    assertFamily('sync_processor_batch_size', BASIC, { name: 'sync_processor_batch_size', timeUnit: '' });
  });

  const LABELLED: ReadonlyArray<[fixture: string, family: string, stats: readonly string[], name: string, extra: Attributes, timeUnit: string]> = [
    ['mntr-3.8.0-leader.txt', '1_learner_handler_qp_size', BASIC, 'learner_handler_qp_size', { server_id: '1' }, ''],
    ['mntr-3.8.0-leader.txt', '2_learner_handler_qp_size', BASIC, 'learner_handler_qp_size', { server_id: '2' }, ''],
    ['mntr-3.8.0-leader.txt', '2_learner_handler_qp_time_ms', PERCENTILE, 'learner_handler_qp_time', { server_id: '2' }, 'ms'],
    ['mntr-3.7.0.txt', '10_learner_handler_qp_time_ms', PERCENTILE, 'learner_handler_qp_time', { server_id: '10' }, 'ms'],
    ['mntr-3.7.0.txt', 'v1_read_per_namespace', BASIC, 'read_per_namespace', { namespace: 'v1' }, ''],
    ['mntr-3.7.0.txt', 'zookeeper_write_per_namespace', BASIC, 'write_per_namespace', { namespace: 'zookeeper' }, ''],
    ['mntr-3.7.0-follower.txt', 'clickhouse_read_per_namespace', BASIC, 'read_per_namespace', { namespace: 'clickhouse' }, ''],
    ['mntr-3.6.1.txt', 'abc_read_per_namespace', BASIC, 'read_per_namespace', { namespace: 'abc' }, ''],
  ];
  for (const [fixture, family, stats, name, extra, timeUnit] of LABELLED) {
    test(`${fixture}: zk_avg_${family} -> zookeeper.${name}.avg ${canonical(extra)}`, () => {
      assert.ok(withFamily(family).includes(fixture), `${fixture} has no zk_cnt_${family}`);
      assertFamily(family, stats, { name, extra, timeUnit });
    });
  }

  test('a set family by server id: zk_avg_3_ack_latency -> zookeeper.ack_latency.avg{server_id="3"}', () => {
    const samples = mntrSamples('zk_avg_3_ack_latency\t1.5\nzk_cnt_3_ack_latency\t2\nzk_p99_3_ack_latency\t2\n');
    assertSeries(samples, 'zookeeper.ack_latency.avg', { server_id: '3' }, { value: 1.5, kind: 'gauge', unit: 'ms' });
    assertSeries(samples, 'zookeeper.ack_latency.count', { server_id: '3' }, { value: 2, kind: 'counter', unit: '' });
    assertSeries(samples, 'zookeeper.ack_latency.p99', { server_id: '3' }, { value: 2, kind: 'gauge', unit: 'ms' });
  });

  test('zk_*_quorum_ack_latency is its own family, not server "quorum" of ack_latency', () => {
    assertFamily('quorum_ack_latency', PERCENTILE, { name: 'quorum_ack_latency', timeUnit: 'ms' });
    for (const fixture of withFamily('quorum_ack_latency')) {
      assert.deepEqual(named(mntrSamples(readFixture(fixture)), 'zookeeper.ack_latency.avg'), [], fixture);
    }
  });

  const LOOKALIKES: ReadonlyArray<[key: string, name: string]> = [
    ['max_file_descriptor_count', 'zookeeper.file_descriptor.limit'],
    ['max_proposal_size', 'zookeeper.max_proposal_size'],
    ['min_proposal_size', 'zookeeper.min_proposal_size'],
    ['min_client_response_size', 'zookeeper.min_client_response_size'],
    ['max_client_response_size', 'zookeeper.max_client_response_size'],
  ];
  for (const [key, name] of LOOKALIKES) {
    test(`zk_${key} is a plain gauge ${name}`, () => {
      const fixtures = FIXTURES.filter((fixture) => naiveMntr(readFixture(fixture)).numbers.has(key));
      assert.ok(fixtures.length > 0, `no fixture has zk_${key}`);
      for (const fixture of fixtures) {
        const text = readFixture(fixture);
        const sample = assertSeries(mntrSamples(text), name, {}, { value: naiveMntr(text).numbers.get(key)!, kind: 'gauge' });
        assert.equal(mapKey(key, parseMntr(text).numbers).extra, undefined);
        assert.doesNotMatch(sample.metric.name, /\.(avg|min|max)$/);
      }
    });
  }

  test('an unknown family is a summary only when its cnt_ key is in the same reply', () => {
    const summary = mntrSamples('zk_avg_new_family\t2.5\nzk_cnt_new_family\t4\nzk_sum_new_family\t10\nzk_avg_7_new_set\t1\nzk_cnt_7_new_set\t1\n');
    assertSeries(summary, 'zookeeper.new_family.avg', {}, { value: 2.5, kind: 'gauge', unit: '' });
    assertSeries(summary, 'zookeeper.new_family.count', {}, { value: 4, kind: 'counter' });
    assertSeries(summary, 'zookeeper.new_family.sum', {}, { value: 10, kind: 'counter' });
    assertSeries(summary, 'zookeeper.new_set.avg', { server_id: '7' }, { value: 1, kind: 'gauge' });
    const plain = mntrSamples('zk_avg_new_family\t2.5\nzk_max_new_family\t3\n');
    assertSeries(plain, 'zookeeper.avg_new_family', {}, { value: 2.5, kind: 'gauge' });
    assertSeries(plain, 'zookeeper.max_new_family', {}, { value: 3, kind: 'gauge' });
  });
});

describe('unsynced followers', () => {
  const LEADER_35 = readFixture('mntr-3.5.3-beta.txt');
  const LEADER_38 = readFixture('mntr-3.8.0-leader.txt');
  const CASES: ReadonlyArray<[label: string, text: string, unsynced: number | undefined]> = [
    ['3.5.3 fixture: followers 1, synced 1', LEADER_35, 0],
    ['3.5.5 fixture: followers 0, synced 0', readFixture('mntr-3.5.5.txt'), 0],
    ['3.5: followers 3, synced 1', withValues(LEADER_35, { followers: 3, synced_followers: 1 }), 2],
    ['3.5: more synced than followers (racy read) clamps at 0', withValues(LEADER_35, { followers: 1, synced_followers: 2 }), 0],
    ['3.7.0 fixture: learners 1, synced 1', readFixture('mntr-3.7.0.txt'), 0],
    ['3.8.0 fixture: learners 2, synced 2', LEADER_38, 0],
    ['3.8: learners 4, synced followers 2, synced observers 1', withValues(LEADER_38, { learners: 4, synced_followers: 2, synced_observers: 1 }), 1],
    // Leader.getNonVotingFollowers() is the subset of getForwardingFollowers() (zk_synced_followers) that cannot vote.
    [
      '3.8: learners 3, synced followers 3 of which 1 non-voting',
      withValues(LEADER_38, { learners: 3, synced_followers: 3, synced_non_voting_followers: 1 }),
      0,
    ],
    [
      '3.8: learners 3, synced followers 2 of which 1 non-voting',
      withValues(LEADER_38, { learners: 3, synced_followers: 2, synced_non_voting_followers: 1 }),
      1,
    ],
    ['3.8: no zk_learners', withValues(LEADER_38, { learners: undefined }), undefined],
    ['follower fixture', readFixture('mntr-3.8.0-follower.txt'), undefined],
    ['standalone fixture', readFixture('mntr-3.4.14.txt'), undefined],
  ];
  for (const [label, text, unsynced] of CASES) {
    test(`${label} -> ${unsynced ?? 'no series'}`, () => {
      const samples = mntrSamples(text);
      if (unsynced === undefined) assert.deepEqual(named(samples, 'zookeeper.follower.count', { state: 'unsynced' }), []);
      else assertSeries(samples, 'zookeeper.follower.count', { state: 'unsynced' }, { value: unsynced, kind: 'gauge', unit: '{followers}' });
    });
  }
});

describe('server state and probe health', () => {
  const FOLLOWER_38 = readFixture('mntr-3.8.0-follower.txt');
  const STATES: ReadonlyArray<[reported: string, expected: string]> = [
    ['leader', 'leader'],
    ['follower', 'follower'],
    ['observer', 'observer'],
    ['standalone', 'standalone'],
    ['read-only', 'read_only'],
  ];
  for (const [reported, expected] of STATES) {
    test(`"${reported}" -> zookeeper.server.state{state="${expected}"} 1, the four others 0 (from mntr, and from srvr alone)`, () => {
      assert.equal(currentState(mntrSamples(withValues(FOLLOWER_38, { server_state: reported }))), expected);
      assert.equal(currentState(probe({ srvr: parseSrvr(srvrText(reported)) })), expected);
    });
  }

  test('an unknown state is reported at 1 beside the five known ones at 0', () => {
    const states = named(mntrSamples(withValues(FOLLOWER_38, { server_state: 'looking' })), METRICS.serverState.name);
    assert.deepEqual(states.map((sample) => `${sample.attributes.state}=${sample.value}`).sort(), [
      'follower=0',
      'leader=0',
      'looking=1',
      'observer=0',
      'read_only=0',
      'standalone=0',
    ]);
  });

  const HEALTH: ReadonlyArray<[label: string, replies: () => Replies, failures: Failure[]]> = [
    ['every command answered', () => ({ mntr: parseMntr(FOLLOWER_38), ruok: true, srvr: parseSrvr(srvrText('follower')) }), []],
    ['ruok not serving', () => ({ mntr: parseMntr(FOLLOWER_38), srvr: parseSrvr(srvrText('follower')) }), [['ruok', 'not_serving']]],
    [
      'mntr not whitelisted, srvr timed out',
      () => ({ ruok: true }),
      [
        ['mntr', 'not_whitelisted'],
        ['srvr', 'timeout'],
      ],
    ],
    [
      'everything refused',
      () => ({}),
      [
        ['mntr', 'refused'],
        ['ruok', 'refused'],
        ['srvr', 'refused'],
      ],
    ],
  ];
  for (const [label, replies, failures] of HEALTH) {
    test(`${label}: zookeeper.up ${failures.length === 0 ? 1 : 0}, one zookeeper.probe.failure per failed command`, () => {
      const samples = new SampleMapper(IDENTITY).toSamples({ ...outcome(replies(), failures), durationMs: 250 }, 3);
      assertSeries(samples, 'zookeeper.up', {}, { value: failures.length === 0 ? 1 : 0, kind: 'gauge' });
      assertSeries(samples, 'zookeeper.probe.duration', {}, { value: 0.25, unit: 's' });
      assertSeries(samples, 'zookeeper.probe.skipped', {}, { value: 3, kind: 'counter' });
      const reported = named(samples, 'zookeeper.probe.failure').map((sample) => `${sample.attributes.command}:${sample.attributes.reason}=${sample.value}`);
      assert.deepEqual(
        reported,
        failures.map(([command, reason]) => `${command}:${reason}=1`),
      );
      assert.deepEqual(duplicateSeries(samples), []);
    });
  }

  test('srvr alone fills latency, packets, connections, requests, znodes, state and version', () => {
    const samples = probe({ srvr: parseSrvr(srvrText('leader')) }, [['mntr', 'timeout']]);
    const EXPECTED: ReadonlyArray<[name: string, extra: Attributes, value: number]> = [
      ['zookeeper.latency.min', {}, 0],
      ['zookeeper.latency.avg', {}, 0.2],
      ['zookeeper.latency.max', {}, 5],
      ['zookeeper.packet.count', { direction: 'received' }, 10],
      ['zookeeper.packet.count', { direction: 'sent' }, 9],
      ['zookeeper.connection.active', {}, 1],
      ['zookeeper.request.active', {}, 0],
      ['zookeeper.znode.count', {}, 5],
      ['zookeeper.build.info', { version: '3.8.0-5a02a05eddb59aee6ac762f7ea82e92a68eb9c0f' }, 1],
    ];
    for (const [name, extra, value] of EXPECTED) assertSeries(samples, name, extra, { value });
    assert.equal(currentState(samples), 'leader');
    assert.deepEqual(named(samples, 'zookeeper.mntr.unparsed_lines'), []);
    assert.deepEqual(duplicateSeries(samples), []);
  });

  test('mntr + srvr: mntr wins, srvr adds no second series', () => {
    const text = withValues(FOLLOWER_38, { packets_received: 1000, packets_sent: 999, znode_count: 77, avg_latency: 0.5 });
    const samples = probe({ mntr: parseMntr(text), srvr: parseSrvr(srvrText('leader')) });
    assertSeries(samples, 'zookeeper.packet.count', { direction: 'received' }, { value: 1000 });
    assertSeries(samples, 'zookeeper.packet.count', { direction: 'sent' }, { value: 999 });
    assertSeries(samples, 'zookeeper.znode.count', {}, { value: 77 });
    assertSeries(samples, 'zookeeper.latency.avg', {}, { value: 0.5 });
    assert.equal(currentState(samples), 'follower'); // mntr's zk_server_state, not srvr's Mode
    assert.equal(named(samples, 'zookeeper.build.info').length, 1);
    assert.deepEqual(duplicateSeries(samples), []);
  });

  test('srvr fills only what mntr lacks', () => {
    const text = withValues(FOLLOWER_38, { znode_count: undefined, outstanding_requests: undefined });
    const samples = probe({ mntr: parseMntr(text), srvr: parseSrvr(srvrText('follower', { 'Node count': '42', Outstanding: '3' })) });
    assertSeries(samples, 'zookeeper.znode.count', {}, { value: 42 });
    assertSeries(samples, 'zookeeper.request.active', {}, { value: 3 });
    assert.deepEqual(duplicateSeries(samples), []);
  });

  test('odd mntr lines are counted in zookeeper.mntr.unparsed_lines', () => {
    const samples = mntrSamples(`${FOLLOWER_38}garbage\nzk_no_tab 1\n`);
    assertSeries(samples, 'zookeeper.mntr.unparsed_lines', {}, { value: 2, kind: 'gauge' });
  });

  test('other string keys become zookeeper.<key>.info{value}', () => {
    const samples = mntrSamples(withValues(FOLLOWER_38, { observer_master_id: 'null' }));
    assertSeries(samples, 'zookeeper.observer_master_id.info', { value: 'null' }, { value: 1, kind: 'gauge' });
  });
});

describe('the __mntr_key meta attribute', () => {
  for (const name of FIXTURES) {
    test(`${name}: every mntr sample's descriptor carries the key it came from; no sample attribute does`, () => {
      const text = readFixture(name);
      const samples = new SampleMapper(IDENTITY).toSamples(outcome({ mntr: parseMntr(text) }), 0);
      const keys = samples.map((sample) => sample.metric.meta?.[MNTR_KEY_ATTRIBUTE]).filter((key): key is string => key !== undefined);
      assert.deepEqual(keys.sort(), [...naiveMntr(text).numbers.keys()].sort());
      assert.ok(samples.every((sample) => !Object.keys(sample.attributes).some((key) => key.startsWith('__'))));
    });
  }
});

describe('srvr and stat: zxid, latency, node count, proposal sizes', () => {
  test('zxid 0x2d000b8a1f -> zookeeper.zxid.epoch 0x2d, zookeeper.zxid.sequence 0xb8a1f (gauges)', () => {
    const samples = probe({ srvr: parseSrvr(srvrText('follower', { Zxid: '0x2d000b8a1f' })) });
    assertSeries(samples, 'zookeeper.zxid.epoch', {}, { value: 0x2d, kind: 'gauge' });
    assertSeries(samples, 'zookeeper.zxid.sequence', {}, { value: 0xb8a1f, kind: 'gauge' });
  });

  test('the largest zxid splits exactly (no float rounding of the 64-bit value)', () => {
    assert.deepEqual(splitZxid(0xffffffff_fffffffen), { epoch: 0xffffffff, counter: 0xfffffffe });
  });

  test("srvr alone gives mode, latency min/avg/max, node count and the leader's proposal sizes", () => {
    const samples = probe({ srvr: parseSrvr(srvrText('leader')) });
    assert.equal(currentState(samples), 'leader');
    assertSeries(samples, 'zookeeper.latency.min', {}, { value: 0 });
    assertSeries(samples, 'zookeeper.latency.avg', {}, { value: 0.2 });
    assertSeries(samples, 'zookeeper.latency.max', {}, { value: 5 });
    assertSeries(samples, 'zookeeper.znode.count', {}, { value: 5 });
    assertSeries(samples, 'zookeeper.last_proposal_size', {}, { value: 48, kind: 'gauge' });
    assertSeries(samples, 'zookeeper.min_proposal_size', {}, { value: 48, kind: 'gauge' });
    assertSeries(samples, 'zookeeper.max_proposal_size', {}, { value: 92, kind: 'gauge' });
  });

  test("the same series as mntr's keys, never twice when both answer; srvr and stat together give one set", () => {
    const mntr = parseMntr(readFixture('mntr-3.8.0-leader.txt'));
    const srvr = parseSrvr(srvrText('leader'));
    const samples = probe({ mntr, srvr, stat: srvr });
    assert.deepEqual(duplicateSeries(samples), []);
    assertSeries(samples, 'zookeeper.min_proposal_size', {}, { value: mntr.numbers.get('min_proposal_size')! });
    assertSeries(samples, 'zookeeper.zxid.sequence', {}, { value: 3 });
  });

  test("no proposal sizes from a follower's srvr", () => {
    const text = srvrText('follower').replace(/^Proposal sizes.*\n/m, '');
    assert.deepEqual(named(probe({ srvr: parseSrvr(text) }), 'zookeeper.min_proposal_size'), []);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// The previous probe's series, used again

describe('SampleMapper across probes', () => {
  const FOLLOWER = readFixture('mntr-3.8.0-follower.txt');
  const series = (sample: Sample) => `${sample.metric.name} ${JSON.stringify(sample.attributes)}`;
  const byName = (samples: readonly Sample[]) => new Map(samples.map((sample) => [series(sample), sample]));

  test('a changed value reaches its series, and every series keeps its descriptor and attribute objects', () => {
    const mapper = new SampleMapper(IDENTITY);
    const first = byName(mapper.toSamples(outcome({ mntr: parseMntr(FOLLOWER) }), 0));
    const changedReply = FOLLOWER.replace(/^zk_znode_count\t\d+$/m, 'zk_znode_count\t123456');
    const second = byName(mapper.toSamples(outcome({ mntr: parseMntr(changedReply) }), 0));
    const znodes = `zookeeper.znode.count ${JSON.stringify(IDENTITY)}`;
    assert.notEqual(first.get(znodes)?.value, 123456);
    assert.equal(second.get(znodes)?.value, 123456);
    const watches = `zookeeper.watch.count ${JSON.stringify(IDENTITY)}`;
    assert.equal(second.get(watches)?.value, first.get(watches)?.value);
    assert.equal(second.size, first.size);
    for (const [name, sample] of second) {
      assert.equal(sample.metric, first.get(name)!.metric, name);
      assert.equal(sample.attributes, first.get(name)!.attributes, name);
    }
  });

  test("a mapper keeps no probe's samples alive once its batch is gone (only the series, place by place)", async () => {
    const mapper = new SampleMapper(IDENTITY);
    const weak = (() => {
      const samples = mapper.toSamples(outcome({ mntr: parseMntr(FOLLOWER) }), 0);
      mapper.toSamples(outcome({ mntr: parseMntr(FOLLOWER) }), 0);
      return samples.map((sample) => new WeakRef(sample));
    })();
    // A WeakRef keeps its target alive until the current job ends.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    assert.equal(weak.filter((ref) => ref.deref() !== undefined).length, 0);
  });

  test('after a probe whose layout differs (a failure, then a reply with other keys), samples equal a fresh mapper’s', () => {
    const mapper = new SampleMapper(IDENTITY);
    const leader = readFixture('mntr-3.8.0-leader.txt');
    const probes: [Replies, readonly Failure[]][] = [
      [{ mntr: parseMntr(FOLLOWER) }, []],
      [{}, [['mntr', 'timeout']]],
      [{ mntr: parseMntr(leader) }, []],
      [{ mntr: parseMntr(FOLLOWER) }, []],
      [{ mntr: parseMntr(FOLLOWER.replace(/^zk_watch_count\t\d+$/m, 'zk_watch_count\t77')) }, []],
    ];
    for (const [replies, failures] of probes) {
      const reused = mapper.toSamples(outcome(replies, failures), 0);
      const fresh = new SampleMapper(IDENTITY).toSamples(outcome(replies, failures), 0);
      assert.deepEqual(
        reused.map((sample) => [series(sample), sample.value, sample.metric.meta]),
        fresh.map((sample) => [series(sample), sample.value, sample.metric.meta]),
      );
    }
  });

  test('mappers of endpoints with the same series share their descriptors: an endpoint keeps little more than its attributes', () => {
    const ENDPOINTS = 1000;
    const mntr = new MntrParser();
    const replies = [mntr.parse(FOLLOWER), mntr.parse(FOLLOWER)];
    const before = liveHeapBytes();
    const mappers = Array.from({ length: ENDPOINTS }, (_, i) => {
      const mapper = new SampleMapper(Object.freeze({ zk_endpoint: `10.0.${i >> 8}.${i & 255}:2181` }));
      for (const reply of replies) mapper.toSamples(outcome({ mntr: reply }), 0);
      return mapper;
    });
    const perEndpoint = (liveHeapBytes() - before) / ENDPOINTS;
    const series = mappers[0]!.toSamples(outcome({ mntr: replies[0]! }), 0).length;
    assert.ok(series > 400, `${series} series`);
    // An array of references is 8 bytes a series: one array for the attributes, none for the descriptors (shared),
    // and a few KB of attribute objects (identity plus state, version, labels) and their caches.
    assert.ok(perEndpoint < series * 8 * 2.5, `${Math.round(perEndpoint)} bytes per endpoint for ${series} series`);
  });

  test('a mapper does not keep its replies alive (parsed keys are slices of the reply)', () => {
    const MAPPERS = 20;
    const PADDING = 1_000_000;
    const before = liveHeapBytes();
    // Each reply is the follower's plus an odd line of its own, 1 MB: kept, it would show in the heap.
    const mappers = Array.from({ length: MAPPERS }, (_, i) => {
      const mapper = new SampleMapper(IDENTITY);
      for (let probe = 0; probe < 2; probe++) mapper.toSamples(outcome({ mntr: parseMntr(`${FOLLOWER}# ${i}.${probe} ${'x'.repeat(PADDING)}\n`) }), 0);
      return mapper;
    });
    const retained = liveHeapBytes() - before;
    assert.equal(mappers.length, MAPPERS);
    assert.ok(retained < (MAPPERS * PADDING) / 4, `${MAPPERS} mappers retain ${retained} bytes`);
  });
});
