import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs/minimal.js';
import snappy from 'snappy';
import { describeMetric, type Batch } from '../../../src/core/batch.js';
import { prometheusRemoteWriteConfigSchema } from '../../../src/exporters/prometheusremotewrite/config.js';
import { formatLe, RemoteWriteConverter } from '../../../src/exporters/prometheusremotewrite/convert.js';
import { compressWriteRequest, type RemoteSeries } from '../../../src/exporters/prometheusremotewrite/encode.js';

const up = describeMetric('zookeeper.up', 'gauge', { valueType: 'int' });
const packets = describeMetric('zookeeper.packets.received', 'counter');
const latency = describeMetric('zkotel.probe.duration', 'histogram', { unit: 's' });

const batch = (source: string, timeMs: number, samples: Batch['samples']): Batch => ({ source, timeMs, startTimeMs: 0, samples });
const labelsOf = (series: RemoteSeries) => Object.fromEntries(series.labels);

/** A WriteRequest decoded by protobufjs's reader, field by field as prompb declares them. */
function decode(body: Buffer): { labels: Record<string, string>; samples: { bits: string; value: number; timestamp: number }[] }[] {
  const reader = protobuf.Reader.create(snappy.uncompressSync(body) as Buffer);
  const out: ReturnType<typeof decode> = [];
  while (reader.pos < reader.len) {
    assert.equal(reader.uint32(), (1 << 3) | 2);
    const end = reader.uint32() + reader.pos;
    const series: ReturnType<typeof decode>[number] = { labels: {}, samples: [] };
    while (reader.pos < end) {
      const tag = reader.uint32();
      const inner = reader.uint32() + reader.pos;
      if (tag === ((1 << 3) | 2)) {
        assert.equal(reader.uint32(), 10);
        const name = reader.string();
        assert.equal(reader.uint32(), 18);
        series.labels[name] = reader.string();
      } else {
        assert.equal(tag, (2 << 3) | 2);
        assert.equal(reader.uint32(), 9);
        const start = reader.pos;
        const value = reader.double();
        const bits = Buffer.from(reader.buf.subarray(start, start + 8))
          .readBigUInt64LE()
          .toString(16);
        assert.equal(reader.uint32(), 16);
        series.samples.push({ bits, value, timestamp: Number(reader.int64()) });
      }
      assert.equal(reader.pos, inner);
    }
    out.push(series);
  }
  return out;
}

describe('RemoteWriteConverter', () => {
  it('names, labels, external labels and histogram buckets as Prometheus shows them', () => {
    const converter = new RemoteWriteConverter({ cloud: 'aws', region: 'eu-west-1', zk_cluster: 'ignored' }, undefined);
    const { series, samples } = converter.convert(
      [
        batch('r|a:1', 1000, [
          { metric: up, attributes: { 'zk.endpoint': 'a:1', 'zk.cluster': 'orders', __mntr_key: 'x' }, value: 1 },
          { metric: packets, attributes: { 'zk.endpoint': 'a:1' }, value: 42 },
          { metric: latency, attributes: { 'zk.endpoint': 'a:1' }, value: 3, histogram: { boundaries: [0.001, 1e6], counts: [1, 1, 1], sum: 2.5, count: 3 } },
        ]),
      ],
      1000,
    );
    assert.equal(samples, series.length);
    assert.deepEqual(series.map(labelsOf), [
      { __name__: 'zookeeper_up', cloud: 'aws', region: 'eu-west-1', zk_cluster: 'orders', zk_endpoint: 'a:1' },
      { __name__: 'zookeeper_packets_received_total', cloud: 'aws', region: 'eu-west-1', zk_cluster: 'ignored', zk_endpoint: 'a:1' },
      { __name__: 'zkotel_probe_duration_bucket', cloud: 'aws', le: '0.001', region: 'eu-west-1', zk_cluster: 'ignored', zk_endpoint: 'a:1' },
      { __name__: 'zkotel_probe_duration_bucket', cloud: 'aws', le: '1e+06', region: 'eu-west-1', zk_cluster: 'ignored', zk_endpoint: 'a:1' },
      { __name__: 'zkotel_probe_duration_bucket', cloud: 'aws', le: '+Inf', region: 'eu-west-1', zk_cluster: 'ignored', zk_endpoint: 'a:1' },
      { __name__: 'zkotel_probe_duration_sum', cloud: 'aws', region: 'eu-west-1', zk_cluster: 'ignored', zk_endpoint: 'a:1' },
      { __name__: 'zkotel_probe_duration_count', cloud: 'aws', region: 'eu-west-1', zk_cluster: 'ignored', zk_endpoint: 'a:1' },
    ]);
    assert.deepEqual(
      series.map((s) => s.samples[0]!.value),
      [1, 42, 1, 2, 3, 2.5, 3],
    );
    assert.ok(series.every((s) => s.samples[0]!.timestampMs === 1000));
  });

  it('sends a batch once, marks vanished series and gone sources stale', () => {
    const converter = new RemoteWriteConverter({}, 'zk');
    const first = [
      batch('a', 1000, [
        { metric: up, attributes: { e: '1' }, value: 1 },
        { metric: up, attributes: { e: '2' }, value: 1 },
      ]),
      batch('b', 1000, [{ metric: up, attributes: { e: '3' }, value: 0 }]),
    ];
    assert.equal(converter.convert(first, 1500).samples, 3);
    assert.equal(converter.convert(first, 2500).samples, 0, 'the same batches again: nothing new to send');
    const next = converter.convert([batch('a', 2000, [{ metric: up, attributes: { e: '1' }, value: 0 }])], 2600);
    assert.deepEqual(
      next.series.map((s) => [labelsOf(s).e, labelsOf(s).__name__, s.samples[0]!.value, s.samples[0]!.timestampMs]),
      [
        ['1', 'zk_zookeeper_up', 0, 2000],
        ['2', 'zk_zookeeper_up', undefined, 2000],
        ['3', 'zk_zookeeper_up', undefined, 2600],
      ],
    );
    assert.equal(converter.convert([], 2700).series.length, 1, 'the last source gone: its series marked stale once');
    assert.equal(converter.convert([], 2800).series.length, 0);
  });

  it('a series two sources produce goes once per request', () => {
    const converter = new RemoteWriteConverter({}, undefined);
    const result = converter.convert([batch('a', 1, [{ metric: up, attributes: {}, value: 1 }]), batch('b', 1, [{ metric: up, attributes: {}, value: 2 }])], 1);
    assert.equal(result.samples, 1);
    assert.equal(result.duplicates.length, 1);
  });
});

describe('remote write encoding', () => {
  it('is a snappy-compressed WriteRequest; the staleness marker keeps its exact NaN bits', () => {
    const body = compressWriteRequest([
      {
        labels: [
          ['__name__', 'up'],
          ['job', 'zk'],
        ],
        samples: [{ value: 1.5, timestampMs: 1_700_000_000_123 }],
      },
      {
        labels: [
          ['__name__', 'up'],
          ['job', 'gone'],
        ],
        samples: [{ value: undefined, timestampMs: 1_700_000_000_124 }],
      },
    ]);
    const decoded = decode(body);
    assert.deepEqual(
      decoded.map((s) => s.labels),
      [
        { __name__: 'up', job: 'zk' },
        { __name__: 'up', job: 'gone' },
      ],
    );
    assert.equal(decoded[0]!.samples[0]!.value, 1.5);
    assert.equal(decoded[0]!.samples[0]!.timestamp, 1_700_000_000_123);
    assert.equal(decoded[1]!.samples[0]!.bits, '7ff0000000000002');
  });

  it('formats le as Go does', () => {
    assert.deepEqual([0.0001, 0.00001, 0.25, 1, 100000, 1e6, 2.5e7].map(formatLe), ['0.0001', '1e-05', '0.25', '1', '100000', '1e+06', '2.5e+07']);
  });
});

describe('prometheusremotewrite config', () => {
  const problems = (input: unknown) => {
    const parsed = prometheusRemoteWriteConfigSchema.safeParse(input);
    return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };
  it('has defaults and refuses what cannot work', () => {
    assert.deepEqual(problems({}), []);
    assert.match(problems({ endpoint: 'ftp://x' }).join(), /only http/);
    assert.match(problems({ endpoint: 'http://u:p@x/' }).join(), /no credentials in the URL/);
    assert.match(problems({ headers: { 'Content-Encoding': 'gzip' } }).join(), /set by the exporter/);
    assert.match(problems({ external_labels: { __x: 'y' } }).join(), /reserved/);
    assert.match(problems({ external_labels: { 'bad-name': 'y' } }).join(), /label names/);
    assert.match(problems({ tls: { insecure_skip_verify: true } }).join(), /https/);
    assert.match(
      problems({ headers: { Authorization: 'x' }, basic_auth: { username: 'u', password_file: '/etc/hostname' } }).join(),
      /one of bearer_token_file/,
    );
  });
});
