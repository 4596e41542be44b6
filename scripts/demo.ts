/**
 * The quick-start demo: a real 3-node ZooKeeper ensemble on 127.0.0.1:2181-2183, the agent with
 * otel-config.yaml (with its status page), a real Prometheus scraping it with the ZooKeeper alerting rules, and a
 * real Alertmanager with the example config. Ctrl-C stops everything it started.
 * `--smoke` exits 0 as soon as Prometheus sees every node up (used by the tests).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEnsemble, type Ensemble } from '../test/harness/ensemble.js';
import { canBind } from '../test/harness/ports.js';
import { pollUntil } from '../test/harness/process.js';
import { startPrometheus, type PrometheusServer } from '../test/harness/prometheus.js';
import { startAlertmanager } from '../test/harness/alertmanager.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLIENT_PORTS = [2181, 2182, 2183];
const METRICS_ENDPOINT = '127.0.0.1:9464';
const STATUS_ENDPOINT = '127.0.0.1:13134';
const ALERTING_RULES = 'deploy/prometheus/zookeeper-rules.yaml';
const ALERTMANAGER_CONFIG = 'deploy/alertmanager/alertmanager.yaml';
/** What a client on each server waits for its operations, from the zookeeper_session receiver. */
const CLIENT_LATENCY_P99 = 'histogram_quantile(0.99, sum by (le, zk_endpoint, operation) (rate(zookeeper_client_operation_duration_bucket[1m])))';

async function main(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  for (const port of [...CLIENT_PORTS, 9464, 13134]) {
    if (!(await canBind(port))) throw new Error(`port ${port} is in use on 127.0.0.1: stop what holds it (another demo?) and retry`);
  }
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(`demo: ${String(error)}`));
  };
  // `on`, not `once`: the harness's own signal hook re-raises the signal (killing this process before the agent is
  // stopped) when no other listener is left.
  process.on('SIGINT', () => void stopAll().then(() => process.exit(0)));
  process.on('SIGTERM', () => void stopAll().then(() => process.exit(0)));
  try {
    console.log('demo: starting a 3-node ZooKeeper ensemble on 127.0.0.1:2181-2183 ...');
    const ensemble: Ensemble = await startEnsemble({ size: 3, clientPorts: CLIENT_PORTS });
    cleanups.push(() => ensemble.stop());
    await ensemble.waitReady();

    console.log('demo: starting zkotel with otel-config.yaml ...');
    const agent = spawn(process.execPath, [path.join(ROOT, 'dist/src/cli.js'), '--config', path.join(ROOT, 'otel-config.yaml')], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ZKOTEL_METRICS_ENDPOINT: METRICS_ENDPOINT, ZKOTEL_STATUS_ENDPOINT: STATUS_ENDPOINT },
    });
    const agentExited = new Promise<void>((resolve) => agent.once('exit', () => resolve()));
    cleanups.push(async () => {
      if (agent.exitCode === null) agent.kill('SIGTERM');
      await agentExited;
    });

    const alertmanager = await startAlertmanager({ config: readFileSync(path.join(ROOT, ALERTMANAGER_CONFIG), 'utf8') });
    cleanups.push(() => alertmanager.stop());
    const prometheus: PrometheusServer = await startPrometheus({
      scrapeTargets: [METRICS_ENDPOINT],
      scrapeInterval: '5s',
      extraConfig: {
        rule_files: [path.join(ROOT, ALERTING_RULES)],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [alertmanager.address] }] }] },
      },
    });
    cleanups.push(() => prometheus.stop());
    console.log(`
demo: running.
  ZooKeeper:          ${ensemble.connectString}
  zkotel /metrics:    http://${METRICS_ENDPOINT}/metrics
  zkotel status page: http://${STATUS_ENDPOINT}/
  Prometheus:         ${prometheus.url}/graph?g0.expr=zookeeper_up&g0.tab=1
  Client latency p99: ${prometheus.url}/graph?g0.expr=${encodeURIComponent(CLIENT_LATENCY_P99)}&g0.tab=0
  Alert rules:        ${prometheus.url}/alerts   (${ALERTING_RULES})
  Alertmanager:       ${alertmanager.url}/#/alerts   (${ALERTMANAGER_CONFIG})
  Stop a node to see an alert fire within a minute or two: kill ${ensemble.nodes.map((node) => node.pid).join(' or kill ')}
Press Ctrl-C to stop everything.
`);
    const up = await pollUntil(
      async () => {
        const samples = await prometheus.query('sum(zookeeper_up)');
        return Number(samples[0]?.value?.[1] ?? 0) === 3 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: 'Prometheus to see zookeeper_up == 1 for all three nodes' },
    );
    console.log(`demo: Prometheus sees all three ZooKeeper nodes up (${String(up)}).`);
    await pollUntil(
      async () => {
        const samples = await prometheus.query('count(count by (zk_endpoint) (zookeeper_client_operation_duration_count))');
        return Number(samples[0]?.value?.[1] ?? 0) === 3 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: 'Prometheus to see client operation latencies of all three nodes' },
    );
    console.log('demo: Prometheus sees client-visible latency of all three nodes.');
    await pollUntil(
      async () => {
        const status = (await (await fetch(`http://${STATUS_ENDPOINT}/api/v1/status`)).json()) as { clusters: { quorum: string; members_up: number }[] };
        return status.clusters.length === 1 && status.clusters[0]!.members_up === 3 && status.clusters[0]!.quorum === 'ok' ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: 'the status page to show one cluster, quorum ok, three members up' },
    );
    console.log('demo: the status page shows one cluster, quorum ok, three members up.');
    await pollUntil(
      async () => {
        const res = await fetch(`${prometheus.url}/api/v1/alertmanagers`);
        const body = (await res.json()) as { data: { activeAlertmanagers: { url: string }[] } };
        const rules = await fetch(`${prometheus.url}/api/v1/rules`);
        const groups = ((await rules.json()) as { data: { groups: { rules: unknown[] }[] } }).data.groups;
        return (
          body.data.activeAlertmanagers.some((am) => am.url.startsWith(alertmanager.url)) && groups.length > 0 && (await alertmanager.alerts()) !== undefined
        );
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: 'Prometheus to load the alerting rules and find Alertmanager' },
    );
    console.log(`demo: Prometheus evaluates the ZooKeeper alerting rules and sends alerts to Alertmanager at ${alertmanager.url}/#/alerts.`);
    if (smoke) await stopAll();
    else await agentExited;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

main().catch((error: unknown) => {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
