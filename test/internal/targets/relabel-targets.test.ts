import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { targetRelabeler } from '../../../src/internal/targets/relabel-targets.js';
import { zookeeperReceiverConfigSchema } from '../../../src/receivers/zookeeper/config.js';
import { discoverTargets } from '../../../src/internal/targets/targets.js';
import type { Target } from '../../../src/internal/targets/target.js';
import type { RelabelConfig } from '../../../src/internal/relabel/relabel.js';
import { ListRecorder, LogRecorder } from './recorder.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-relabel-targets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const member = (endpoint: string, id: string, role: string, extra: Record<string, string> = {}): Target => ({
  endpoint,
  attributes: { 'zk.server.id': id, 'zk.member.role': role, ...extra },
  meta: { __meta_zookeeper_source: 'ensemble', __meta_zookeeper_member_role: role, __meta_zookeeper_member_id: id },
});

/** Prometheus's hashmod, computed here from its definition: MD5, bytes 8..15 big-endian, modulo. */
function prometheusShard(value: string, modulus: number): number {
  return Number(createHash('md5').update(value).digest().readBigUInt64BE(8) % BigInt(modulus));
}

describe('targetRelabeler', () => {
  const logs = new LogRecorder();
  const run = (rules: RelabelConfig[], targets: Target[], cluster?: string) => targetRelabeler(rules, cluster, logs.logger)(targets);

  const table: { name: string; rules: RelabelConfig[]; cluster?: string; input: Target[]; expected: Target[] }[] = [
    {
      name: 'drop skips observers by their discovered role',
      rules: [{ source_labels: ['__meta_zookeeper_member_role'], regex: 'observer', action: 'drop' }],
      input: [member('a:1', '1', 'participant'), member('b:1', '2', 'observer')],
      expected: [{ endpoint: 'a:1', attributes: { 'zk.member.role': 'participant', 'zk.server.id': '1' } }],
    },
    {
      name: 'keep keeps only the matching source',
      rules: [{ source_labels: ['__meta_zookeeper_source'], regex: 'static', action: 'keep' }],
      input: [
        { endpoint: 'a:1', attributes: {}, meta: { __meta_zookeeper_source: 'static' } },
        { endpoint: 'b:1', attributes: {}, meta: { __meta_zookeeper_source: 'dns', __meta_zookeeper_dns_name: 'zk.example' } },
      ],
      expected: [{ endpoint: 'a:1', attributes: {} }],
    },
    {
      name: 'replace sets a label every series carries; __ labels are dropped after the rules',
      rules: [
        { source_labels: ['__meta_zookeeper_dns_name'], regex: '[^.]+\\.([^.]+)\\..*', target_label: 'region' },
        { target_label: '__scratch', replacement: 'x' },
      ],
      input: [{ endpoint: 'b:1', attributes: {}, meta: { __meta_zookeeper_source: 'dns', __meta_zookeeper_dns_name: 'zk.eu-west-1.example' } }],
      expected: [{ endpoint: 'b:1', attributes: { region: 'eu-west-1' } }],
    },
    {
      name: 'zk_cluster defaults to the receiver cluster and may be set from discovered labels',
      rules: [{ source_labels: ['__address__'], regex: '(zk-[a-z]+)-\\d+:.*', target_label: 'zk_cluster' }],
      cluster: 'fallback',
      input: [
        { endpoint: 'zk-orders-1:2181', attributes: {} },
        { endpoint: 'other:2181', attributes: {} },
      ],
      expected: [
        { endpoint: 'zk-orders-1:2181', attributes: { 'zk.cluster': 'zk-orders' } },
        { endpoint: 'other:2181', attributes: { 'zk.cluster': 'fallback' } },
      ],
    },
    {
      name: '__address__ rewritten moves the probe (e.g. to the secure port)',
      rules: [{ source_labels: ['__address__'], regex: '(.+):2181', target_label: '__address__', replacement: '$1:2281' }],
      input: [{ endpoint: 'zk1:2181', attributes: { rack: 'r1' } }],
      expected: [{ endpoint: 'zk1:2281', attributes: { rack: 'r1' } }],
    },
    {
      name: 'an __address__ that is no host:port drops the target',
      rules: [{ target_label: '__address__', replacement: 'no-port' }],
      input: [{ endpoint: 'zk1:2181', attributes: {} }],
      expected: [],
    },
    {
      name: 'labeldrop of a discovered attribute removes it; other attributes keep their keys',
      rules: [{ regex: 'zk_server_id', action: 'labeldrop' }],
      input: [member('a:1', '1', 'participant')],
      expected: [{ endpoint: 'a:1', attributes: { 'zk.member.role': 'participant' } }],
    },
    {
      name: 'a label that clashes with one zkotel sets is dropped',
      rules: [
        { target_label: 'zk_endpoint', replacement: 'spoof' },
        { target_label: 'env', replacement: 'prod' },
      ],
      input: [{ endpoint: 'a:1', attributes: {} }],
      expected: [{ endpoint: 'a:1', attributes: { env: 'prod' } }],
    },
    {
      name: 'two targets relabeled to one address are probed once',
      rules: [{ target_label: '__address__', replacement: 'same:1' }],
      input: [
        { endpoint: 'a:1', attributes: {} },
        { endpoint: 'b:1', attributes: {} },
      ],
      expected: [{ endpoint: 'same:1', attributes: {} }],
    },
  ];
  for (const row of table) {
    it(row.name, () => assert.deepEqual(run(row.rules, row.input, row.cluster), row.expected));
  }

  it('logs a target dropped for a bad __address__ and a reserved label once each', () => {
    const events = logs.matching(/relabel_configs/);
    assert.ok(events.some((event) => /__address__ is no host:port/.test(event.msg)));
    assert.ok(events.some((event) => /attribute zk\.endpoint/.test(event.msg)));
  });

  it('hashmod + keep shards whole clusters across agents exactly as Prometheus does', () => {
    const shards = 3;
    const targets: Target[] = [];
    for (let cluster = 0; cluster < 30; cluster++) {
      for (let server = 1; server <= 3; server++) targets.push({ endpoint: `zk${cluster}-${server}:2181`, attributes: { 'zk.cluster': `cluster-${cluster}` } });
    }
    const owner = new Map<string, number>();
    for (let shard = 0; shard < shards; shard++) {
      const kept = run(
        [
          { source_labels: ['zk_cluster'], modulus: shards, target_label: '__tmp_shard', action: 'hashmod' },
          { source_labels: ['__tmp_shard'], regex: String(shard), action: 'keep' },
        ],
        targets,
      );
      for (const target of kept) {
        assert.equal(owner.has(target.endpoint), false, `${target.endpoint} kept by two shards`);
        owner.set(target.endpoint, shard);
        assert.equal(shard, prometheusShard(target.attributes['zk.cluster']!, shards), `${target.endpoint} in Prometheus's shard`);
        assert.equal(Object.hasOwn(target.attributes, '__tmp_shard'), false);
      }
    }
    assert.equal(owner.size, targets.length, 'every target kept by exactly one shard');
  });
});

describe('relabel_configs in a receiver config', () => {
  it('are validated as the relabel processor validates them, at the rule and field', () => {
    const parsed = zookeeperReceiverConfigSchema.safeParse({ endpoint: 'a:1', relabel_configs: [{ action: 'hashmod', target_label: 'x' }] });
    assert.equal(parsed.success, false);
    const issue = parsed.error!.issues[0]!;
    assert.deepEqual(issue.path, ['relabel_configs', 0]);
    assert.match(issue.message, /hashmod requires non-zero modulus/);
  });

  it('apply to file_sd targets, whose groups may set zk_cluster', async () => {
    const file = path.join(dir, 'clusters.yaml');
    writeFileSync(file, '- targets: [a:1, b:1]\n  labels: {zk_cluster: orders, __meta_tier: gold}\n- targets: [c:1]\n  labels: {zk_cluster: billing}\n');
    const recorder = new ListRecorder(
      discoverTargets({
        staticEndpoints: [],
        config: { ensemble: false, file_sd: { files: [file], refresh_interval: 3_600_000 } },
        logger: new LogRecorder().logger,
        relabelConfigs: [
          { source_labels: ['__meta_tier'], target_label: 'tier' },
          { source_labels: ['__meta_filepath'], regex: '.*/(.*)\\.yaml', target_label: 'sd_file' },
          { source_labels: ['zk_cluster'], regex: 'billing', action: 'drop' },
        ],
      }),
    );
    try {
      const list = await recorder.untilEndpoints(['a:1', 'b:1']);
      assert.deepEqual(list, [
        { endpoint: 'a:1', attributes: { sd_file: 'clusters', tier: 'gold', 'zk.cluster': 'orders' } },
        { endpoint: 'b:1', attributes: { sd_file: 'clusters', tier: 'gold', 'zk.cluster': 'orders' } },
      ]);
    } finally {
      recorder.stop();
    }
  });
});
