import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startEnsemble, type Ensemble } from '../harness/ensemble.js';
import { select, type Series } from '../harness/exposition.js';
import { pollUntil } from '../harness/process.js';
import { startAgent, type RunningAgent } from './agent.js';

let ensemble: Ensemble;
let agent: RunningAgent;
before(async () => {
  ensemble = await startEnsemble({ size: 1 });
  await ensemble.waitReady();
  agent = await startAgent(`
receivers:
  zookeeper: { endpoint: ${ensemble.nodes[0]!.endpoint}, collection_interval: 1h, cluster: stages }
processors:
  relabel/tidy:
    rules:
      - source_labels: [__name__]
        regex: zookeeper_latency_(.*)
        target_label: __name__
        replacement: zk_latency_\${1}_ms
      - source_labels: [__name__]
        regex: zookeeper_.*_p999
        action: drop
      - action: labelmap
        regex: zk_(endpoint|cluster)
        replacement: server_\${1}
      - action: labeldrop
        regex: zk_(endpoint|cluster)
  filter/no-info:
    metrics:
      exclude: { match_type: regexp, metric_names: ['zookeeper\\..*\\.info'] }
exporters:
  prometheus: { endpoint: \${METRICS_ENDPOINT} }
service:
  pipelines:
    metrics: { receivers: [zookeeper], processors: [relabel/tidy, filter/no-info], exporters: [prometheus] }
`);
});
after(async () => {
  await agent?.stop();
  await ensemble?.stop();
});

it('relabel rename, drop and labelmap, then filter, show in the scrape of a real ZooKeeper', async () => {
  const endpoint = ensemble.nodes[0]!.endpoint;
  const series: Series[] = await pollUntil(
    async () => {
      const { series } = await agent.scrape();
      return select(series, 'zookeeper_up').length > 0 ? series : undefined;
    },
    { timeoutMs: 10_000, what: 'a first probe' },
  );
  const labels = { server_endpoint: endpoint, server_cluster: 'stages' };
  for (const stat of ['avg', 'min', 'max']) {
    assert.deepEqual(
      select(series, `zk_latency_${stat}_ms`).map((s) => s.labels),
      [labels],
      `renamed zookeeper_latency_${stat}`,
    );
    assert.deepEqual(select(series, `zookeeper_latency_${stat}`), [], 'the old name is gone');
  }
  const pipelineSeries = series.filter((s) => !s.name.startsWith('zkotel_') && s.name !== 'target_info');
  assert.deepEqual(
    pipelineSeries.filter((s) => s.name.endsWith('_p999')).map((s) => s.name),
    [],
    'p999 dropped',
  );
  assert.ok(
    pipelineSeries.some((s) => s.name.endsWith('_p99')),
    'p99 kept',
  );
  assert.ok(
    pipelineSeries.every((s) => s.labels.server_endpoint === endpoint && s.labels.zk_endpoint === undefined),
    'labelmap + labeldrop on every series',
  );
  assert.deepEqual(
    pipelineSeries.filter((s) => s.name.endsWith('_info') && s.name !== 'zookeeper_build_info').map((s) => s.name),
    [],
  );
  // Each processor's own counters are on /metrics.
  const dropped = select(series, 'zkotel_processor_samples_dropped_total', { processor: 'relabel/tidy', pipeline: 'metrics' });
  assert.ok((dropped[0]?.value ?? 0) > 0, 'relabel/tidy counted the p999 series it dropped');
  assert.equal(select(series, 'zkotel_processor_samples_in_total', { processor: 'filter/no-info' }).length, 1);
});
