/**
 * The rules on real components: a 3-node ZooKeeper ensemble, zkotel, a real Prometheus loading the rendered rules
 * (with `for:` shortened through the renderer) and a real Alertmanager with the example config. Kill one follower:
 * ZooKeeperServerDown, with the reason. Kill a second: ZooKeeperQuorumLost, and the per-server alerts inhibited.
 * Restart both: resolved. Every rule of both namings evaluates without error on the real Prometheus.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { renderRuleFile, type RenderOptions } from '../../src/alerting/render.js';
import { startAlertmanager, type AlertmanagerAlert, type AlertmanagerServer } from '../harness/alertmanager.js';
import { startEnsemble, type Ensemble, type EnsembleNode } from '../harness/ensemble.js';
import { pollUntil } from '../harness/process.js';
import { startPrometheus, type PrometheusServer } from '../harness/prometheus.js';
import { promtoolLint } from '../harness/promtool.js';
import { startAgent, type RunningAgent } from '../e2e/agent.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const CLUSTER = 'alerting-e2e';
const WAIT_MS = 90_000;
/** The alerts this test drives wait 2 s instead of their production `for:`; every other alert keeps its own. */
const SHORT: RenderOptions['overrides'] = Object.fromEntries(
  ['ZooKeeperServerDown', 'ZooKeeperQuorumLost', 'ZooKeeperQuorumAtRisk', 'ZooKeeperNoLeader'].map((name) => [name, { for: '2s' }]),
);
const OUTAGE_ALERTS = new Set(['ZooKeeperServerDown', 'ZooKeeperQuorumLost', 'ZooKeeperQuorumAtRisk', 'ZooKeeperNoLeader', 'ZooKeeperMultipleLeaders']);

interface RuleStatus {
  name: string;
  type: 'alerting' | 'recording';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  query: string;
}

describe('alerting end to end: ZooKeeper, zkotel, Prometheus with the rendered rules, Alertmanager with the example config', { timeout: 600_000 }, () => {
  let ensemble: Ensemble;
  let agent: RunningAgent;
  let alertmanager: AlertmanagerServer;
  let prometheus: PrometheusServer;
  let followers: EnsembleNode[];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-alerting-e2e-'));

  const context = () => `\n--- alertmanager:\n${alertmanager.logTail(10)}\n--- prometheus:\n${prometheus.logTail(10)}`;
  async function waitForAlerts(what: string, predicate: (alerts: AlertmanagerAlert[]) => boolean): Promise<AlertmanagerAlert[]> {
    let last: AlertmanagerAlert[] = [];
    return pollUntil(
      async () => {
        last = (await alertmanager.alerts()).filter((alert) => alert.labels.zk_cluster === CLUSTER || alert.labels.alertname === 'ZooKeeperAgentDown');
        return predicate(last) ? last : undefined;
      },
      { timeoutMs: WAIT_MS, intervalMs: 500, what, context: () => `alerts: ${JSON.stringify(last.map((a) => [a.labels, a.status.state]))}${context()}` },
    );
  }

  before(async () => {
    ensemble = await startEnsemble({ size: 3 });
    await ensemble.waitReady();
    const leader = await ensemble.leader();
    followers = ensemble.nodes.filter((node) => node.id !== leader.id);
    const endpoints = ensemble.nodes.map((node) => node.endpoint).join(', ');
    agent = await startAgent(`receivers:
  zookeeper:
    endpoints: [${endpoints}]
    collection_interval: 1s
    commands: [mntr, ruok, srvr, conf, cons]
    cluster: ${CLUSTER}
  zookeeper_session:
    endpoints: [${endpoints}]
    collection_interval: 1s
    timeout: 2s
    cluster: ${CLUSTER}
exporters:
  prometheus: { endpoint: \${METRICS_ENDPOINT} }
service:
  pipelines:
    metrics: { receivers: [zookeeper, zookeeper_session], exporters: [prometheus] }
`);
    alertmanager = await startAlertmanager({ config: readFileSync(path.join(ROOT, 'deploy/alertmanager/alertmanager.yaml'), 'utf8') });
    writeFileSync(path.join(dir, 'zookeeper-rules.yaml'), renderRuleFile({ naming: 'default', overrides: SHORT, interval: '1s' }));
    writeFileSync(path.join(dir, 'zookeeper-rules-compat.yaml'), renderRuleFile({ naming: 'compat', interval: '1s' }));
    prometheus = await startPrometheus({
      scrapeTargets: [agent.metricsEndpoint],
      scrapeInterval: '1s',
      extraConfig: {
        rule_files: [path.join(dir, 'zookeeper-rules.yaml'), path.join(dir, 'zookeeper-rules-compat.yaml')],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [alertmanager.address] }] }] },
      },
    });
    await prometheus.waitFor(
      async () => (await prometheus.query(`zookeeper_up{zk_cluster="${CLUSTER}"} == 1`)).length === 3,
      WAIT_MS,
      'all three servers up in Prometheus',
    );
  });

  after(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await agent?.stop();
    await ensemble?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every rule of both namings evaluates without error on the real Prometheus, and its expression queries cleanly', async () => {
    // Wait until the session probe has data too, so that the rules on its histograms meet real series.
    await prometheus.waitFor(
      async () => (await prometheus.query('count(count by (zk_endpoint) (zookeeper_client_operation_duration_count))'))[0]?.value?.[1] === '3',
      WAIT_MS,
      'session probe series of all three servers',
    );
    const rules = await pollUntil(
      async () => {
        const res = await fetch(`${prometheus.url}/api/v1/rules`);
        const body = (await res.json()) as { data: { groups: { file: string; rules: RuleStatus[] }[] } };
        const all = body.data.groups.flatMap((group) => group.rules);
        return all.length > 0 && all.every((rule) => rule.health !== 'unknown') ? all : undefined;
      },
      { timeoutMs: WAIT_MS, intervalMs: 500, what: 'every rule evaluated once', context },
    );
    const expected = [renderRuleFile({ naming: 'default' }), renderRuleFile({ naming: 'compat' })].flatMap((text) =>
      (YAML.parse(text) as { groups: { rules: unknown[] }[] }).groups.flatMap((group) => group.rules),
    );
    assert.equal(rules.length, expected.length, 'Prometheus loaded every rule of both files');
    assert.deepEqual(
      rules.filter((rule) => rule.health !== 'ok').map((rule) => `${rule.name}: ${rule.lastError}`),
      [],
    );
    for (const rule of rules) await prometheus.query(rule.query); // throws on a PromQL error
    // The cluster facts the alerts stand on, recorded from the real ensemble.
    const value = async (query: string) => (await prometheus.query(query))[0]?.value?.[1];
    // A rule's first evaluation may precede the first scrape of what it reads: wait until every fact is recorded.
    const facts = ['voting_members:max', 'quorum_majority:min', 'serving_voters:count', 'effective_leaders:count'].map(
      (rule) => `zk_cluster:zookeeper_${rule}{zk_cluster="${CLUSTER}"}`,
    );
    await prometheus.waitFor(async () => (await Promise.all(facts.map(value))).every((fact) => fact !== undefined), WAIT_MS, 'every cluster fact recorded');
    assert.equal(await value(`zk_cluster:zookeeper_voting_members:max{zk_cluster="${CLUSTER}"}`), '3');
    assert.equal(await value(`zk_cluster:zookeeper_quorum_majority:min{zk_cluster="${CLUSTER}"}`), '2');
    assert.equal(await value(`zk_cluster:zookeeper_serving_voters:count{zk_cluster="${CLUSTER}"}`), '3');
    assert.equal(await value(`zk_cluster:zookeeper_effective_leaders:count{zk_cluster="${CLUSTER}"}`), '1');
    // What the rules read lints clean: zookeeper (with conf and cons) and zookeeper_session, as the default pipeline.
    assert.deepEqual(promtoolLint((await agent.scrape()).text), []);
    const outage = (await alertmanager.alerts()).filter((alert) => alert.labels.zk_cluster === CLUSTER && OUTAGE_ALERTS.has(alert.labels.alertname!));
    assert.deepEqual(outage, [], 'no outage alert while the ensemble is healthy');
  });

  it('one follower killed: ZooKeeperServerDown is active at Alertmanager with zk_cluster, zk_endpoint and the reason', async () => {
    const victim = followers[0]!;
    await ensemble.stopNode(victim.id);
    const alerts = await waitForAlerts(`ZooKeeperServerDown for ${victim.endpoint}`, (list) =>
      list.some((alert) => alert.labels.alertname === 'ZooKeeperServerDown' && alert.labels.zk_endpoint === victim.endpoint && alert.status.state === 'active'),
    );
    const down = alerts.find((alert) => alert.labels.alertname === 'ZooKeeperServerDown')!;
    assert.deepEqual({ ...down.labels }, { alertname: 'ZooKeeperServerDown', severity: 'warning', zk_cluster: CLUSTER, zk_endpoint: victim.endpoint });
    assert.match(down.annotations.description!, /mntr: refused/);
    assert.equal(down.annotations.runbook, 'zkotel docs/runbooks.md#zookeeperserverdown');
    assert.ok(!alerts.some((alert) => alert.labels.alertname === 'ZooKeeperQuorumLost'), 'two of three still serve');
    await waitForAlerts('ZooKeeperQuorumAtRisk', (list) =>
      list.some((alert) => alert.labels.alertname === 'ZooKeeperQuorumAtRisk' && alert.status.state === 'active'),
    );
  });

  it('a second follower killed: ZooKeeperQuorumLost is active and the per-server alerts of the cluster are inhibited', async () => {
    const victim = followers[1]!;
    await ensemble.stopNode(victim.id);
    const alerts = await waitForAlerts('ZooKeeperQuorumLost active and both ServerDown alerts inhibited', (list) => {
      const lost = list.find((alert) => alert.labels.alertname === 'ZooKeeperQuorumLost');
      const down = list.filter((alert) => alert.labels.alertname === 'ZooKeeperServerDown');
      return (
        lost?.status.state === 'active' &&
        followers.every((node) => down.some((alert) => alert.labels.zk_endpoint === node.endpoint)) &&
        down.every((alert) => alert.status.state === 'suppressed' && alert.status.inhibitedBy.length > 0)
      );
    });
    const lost = alerts.find((alert) => alert.labels.alertname === 'ZooKeeperQuorumLost')!;
    assert.deepEqual({ ...lost.labels }, { alertname: 'ZooKeeperQuorumLost', severity: 'critical', zk_cluster: CLUSTER });
    assert.match(lost.annotations.description!, /Only 0 voting members .* of the 3 voting members|Only 1 voting members .* of the 3 voting members/);
    for (const alert of alerts.filter((candidate) => candidate.labels.zk_endpoint !== undefined)) {
      assert.equal(alert.status.state, 'suppressed', `${alert.labels.alertname} ${alert.labels.zk_endpoint} is inhibited`);
    }
    const atRisk = alerts.find((alert) => alert.labels.alertname === 'ZooKeeperQuorumAtRisk');
    assert.ok(atRisk === undefined || atRisk.status.state === 'suppressed', 'quorum at risk is moot once it is lost');
    const noLeader = alerts.find((alert) => alert.labels.alertname === 'ZooKeeperNoLeader');
    assert.ok(noLeader === undefined || noLeader.status.state === 'suppressed', 'no leader is the lost quorum again: one page');
  });

  it('both restarted: every outage alert resolves', async () => {
    for (const node of followers) await ensemble.startNode(node.id);
    await ensemble.waitReady(60_000);
    const alerts = await waitForAlerts('no outage alert left', (list) => !list.some((alert) => OUTAGE_ALERTS.has(alert.labels.alertname!)));
    // What may remain is what the restarts themselves are: the restarted servers, and the elections they caused.
    for (const alert of alerts)
      assert.ok(['ZooKeeperServerRestarted', 'ZooKeeperFrequentLeaderElections'].includes(alert.labels.alertname!), JSON.stringify(alert.labels));
  });
});
