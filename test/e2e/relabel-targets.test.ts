/** relabel_configs through the running agent: what /metrics shows for relabeled, dropped and re-clustered targets. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { select } from '../harness/exposition.js';
import { startFakeZk } from '../harness/fake-zk.js';
import { pollUntil } from '../harness/process.js';
import { prometheusPipeline, startAgent } from './agent.js';

describe('relabel_configs in a running agent', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-relabel-e2e-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('drops targets, sets labels every series carries, and takes the cluster from file_sd', async () => {
    const fakes = await Promise.all([0, 1, 2].map(() => startFakeZk({ kind: 'reply', replies: { ruok: 'imok' } })));
    const [kept, dropped, other] = fakes.map((fake) => fake.endpoint) as [string, string, string];
    const file = path.join(dir, 'targets.yaml');
    writeFileSync(
      file,
      `- targets: [${kept}, ${dropped}]\n  labels: {zk_cluster: orders, tier: gold}\n- targets: [${other}]\n  labels: {zk_cluster: billing, tier: bronze}\n`,
    );
    const agent = await startAgent(
      prometheusPipeline(
        [
          '  zookeeper:',
          '    commands: [ruok]',
          '    collection_interval: 200ms',
          `    discovery: { file_sd: { files: ["${file}"] } }`,
          '    relabel_configs:',
          `      - { source_labels: [__address__], regex: "${dropped.replace(/\./g, '\\\\.')}", action: drop }`,
          '      - { source_labels: [__meta_zookeeper_source], target_label: discovered_by }',
          '      - { regex: tier, action: labeldrop }',
        ].join('\n'),
      ),
    );
    try {
      const series = await pollUntil(
        async () => {
          const { series: now } = await agent.scrape();
          const up = select(now, 'zookeeper_up');
          return up.length === 2 ? now : undefined;
        },
        { timeoutMs: 20_000, what: 'two targets probed' },
      );
      const up = Object.fromEntries(select(series, 'zookeeper_up').map((s) => [s.labels.zk_endpoint, s.labels]));
      assert.deepEqual(Object.keys(up).sort(), [kept, other].sort(), 'the dropped target is not probed');
      assert.equal(up[kept]!.zk_cluster, 'orders');
      assert.equal(up[other]!.zk_cluster, 'billing');
      assert.equal(up[kept]!.discovered_by, 'file_sd');
      assert.equal(up[kept]!.tier, undefined, 'labeldrop removed the file label');
      assert.ok(!Object.keys(up[kept]!).some((name) => name.startsWith('__')), 'no __ label exported');
      assert.equal(dropped in up, false);
      assert.equal(fakes[1]!.connections, 0, 'the dropped target was never contacted');
    } finally {
      await agent.stop();
      await Promise.all(fakes.map((fake) => fake.close()));
    }
  });
});
