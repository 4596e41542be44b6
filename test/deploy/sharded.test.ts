/** deploy/kubernetes/sharded: the StatefulSet's shards together probe every ensemble exactly once. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { builtinRegistry } from '../../src/components.js';
import { formatProblem } from '../../src/core/config/errors.js';
import { loadConfig } from '../../src/core/config/resolve.js';
import { silentLogger } from '../../src/core/logger.js';
import { targetRelabeler } from '../../src/internal/targets/relabel-targets.js';
import type { Target } from '../../src/internal/targets/target.js';
import type { ZookeeperReceiverConfig } from '../../src/receivers/zookeeper/config.js';
import { repoRoot } from '../harness/fixtures.js';

const DIR = path.join(repoRoot(), 'deploy/kubernetes/sharded');
const documents = (file: string) => parseAllDocuments(readFileSync(path.join(DIR, file), 'utf8')) as ReturnType<typeof parseAllDocuments> & unknown[];
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef: { fieldPath: string } };
}
interface Manifest {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec: { replicas: number; template: { spec: { containers: { env: EnvVar[] }[] } } };
}
const manifests = ['configmap.yaml', 'statefulset.yaml'].flatMap((file) => (documents(file) as { toJS(): Manifest }[]).map((document) => document.toJS()));
const temp = mkdtempSync(path.join(os.tmpdir(), 'zkotel-sharded-'));
after(() => rmSync(temp, { recursive: true, force: true }));

describe('deploy/kubernetes/sharded', () => {
  const statefulSet = manifests.find((manifest) => manifest.kind === 'StatefulSet')!;
  const container = statefulSet.spec.template.spec.containers[0];
  const env = Object.fromEntries(container!.env.map((entry) => [entry.name, entry]));

  it('takes the shard from the pod ordinal and SHARDS equal to replicas', () => {
    assert.equal(env.SHARD!.valueFrom!.fieldRef.fieldPath, "metadata.labels['apps.kubernetes.io/pod-index']");
    assert.equal(Number(env.SHARDS!.value), statefulSet.spec.replicas);
    const kustomization = documents('kustomization.yaml')[0]!.toJS() as { resources: string[] };
    assert.deepEqual(kustomization.resources.sort(), ['configmap.yaml', 'statefulset.yaml']);
  });

  it("every shard's config loads, and the shards together keep each ensemble exactly once, whole", () => {
    const configMap = manifests.find((manifest) => manifest.metadata.name === 'zkotel-sharded-config')!;
    const file = path.join(temp, 'config.yaml');
    writeFileSync(file, configMap.data!['config.yaml']!);
    const shards = Number(env.SHARDS!.value);
    const targets: Target[] = [];
    for (let cluster = 0; cluster < 40; cluster++)
      for (let server = 0; server < 3; server++)
        targets.push({ endpoint: `zk-${cluster}-${server}:2181`, attributes: { 'zk.cluster': `ensemble-${cluster}` } });
    const shardOf = new Map<string, number>();
    for (let shard = 0; shard < shards; shard++) {
      const resolution = loadConfig([file], builtinRegistry(), { SHARD: String(shard), SHARDS: String(shards) });
      assert.deepEqual(resolution.problems.map(formatProblem), []);
      const receiver = resolution.config!.receivers.get('zookeeper')!.config as ZookeeperReceiverConfig;
      const kept = targetRelabeler(receiver.relabel_configs!, receiver.cluster, silentLogger)(targets);
      assert.ok(kept.length > 0, `shard ${shard} keeps some ensembles`);
      for (const target of kept) {
        const cluster = target.attributes['zk.cluster']!;
        assert.ok(!shardOf.has(target.endpoint), `${target.endpoint} in one shard`);
        shardOf.set(target.endpoint, shard);
        assert.equal(shardOf.get(`zk-${cluster.split('-')[1]}-0:2181`), shard, `${cluster} whole on shard ${shard}`);
      }
    }
    assert.equal(shardOf.size, targets.length);
  });
});
