/**
 * prometheusremotewrite against a real Prometheus 2.42 started with --web.enable-remote-write-receiver: names,
 * labels, values and staleness as PromQL sees them; a 30 s outage (the process stopped, connections refused,
 * restarted on the same port and data) within and beyond the queue's bound; a 400 is not retried.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeMetric, type Batch } from '../../../src/core/batch.js';
import { silentLogger } from '../../../src/core/logger.js';
import { SelfTelemetry } from '../../../src/core/telemetry.js';
import { prometheusRemoteWriteExporterFactory } from '../../../src/exporters/prometheusremotewrite/factory.js';
import type { PrometheusRemoteWriteExporter } from '../../../src/exporters/prometheusremotewrite/exporter.js';
import { freePort } from '../../harness/ports.js';
import { pollUntil, spawnLogged, type LoggedProcess } from '../../harness/process.js';
import { PROMETHEUS_BINARY } from '../../harness/prometheus.js';
import { testSettings } from '../../harness/settings.js';

// Its implementation is imported on first use (src/core/lazy-module.ts), as the service does before creating one.
await prometheusRemoteWriteExporterFactory.load?.();

/** A Prometheus that can be stopped and started again on the same port and storage. */
class RemoteWriteReceiver {
  private process: LoggedProcess | undefined;
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-rw-prom-'));
  constructor(readonly port: number) {
    writeFileSync(path.join(this.dir, 'prometheus.yml'), 'global: { scrape_interval: 1m }\n');
  }
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.process = spawnLogged(
      PROMETHEUS_BINARY,
      [
        `--config.file=${path.join(this.dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${this.port}`,
        '--web.enable-remote-write-receiver',
      ],
      { logFile: path.join(this.dir, 'prometheus.log') },
    );
    await pollUntil(async () => (await fetch(`${this.url}/-/ready`)).ok, {
      timeoutMs: 30_000,
      what: 'Prometheus ready',
      abort: () => (this.process?.running ? undefined : 'prometheus exited'),
      context: () => this.process!.tail(),
    });
  }
  async stop(): Promise<void> {
    await this.process?.stop();
  }
  async query(promql: string): Promise<{ metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[]> {
    const response = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; data: { result: [] } };
    if (body.status !== 'success') throw new Error(JSON.stringify(body));
    return body.data.result;
  }
}

const gauge = describeMetric('zookeeper.up', 'gauge', { valueType: 'int' });
const counter = describeMetric('zookeeper.packets.received', 'counter');
const histogram = describeMetric('zkotel.probe.duration', 'histogram', { unit: 's' });
const sequence = describeMetric('zk.sequence', 'gauge');

function counterValue(telemetry: SelfTelemetry, name: string, match: Record<string, string> = {}): number {
  return telemetry
    .snapshot()
    .samples.filter((s) => s.metric.name === name && Object.entries(match).every(([k, v]) => s.attributes[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

function exporterFor(receiver: RemoteWriteReceiver, id: string, config: Record<string, unknown>) {
  const telemetry = new SelfTelemetry();
  const parsed = prometheusRemoteWriteExporterFactory.configSchema.parse({ endpoint: `${receiver.url}/api/v1/write`, ...config });
  const exporter = prometheusRemoteWriteExporterFactory.createExporter(
    { ...testSettings(id, silentLogger, telemetry), exportsSelfTelemetry: false },
    parsed,
  ) as PrometheusRemoteWriteExporter;
  return { exporter, telemetry };
}

describe('prometheusremotewrite → a real Prometheus', { timeout: 240_000 }, () => {
  let receiver: RemoteWriteReceiver;
  before(async () => {
    receiver = new RemoteWriteReceiver(await freePort());
    await receiver.start();
  });
  after(async () => {
    await receiver?.stop();
    if (receiver) rmSync(receiver.dir, { recursive: true, force: true });
  });

  it('series arrive with their names, labels and values; a vanished series is stale at once; a 400 is not retried', async () => {
    const { exporter, telemetry } = exporterFor(receiver, 'prometheusremotewrite/basic', {
      interval: '200ms',
      external_labels: { cloud: 'aws', region: 'eu-west-1' },
    });
    await exporter.start();
    try {
      const now = Date.now();
      const attributes = { 'zk.endpoint': 'a:2181', 'zk.cluster': 'orders' };
      exporter.consume({
        source: 'zookeeper|a:2181',
        timeMs: now,
        startTimeMs: now - 60_000,
        samples: [
          { metric: gauge, attributes, value: 1 },
          { metric: counter, attributes, value: 42 },
          { metric: histogram, attributes, value: 4, histogram: { boundaries: [0.01, 0.1], counts: [1, 2, 1], sum: 0.25, count: 4 } },
        ],
      });
      const up = await pollUntil(async () => (await receiver.query('zookeeper_up'))[0], { timeoutMs: 20_000, what: 'zookeeper_up in Prometheus' });
      assert.deepEqual(up.metric, { __name__: 'zookeeper_up', cloud: 'aws', region: 'eu-west-1', zk_cluster: 'orders', zk_endpoint: 'a:2181' });
      assert.equal(up.value?.[1], '1');
      assert.equal((await receiver.query('zookeeper_packets_received_total{zk_endpoint="a:2181"}'))[0]?.value?.[1], '42');
      const buckets = await receiver.query('zkotel_probe_duration_bucket');
      assert.deepEqual(Object.fromEntries(buckets.map((b) => [b.metric.le, b.value?.[1]])), { '0.01': '1', '0.1': '3', '+Inf': '4' });
      assert.equal((await receiver.query('zkotel_probe_duration_sum'))[0]?.value?.[1], '0.25');
      // The median of 4 observations with 1 below 0.01 and 2 more below 0.1: halfway through the second bucket.
      const median = Number((await receiver.query('histogram_quantile(0.5, zkotel_probe_duration_bucket)'))[0]?.value?.[1]);
      assert.ok(Math.abs(median - 0.055) < 1e-9, `median ${median}`);

      // The counter disappears from the source: without a staleness marker PromQL would return it for 5 minutes.
      exporter.consume({ source: 'zookeeper|a:2181', timeMs: now + 1000, startTimeMs: now - 60_000, samples: [{ metric: gauge, attributes, value: 0 }] });
      await pollUntil(async () => (await receiver.query('zookeeper_packets_received_total')).length === 0, {
        timeoutMs: 20_000,
        what: 'the vanished counter stale in Prometheus',
      });
      await pollUntil(async () => (await receiver.query('zookeeper_up'))[0]?.value?.[1] === '0', { timeoutMs: 20_000, what: 'zookeeper_up 0' });

      // Another source with the same series and an older sample: Prometheus answers 400 (out of order). Dropped, not retried.
      exporter.consume({ source: 'zookeeper|copy', timeMs: now - 5000, startTimeMs: 0, samples: [{ metric: gauge, attributes, value: 7 }] });
      const prefix = 'zkotel.exporter.prometheusremotewrite';
      await pollUntil(() => counterValue(telemetry, `${prefix}.dropped`, { reason: 'rejected' }) === 1, {
        timeoutMs: 20_000,
        what: 'the out-of-order sample rejected',
      });
      assert.equal(counterValue(telemetry, `${prefix}.failed`), 1, 'one attempt: a 400 is not retried');
      assert.equal(counterValue(telemetry, `${prefix}.failed`, { reason: 'http_400' }), 1);
      assert.equal(
        counterValue(telemetry, `${prefix}.dropped`, { reason: 'queue_full' }) + counterValue(telemetry, `${prefix}.dropped`, { reason: 'retries_exhausted' }),
        0,
      );
    } finally {
      await exporter.shutdown();
    }
  });

  it('the receiver down for 30 s: nothing lost within the queue bound; beyond it, the drop count is exact', async () => {
    const retry = { initial_interval: '500ms', max_interval: '2s', max_elapsed_time: '0s' };
    const roomy = exporterFor(receiver, 'prometheusremotewrite/roomy', {
      interval: '1s',
      timeout: '2s',
      sending_queue: { queue_size: 100 },
      retry_on_failure: retry,
    });
    const tight = exporterFor(receiver, 'prometheusremotewrite/tight', {
      interval: '1s',
      timeout: '2s',
      sending_queue: { queue_size: 5 },
      retry_on_failure: retry,
    });
    // Each tick carries exactly one new sample: one request of one sample per tick, values 1, 2, 3, …
    const ticks = new Map<string, number>();
    for (const [name, { exporter }] of [
      ['roomy', roomy],
      ['tight', tight],
    ] as const) {
      const internals = exporter as unknown as { tick(): void };
      const tick = internals.tick.bind(exporter);
      ticks.set(name, 0);
      internals.tick = () => {
        const n = ticks.get(name)! + 1;
        ticks.set(name, n);
        const batch: Batch = {
          source: `seq|${name}`,
          timeMs: Date.now(),
          startTimeMs: 0,
          samples: [{ metric: sequence, attributes: { queue: name }, value: n }],
        };
        exporter.consume(batch);
        tick();
      };
    }
    await roomy.exporter.start();
    await tight.exporter.start();
    const prefix = 'zkotel.exporter.prometheusremotewrite';
    try {
      await pollUntil(() => counterValue(roomy.telemetry, `${prefix}.sent`) >= 3 && counterValue(tight.telemetry, `${prefix}.sent`) >= 3, {
        timeoutMs: 20_000,
        what: 'first samples delivered',
      });
      await receiver.stop();
      const downSince = Date.now();
      await pollUntil(() => Date.now() - downSince >= 30_000 && counterValue(tight.telemetry, `${prefix}.dropped`, { reason: 'queue_full' }) > 0, {
        timeoutMs: 60_000,
        intervalMs: 500,
        what: '30 s down',
      });
      await receiver.start();
      // Stop the ticks once the queues drained, so the counts below are final.
      await pollUntil(() => roomy.exporter.queueLength === 0 && tight.exporter.queueLength === 0, { timeoutMs: 60_000, what: 'queues drained' });
      await roomy.exporter.shutdown();
      await tight.exporter.shutdown();

      for (const [name, { telemetry }] of [
        ['roomy', roomy],
        ['tight', tight],
      ] as const) {
        const sent = counterValue(telemetry, `${prefix}.sent`);
        const dropped = counterValue(telemetry, `${prefix}.dropped`);
        const stored = await receiver.query(`zk_sequence{queue="${name}"}[10m]`);
        const values = (stored[0]?.values ?? []).map(([, value]) => Number(value));
        assert.equal(sent + dropped, ticks.get(name), `${name}: every request accounted for once`);
        assert.equal(values.length, sent, `${name}: Prometheus holds exactly the samples counted as sent`);
        assert.deepEqual(
          values,
          [...values].sort((a, b) => a - b),
          `${name}: in order, no sample twice`,
        );
        assert.equal(new Set(values).size, values.length);
        if (name === 'roomy') {
          assert.equal(dropped, 0, 'within the bound nothing is dropped');
          assert.deepEqual(
            values,
            Array.from({ length: ticks.get(name)! }, (_, i) => i + 1),
            'every value, none lost',
          );
        } else {
          assert.ok(dropped > 0, 'beyond the bound some are dropped');
          assert.equal(counterValue(telemetry, `${prefix}.dropped`, { reason: 'queue_full' }), dropped, 'dropped only for the queue bound');
          const missing = Array.from({ length: ticks.get(name)! }, (_, i) => i + 1).filter((v) => !values.includes(v));
          assert.equal(missing.length, dropped, 'the values missing in Prometheus are exactly the dropped count');
        }
      }
    } finally {
      await roomy.exporter.shutdown();
      await tight.exporter.shutdown();
    }
  });
});
