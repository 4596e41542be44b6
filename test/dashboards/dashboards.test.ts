/**
 * The Grafana dashboards: the committed JSON and ConfigMap are what dashboards/ renders now, every dashboard has
 * what a user expects (uid, tags, variables, units, descriptions), and every PromQL expression of every panel and
 * variable, variables substituted, runs on a real Prometheus scraping zkotel over a real 3-node ensemble, with the
 * core panels returning data.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { CONFIGMAP_FILE, renderAll } from '../../dashboards/render.js';
import { startEnsemble, type Ensemble } from '../harness/ensemble.js';
import { repoRoot } from '../harness/fixtures.js';
import { freePort } from '../harness/ports.js';
import { registerTempDir, spawnLogged, type LoggedProcess } from '../harness/process.js';
import { startPrometheus, type PrometheusServer } from '../harness/prometheus.js';

interface Target {
  expr: string;
}
interface Panel {
  type: string;
  title: string;
  description?: string;
  datasource?: { uid: string };
  targets?: Target[];
  panels?: Panel[];
  fieldConfig?: { defaults?: { unit?: string } };
}
interface Dashboard {
  uid: string;
  title: string;
  tags: string[];
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string }[] };
}

const rendered = renderAll();
const dashboards = [...rendered].filter(([file]) => file.endsWith('.json')).map(([, text]) => JSON.parse(text) as Dashboard);
const panelsOf = (dashboard: Dashboard): Panel[] =>
  dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]).filter((panel) => panel.type !== 'row');

/** Panels that must show data on a healthy ensemble probed by zkotel with its default receivers. */
const CORE_PANELS: Record<string, string[]> = {
  'ZooKeeper / Overview': ['Quorum', 'Leader', 'Members up', 'Elections', 'Alerts firing', 'Client p99 latency', 'Throughput'],
  'ZooKeeper / Server': [
    'Request latency',
    'Packets',
    'Requests in flight',
    'Connections vs limit',
    'Znodes',
    'Watches',
    'Ephemeral znodes',
    'Data size',
    'File descriptors vs limit',
    'fsync time',
    'Snapshot time',
    'Proposals (leader)',
    'Followers and pending syncs (leader)',
    'Zxid',
    'Uptime',
    'Up and failure reasons',
  ],
  'ZooKeeper / Client experience': ['Operation latency distribution', 'Operation latency p50 and p99', 'Replication lag p99', 'Connect time'],
  'zkotel / Agent': ['Probe duration p50 and p99', 'Targets', 'Config reloads', 'Scrapes of /metrics', 'Process CPU and event loop', 'Process memory'],
};

describe('Grafana dashboards', () => {
  it('the committed JSON and ConfigMap are what dashboards/ renders now (run npm run dashboards after a change)', () => {
    assert.equal(rendered.size, 5);
    for (const [file, text] of rendered) {
      assert.equal(readFileSync(path.join(repoRoot(), file), 'utf8'), text, `${file} differs from the render: run npm run dashboards`);
    }
    const configMap = parse(rendered.get(CONFIGMAP_FILE)!) as { kind: string; metadata: { labels: Record<string, string> }; data: Record<string, string> };
    assert.equal(configMap.kind, 'ConfigMap');
    assert.equal(configMap.metadata.labels['grafana_dashboard'], '1');
    assert.deepEqual(Object.keys(configMap.data).sort(), dashboards.map((dashboard) => `${dashboard.uid}.json`).sort());
  });

  it('each dashboard has uid, title, tags, current schemaVersion, variables, and panels with units and descriptions', () => {
    assert.deepEqual(
      dashboards.map((dashboard) => dashboard.title),
      ['ZooKeeper / Overview', 'ZooKeeper / Server', 'ZooKeeper / Client experience', 'zkotel / Agent'],
    );
    for (const dashboard of dashboards) {
      assert.match(dashboard.uid, /^[a-z0-9-]{1,40}$/);
      assert.deepEqual(dashboard.tags, ['zookeeper', 'zkotel']);
      assert.equal(dashboard.schemaVersion, 42);
      const variables = dashboard.templating.list.map((variable) => variable.name);
      assert.equal(variables[0], 'datasource');
      if (dashboard.title.startsWith('ZooKeeper')) assert.ok(variables.includes('cluster'), `${dashboard.title}: cluster variable`);
      if (dashboard.title === 'ZooKeeper / Server' || dashboard.title === 'ZooKeeper / Client experience') assert.ok(variables.includes('endpoint'));
      for (const panel of panelsOf(dashboard)) {
        assert.ok(panel.description && panel.description.length > 20, `${dashboard.title} / ${panel.title}: description`);
        assert.ok(panel.fieldConfig?.defaults?.unit, `${dashboard.title} / ${panel.title}: unit`);
        assert.equal(panel.datasource?.uid, '${datasource}', `${dashboard.title} / ${panel.title}: the datasource variable`);
        assert.ok((panel.targets ?? []).length > 0, `${dashboard.title} / ${panel.title}: queries`);
      }
      assert.deepEqual(
        CORE_PANELS[dashboard.title]!.filter((title) => !panelsOf(dashboard).some((panel) => panel.title === title)),
        [],
      );
    }
    const overview = dashboards[0]!;
    assert.ok(
      overview.panels.some((panel) => panel.type === 'row' && (panel as { repeat?: string }).repeat === 'cluster'),
      'one row per cluster',
    );
  });

  describe('on a real Prometheus scraping zkotel over a real 3-node ensemble', { timeout: 240_000 }, () => {
    let ensemble: Ensemble;
    let agent: LoggedProcess;
    let prometheus: PrometheusServer;
    const CLUSTER = 'dash';

    before(async () => {
      ensemble = await startEnsemble({ size: 3 });
      await ensemble.waitReady();
      const endpoints = ensemble.nodes.map((node) => node.endpoint).join(', ');
      // The CLI, as users run it: process telemetry and the reload gauges are the CLI's.
      const metricsEndpoint = `127.0.0.1:${await freePort()}`;
      const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-dashboards-'));
      registerTempDir(dir);
      const config = path.join(dir, 'config.yaml');
      writeFileSync(
        config,
        `receivers:
  zookeeper: { endpoints: [${endpoints}], collection_interval: 1s, commands: [mntr, ruok, srvr, conf], cluster: ${CLUSTER} }
  zookeeper_session: { endpoints: [${endpoints}], collection_interval: 1s, cluster: ${CLUSTER} }
processors:
  filter: { metrics: { exclude: { match_type: strict, metric_names: [zookeeper.no_such_metric] } } }
exporters:
  prometheus: { endpoint: ${metricsEndpoint} }
service:
  pipelines:
    metrics: { receivers: [zookeeper, zookeeper_session], processors: [filter], exporters: [prometheus] }
`,
      );
      agent = spawnLogged(process.execPath, [path.join(repoRoot(), 'dist/src/cli.js'), '--config', config], { logFile: path.join(dir, 'agent.log') });
      prometheus = await startPrometheus({ scrapeTargets: [metricsEndpoint], scrapeInterval: '1s' });
      // Rates need two scrapes of a moved counter, and replication lag a few rounds of writes.
      await prometheus.waitFor(
        async () => (await prometheus.query('rate(zookeeper_client_replication_lag_count[1m]) > 0')).length > 0,
        90_000,
        'client replication lag rates',
      );
      await prometheus.waitFor(
        async () => (await prometheus.query('rate(zkotel_exporter_prometheus_scrapes_total[1m]) > 0')).length > 0,
        30_000,
        'scrape rates',
      );
    });
    after(async () => {
      await prometheus?.stop();
      await agent?.stop();
      await ensemble?.stop();
    });

    const substitute = (expr: string) =>
      expr
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('$__range', '5m')
        .replaceAll('$__interval', '15s')
        .replaceAll('$cluster', CLUSTER)
        .replaceAll('$endpoint', '.*');

    it('every variable query finds its values', async () => {
      for (const dashboard of dashboards) {
        for (const variable of dashboard.templating.list.filter((candidate) => candidate.type === 'query')) {
          const match = /^label_values\((.+), (\w+)\)$/.exec(variable.query ?? '');
          assert.ok(match, `${dashboard.title} $${variable.name}: label_values(expr, label)`);
          const values = new Set((await prometheus.query(substitute(match[1]!))).map((sample) => sample.metric[match[2]!]));
          const expected = variable.name === 'cluster' ? [CLUSTER] : ensemble.nodes.map((node) => node.endpoint).sort();
          assert.deepEqual([...values].sort(), expected, `${dashboard.title} $${variable.name}`);
        }
      }
    });

    it('every panel expression runs without error, and the core panels return data', async () => {
      const empty: string[] = [];
      for (const dashboard of dashboards) {
        for (const panel of panelsOf(dashboard)) {
          let samples = 0;
          for (const { expr } of panel.targets ?? []) {
            assert.doesNotMatch(substitute(expr), /\$/, `${dashboard.title} / ${panel.title}: every variable substituted`);
            const result = await prometheus
              .query(substitute(expr))
              .catch((error: unknown) => assert.fail(`${dashboard.title} / ${panel.title}: ${expr}: ${String(error)}`));
            samples += result.length;
          }
          if (CORE_PANELS[dashboard.title]!.includes(panel.title) && samples === 0) empty.push(`${dashboard.title} / ${panel.title}`);
        }
      }
      assert.deepEqual(empty, [], 'core panels without data');
    });

    it('the Overview reads a healthy ensemble as quorum ok with one leader and three of three members up', async () => {
      const overview = dashboards[0]!;
      const exprOf = (title: string) =>
        panelsOf(overview)
          .find((panel) => panel.title === title)!
          .targets!.map((target) => substitute(target.expr));
      const [quorum] = exprOf('Quorum');
      assert.equal((await prometheus.query(quorum!))[0]?.value?.[1], '0', 'quorum ok');
      const leaders = await prometheus.query(exprOf('Leader')[0]!);
      assert.equal(leaders.length, 1);
      assert.equal(leaders[0]!.metric['zk_endpoint'], (await ensemble.leader()).endpoint);
      const [up, total] = exprOf('Members up');
      assert.equal((await prometheus.query(up!))[0]?.value?.[1], '3');
      assert.equal((await prometheus.query(total!))[0]?.value?.[1], '3');

      const follower = ensemble.nodes.find((node) => node.endpoint !== leaders[0]!.metric['zk_endpoint'])!;
      await ensemble.stopNode(follower.id, 'SIGKILL');
      await prometheus.waitFor(async () => (await prometheus.query(quorum!))[0]?.value?.[1] === '1', 30_000, 'quorum at risk after a follower died');
    });
  });
});
