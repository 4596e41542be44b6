import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mntrFixtureNames, readMntrFixture } from '../../harness/fixtures.js';

import { COUNTER_KEYS, OTEL_MNTR_METRICS, STRING_KEYS, SUMMARY_FAMILIES, SUMMARY_SET_FAMILIES } from '../../../src/receivers/zookeeper/catalog.js';

const FIXTURES = mntrFixtureNames();

interface Line {
  readonly key: string; // without zk_
  readonly value: string;
}

/** Strict `zk_<key>\t<value>` parsing; throws on anything else. */
function parseFixture(name: string): Line[] {
  const text = readMntrFixture(name);
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line, index) => {
    const where = `${name}:${index + 1}: ${JSON.stringify(line)}`;
    const parts = line.split('\t');
    assert.equal(parts.length, 2, `expected exactly one TAB in ${where}`);
    const [rawKey, value] = parts as [string, string];
    assert.match(rawKey, /^zk_[a-z0-9_]+$/, `bad key in ${where}`);
    assert.ok(value.length > 0, `empty value in ${where}`);
    return { key: rawKey.slice(3), value };
  });
}

const STATS = ['avg', 'min', 'max', 'cnt', 'sum', 'p50', 'p95', 'p99', 'p999'] as const;
const SUMMARY_KEY = /^(avg|min|max|cnt|sum|p50|p95|p99|p999)_(.+)$/;
const JAVA_NUMBER = /^-?\d+(\.\d+)?(E-?\d+)?$/;

/** The family (and label) of a summary key's `<rest>`, exact families first (see the catalog's parsing pitfalls). */
function resolveFamily(rest: string): { family: string; label?: string } | undefined {
  if (SUMMARY_FAMILIES.has(rest)) return { family: rest };
  for (const family of Object.keys(SUMMARY_SET_FAMILIES)) {
    if (rest.endsWith(`_${family}`) && rest.length > family.length + 1) return { family, label: rest.slice(0, -family.length - 1) };
  }
  return undefined;
}

const isSorted = (items: readonly string[]) => items.every((item, i) => i === 0 || items[i - 1]! < item);

describe('zookeeper catalog: internal consistency', () => {
  test('no key is both a counter and a string key', () => {
    assert.deepEqual(
      [...COUNTER_KEYS].filter((key) => STRING_KEYS.has(key)),
      [],
    );
  });

  test('every OTel metric with kind counter is in COUNTER_KEYS, and no OTel gauge is', () => {
    for (const [key, spec] of Object.entries(OTEL_MNTR_METRICS)) {
      assert.equal(COUNTER_KEYS.has(key), spec.kind === 'counter', `${key} -> ${spec.name} (${spec.kind})`);
    }
  });

  test('OTel keys are neither string keys nor summary families', () => {
    for (const key of Object.keys(OTEL_MNTR_METRICS)) {
      assert.ok(!STRING_KEYS.has(key), key);
      assert.ok(!SUMMARY_FAMILIES.has(key), key);
    }
  });

  test('OTel metrics that share a name share their descriptor and differ by attributes', () => {
    const byName = new Map<string, Array<[string, (typeof OTEL_MNTR_METRICS)[string]]>>();
    for (const entry of Object.entries(OTEL_MNTR_METRICS)) {
      const list = byName.get(entry[1].name) ?? [];
      list.push(entry);
      byName.set(entry[1].name, list);
    }
    for (const [name, entries] of byName) {
      if (entries.length === 1) continue;
      const [first] = entries as [[string, (typeof OTEL_MNTR_METRICS)[string]]];
      const seen = new Set<string>();
      for (const [key, spec] of entries) {
        assert.equal(spec.kind, first[1].kind, `${name}: ${key}`);
        assert.equal(spec.valueType, first[1].valueType, `${name}: ${key}`);
        assert.equal(spec.unit, first[1].unit, `${name}: ${key}`);
        assert.equal(spec.description, first[1].description, `${name}: ${key}`);
        assert.ok(spec.attributes, `${name}: ${key} needs attributes to tell it apart`);
        const attrs = JSON.stringify(spec.attributes);
        assert.ok(!seen.has(attrs), `${name}: duplicate attributes ${attrs}`);
        seen.add(attrs);
      }
    }
  });

  test('OTel metric names, units and kinds match the receiver metadata', () => {
    const summary = Object.fromEntries(
      Object.entries(OTEL_MNTR_METRICS).map(([key, s]) => [
        key,
        `${s.name} ${s.kind} ${s.valueType} ${s.unit}${s.attributes ? ' ' + JSON.stringify(s.attributes) : ''}`,
      ]),
    );
    assert.deepEqual(summary, {
      approximate_data_size: 'zookeeper.data_tree.size gauge int By',
      avg_latency: 'zookeeper.latency.avg gauge double ms',
      ephemerals_count: 'zookeeper.data_tree.ephemeral_node.count gauge int {nodes}',
      fsync_threshold_exceed_count: 'zookeeper.fsync.exceeded_threshold.count counter int {events}',
      max_file_descriptor_count: 'zookeeper.file_descriptor.limit gauge int {file_descriptors}',
      max_latency: 'zookeeper.latency.max gauge double ms',
      min_latency: 'zookeeper.latency.min gauge double ms',
      num_alive_connections: 'zookeeper.connection.active gauge int {connections}',
      open_file_descriptor_count: 'zookeeper.file_descriptor.open gauge int {file_descriptors}',
      outstanding_requests: 'zookeeper.request.active gauge int {requests}',
      packets_received: 'zookeeper.packet.count counter int {packets} {"direction":"received"}',
      packets_sent: 'zookeeper.packet.count counter int {packets} {"direction":"sent"}',
      pending_syncs: 'zookeeper.sync.pending gauge int {syncs}',
      synced_followers: 'zookeeper.follower.count gauge int {followers} {"state":"synced"}',
      watch_count: 'zookeeper.watch.count gauge int {watches}',
      znode_count: 'zookeeper.znode.count gauge int {znodes}',
    });
  });

  test('set families are summary families with a known label', () => {
    for (const [family, label] of Object.entries(SUMMARY_SET_FAMILIES)) {
      assert.ok(SUMMARY_FAMILIES.has(family), family);
      assert.ok(label === 'server_id' || label === 'namespace', `${family}: ${label}`);
    }
  });

  test('summary families are disjoint from counters and string keys', () => {
    for (const family of SUMMARY_FAMILIES) {
      assert.ok(!COUNTER_KEYS.has(family), family);
      assert.ok(!STRING_KEYS.has(family), family);
    }
  });

  test('no summary family makes a plain gauge look like a summary', () => {
    // zk_{avg,min,max}_latency, zk_max_file_descriptor_count, zk_{min,max}_proposal_size, zk_{min,max}_client_response_size
    for (const rest of ['latency', 'file_descriptor_count', 'proposal_size', 'client_response_size']) {
      assert.equal(resolveFamily(rest), undefined, rest);
    }
  });

  test('the only plain family that ends in a set family suffix is quorum_ack_latency', () => {
    const collisions: string[] = [];
    for (const family of SUMMARY_FAMILIES) {
      if (family in SUMMARY_SET_FAMILIES) continue;
      for (const setFamily of Object.keys(SUMMARY_SET_FAMILIES)) {
        if (family.endsWith(`_${setFamily}`)) collisions.push(`${family} ~ ${setFamily}`);
      }
    }
    assert.deepEqual(collisions, ['quorum_ack_latency ~ ack_latency']);
  });

  test('entries are sorted alphabetically', () => {
    assert.ok(isSorted(Object.keys(OTEL_MNTR_METRICS)), 'OTEL_MNTR_METRICS');
    assert.ok(isSorted([...COUNTER_KEYS]), 'COUNTER_KEYS');
    assert.ok(isSorted([...SUMMARY_FAMILIES]), 'SUMMARY_FAMILIES');
    assert.ok(isSorted(Object.keys(SUMMARY_SET_FAMILIES)), 'SUMMARY_SET_FAMILIES');
    assert.ok(isSorted([...STRING_KEYS]), 'STRING_KEYS');
  });

  test('catalog data is frozen', () => {
    assert.ok(Object.isFrozen(OTEL_MNTR_METRICS));
    assert.ok(Object.isFrozen(SUMMARY_SET_FAMILIES));
    for (const spec of Object.values(OTEL_MNTR_METRICS)) assert.ok(Object.isFrozen(spec), spec.name);
  });
});

describe('zookeeper catalog: mntr fixtures', () => {
  test('fixtures exist for several versions', () => {
    assert.ok(FIXTURES.length >= 5, `only ${FIXTURES.join(', ')}`);
  });

  for (const name of FIXTURES) {
    describe(name, () => {
      const lines = parseFixture(name);
      const values = new Map(lines.map((line) => [line.key, line.value] as const));

      test('parses as zk_<key>\\t<value> lines without duplicate keys', () => {
        assert.ok(lines.length > 0);
        assert.equal(values.size, lines.length, 'duplicate keys');
      });

      test('reports version and server_state; only string keys hold non-numbers', () => {
        assert.ok(values.has('version'));
        assert.ok(values.has('server_state'));
        for (const { key, value } of lines) {
          if (STRING_KEYS.has(key)) continue;
          assert.match(value, JAVA_NUMBER, `zk_${key}\t${value}`);
        }
      });

      test('counters are integers', () => {
        for (const { key, value } of lines) {
          if (COUNTER_KEYS.has(key)) assert.match(value, /^\d+$/, `zk_${key}\t${value}`);
        }
      });

      test('every summary key belongs to a known family; stat comes before the family', (t) => {
        const unknown: string[] = [];
        for (const { key } of lines) {
          const match = SUMMARY_KEY.exec(key);
          if (!match) {
            assert.doesNotMatch(key, /_(p50|p95|p99|p999)$/, `zk_${key}: quantile after the family`);
            continue;
          }
          const rest = match[2]!;
          if (!values.has(`cnt_${rest}`)) continue; // zk_avg_latency, zk_max_file_descriptor_count, ...
          const resolved = resolveFamily(rest);
          if (!resolved) unknown.push(`zk_${key}`);
          // Each summary prints avg/min/max/cnt/sum; percentile families add p50/p95/p99/p999 together.
          const present = STATS.filter((stat) => values.has(`${stat}_${rest}`));
          assert.ok(present.length === 5 || present.length === 9, `${rest}: ${present.join(',')}`);
        }
        assert.deepEqual(unknown, []);
        const unclassified = lines
          .map(({ key }) => key)
          .filter((key) => !(key in OTEL_MNTR_METRICS) && !COUNTER_KEYS.has(key) && !STRING_KEYS.has(key))
          .filter((key) => {
            const match = SUMMARY_KEY.exec(key);
            return !(match && values.has(`cnt_${match[2]!}`) && resolveFamily(match[2]!));
          });
        t.diagnostic(`gauges by default (in no set): ${unclassified.join(' ')}`);
      });
    });
  }

  test('3.6+ percentile keys are zk_pNN_<family>, e.g. zk_p99_readlatency', () => {
    const withPercentiles = FIXTURES.filter((name) => parseFixture(name).some(({ key }) => key === 'p99_readlatency'));
    assert.ok(withPercentiles.length >= 2, `fixtures with zk_p99_readlatency: ${withPercentiles.join(', ')}`);
  });

  test('every OTel key appears in some fixture', () => {
    const seen = new Set(FIXTURES.flatMap((name) => parseFixture(name).map(({ key }) => key)));
    assert.deepEqual(
      Object.keys(OTEL_MNTR_METRICS).filter((key) => !seen.has(key)),
      [],
    );
  });
});
