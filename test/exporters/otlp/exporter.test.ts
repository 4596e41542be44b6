import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { describeMetric, type Batch } from '../../../src/core/batch.js';
import { createLogger } from '../../../src/core/logger.js';
import { SelfTelemetry } from '../../../src/core/telemetry.js';
import { OtlpExporter, SERVICE_INSTANCE_ID } from '../../../src/exporters/otlp/exporter.js';
import { otlpExporterFactory } from '../../../src/exporters/otlp/factory.js';
import { AGENT_VERSION } from '../../../src/version.js';
import { batchOf, COUNTER, GAUGE } from '../../harness/batches.js';
import { OtlpReceiver, type ReceivedExport, type Transport } from '../../harness/otlp-receiver.js';
import { freePort } from '../../harness/ports.js';
import { pollUntil } from '../../harness/process.js';
import { testSettings } from '../../harness/settings.js';
import { VirtualClock } from '../../harness/virtual-time.js';

// Its implementation is imported on first use (src/core/lazy-module.ts), as the service does before creating one.
await otlpExporterFactory.load?.();

const LATENCY = describeMetric('test.latency', 'histogram', { unit: 's', description: 'A histogram.' });
/** A batch with one histogram sample: 3 observations in buckets (-inf, 0.1], (0.1, 1], (1, +inf). */
function histogramBatch(source: string, attributes: Record<string, string>, counts: [number, number, number], sum: number, timeMs = Date.now()): Batch {
  const count = counts[0] + counts[1] + counts[2];
  return {
    source,
    timeMs,
    startTimeMs: timeMs - 1000,
    samples: [{ metric: LATENCY, attributes, value: count, histogram: { boundaries: [0.1, 1], counts, sum, count } }],
  };
}

const ZK1 = { 'zk.endpoint': '127.0.0.1:2181', 'zk.cluster': 'east' };
const ZK2 = { 'zk.endpoint': '127.0.0.1:2182', 'zk.cluster': 'east' };

/** Short intervals so that tests wait for conditions, never for fixed times. */
const FAST = {
  interval: '100ms',
  timeout: '500ms',
  retry_on_failure: { initial_interval: '50ms', max_interval: '200ms' },
};

interface Harness {
  exporter: OtlpExporter;
  telemetry: SelfTelemetry;
  logs: string[];
}

async function withExporter(id: string, config: Record<string, unknown>, test: (h: Harness) => Promise<void>): Promise<string[]> {
  const logs: string[] = [];
  const telemetry = new SelfTelemetry();
  const settings = testSettings(
    id,
    createLogger('debug', (line) => logs.push(line)),
    telemetry,
  );
  const exporter = otlpExporterFactory.createExporter(settings, otlpExporterFactory.configSchema.parse({ ...FAST, ...config })) as OtlpExporter;
  await exporter.start();
  try {
    await test({ exporter, telemetry, logs });
  } finally {
    await exporter.shutdown();
  }
  return logs;
}

/** The sum of a self-telemetry counter's series whose attributes include `match`. */
function counterValue(telemetry: SelfTelemetry, name: string, match: Record<string, string> = {}): number {
  return telemetry
    .snapshot()
    .samples.filter((s) => s.metric.name === name && Object.entries(match).every(([k, v]) => s.attributes[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** The first export that carries `metric` with `attributes`. */
function exportWith(exports: readonly ReceivedExport[], metric: string, attributes: Record<string, string>): ReceivedExport | undefined {
  return exports.find((e) => e.points.some((p) => p.metric === metric && Object.entries(attributes).every(([k, v]) => p.attributes[k] === v)));
}

/** A TCP relay that counts the bytes a client sends, to see what goes over the wire. */
class ByteCountingProxy {
  bytesIn = 0;
  private readonly sockets = new Set<net.Socket>();
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<ByteCountingProxy> {
    const port = await freePort();
    const server = net.createServer();
    const proxy = new ByteCountingProxy(server, port);
    server.on('connection', (client) => {
      const upstream = net.connect(targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        proxy.sockets.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => proxy.sockets.delete(socket));
      }
      client.on('data', (chunk: Buffer) => {
        proxy.bytesIn += chunk.length;
      });
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return proxy;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const parseLogs = (logs: string[]) => logs.map((line) => JSON.parse(line) as { level: string; msg: string } & Record<string, unknown>);

describe('otlp exporter against a real OTLP receiver', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await OtlpReceiver.start();
  });
  after(async () => {
    await receiver.stop();
  });

  for (const protocol of ['http/protobuf', 'http/json', 'grpc'] as const satisfies readonly Transport[]) {
    it(`${protocol}: delivers a batch with identity attributes on data points and the agent's resource attributes`, async () => {
      const id = `otlp/${protocol.replace('/', '-')}`;
      const endpoint = protocol === 'grpc' ? receiver.grpcEndpoint : receiver.httpEndpoint;
      const timeMs = Date.now();
      await withExporter(id, { protocol, endpoint, resource: { attributes: { 'deployment.environment': 'test', replica: 3 } } }, async ({ exporter }) => {
        exporter.consume(
          batchOf(
            'p|zookeeper|1',
            [
              [GAUGE, 0.0989, ZK1],
              [COUNTER, 42, ZK1],
            ],
            timeMs,
          ),
        );
        exporter.consume(batchOf('p|zookeeper|2', [[GAUGE, 2, ZK2]], timeMs));
        exporter.consume(histogramBatch('p|histogram|1', ZK1, [2, 1, 0], 0.35, timeMs));
        const received = await receiver.waitFor(`${protocol} export`, (exports) =>
          exports.find((e) => e.transport === protocol && exportWith([e], 'test.temperature', ZK2)),
        );
        assert.equal(received.path, protocol === 'grpc' ? '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export' : '/v1/metrics');
        assert.deepEqual(received.resource, {
          'service.name': 'zkotel',
          'service.version': AGENT_VERSION,
          'service.instance.id': SERVICE_INSTANCE_ID,
          'deployment.environment': 'test',
          replica: 3,
        });
        assert.deepEqual(received.scopes, [{ name: 'zkotel', version: AGENT_VERSION }]);

        const gauges = received.points.filter((p) => p.metric === 'test.temperature');
        assert.deepEqual(
          gauges.map((p) => [p.attributes, p.value, p.type]).sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
          [
            [ZK1, 0.0989, 'gauge'],
            [ZK2, 2, 'gauge'],
          ],
        );
        const [events] = received.points.filter((p) => p.metric === 'test.events');
        assert.ok(events, 'the counter arrived');
        assert.deepEqual(
          {
            attributes: events.attributes,
            value: events.value,
            type: events.type,
            temporality: events.temporality,
            monotonic: events.monotonic,
            description: events.description,
          },
          { attributes: ZK1, value: 42, type: 'sum', temporality: 'cumulative', monotonic: true, description: 'A counter.' },
        );
        assert.equal(events.timeUnixNano, BigInt(timeMs) * 1_000_000n, 'the time of the probe');
        assert.equal(events.startTimeUnixNano, BigInt(timeMs - 1000) * 1_000_000n, 'the start time of the batch');
        const [latency] = received.points.filter((p) => p.metric === 'test.latency');
        assert.deepEqual(
          { type: latency?.type, temporality: latency?.temporality, unit: latency?.unit, attributes: latency?.attributes, histogram: latency?.histogram },
          {
            type: 'histogram',
            temporality: 'cumulative',
            unit: 's',
            attributes: ZK1,
            histogram: { count: 3, sum: 0.35, bucketCounts: [2, 1, 0], explicitBounds: [0.1, 1], min: undefined, max: undefined },
          },
        );
        assert.match(received.headers['user-agent'] ?? '', /^zkotel\/\S+ OTel-OTLP-Exporter-JavaScript\//);
        await receiver.waitFor("the agent's own metrics, riding along", (exports) =>
          exports.some(
            (e) =>
              e.transport === protocol && e.points.some((p) => p.metric === 'zkotel.exporter.otlp.sent' && p.attributes.exporter === id && p.type === 'sum'),
          ),
        );
      });
      assert.deepEqual(receiver.decodeErrors, []);
    });
  }

  it('sends the configured headers (gRPC: as metadata), never logging their values, gzip-compressed over http', async () => {
    const secret = `Bearer s3cret-${process.pid}`;
    for (const protocol of ['http/protobuf', 'http/json', 'grpc'] as const) {
      const endpoint = protocol === 'grpc' ? receiver.grpcEndpoint : receiver.httpEndpoint;
      const tenant = `tenant-${protocol}`;
      const logs = await withExporter(
        'otlp/gzip',
        { protocol, endpoint, compression: 'gzip', headers: { authorization: secret, 'X-Scope-OrgID': tenant } },
        async ({ exporter }) => {
          exporter.consume(batchOf('s', [[GAUGE, 1, ZK1]]));
          const received = await receiver.waitFor(`${protocol} gzip export`, (exports) => exports.find((e) => e.headers['x-scope-orgid'] === tenant));
          assert.equal(received.headers.authorization, secret);
          // grpc-js takes grpc-encoding out of the metadata it hands the server; gRPC compression is checked on the wire below.
          if (protocol !== 'grpc') assert.equal(received.contentEncoding, 'gzip', `${protocol} body is gzip-compressed`);
          assert.ok(exportWith([received], 'test.temperature', ZK1));
        },
      );
      assert.doesNotMatch(logs.join('\n'), /s3cret/);
    }
  });

  it('grpc: gzip compresses the messages on the wire', async () => {
    const bytesOnTheWire = async (compression: 'none' | 'gzip'): Promise<number> => {
      const proxy = await ByteCountingProxy.start(receiver.grpcPort);
      const tag = `wire:${compression}`;
      try {
        await withExporter(
          `otlp/wire-${compression}`,
          { protocol: 'grpc', endpoint: `http://127.0.0.1:${proxy.port}`, compression, interval: '1h' },
          async ({ exporter }) => {
            const samples: [typeof GAUGE, number, Record<string, string>][] = [];
            for (let i = 0; i < 500; i++)
              samples.push([GAUGE, i, { 'zk.endpoint': tag, 'zk.cluster': 'a-rather-long-cluster-name-that-repeats', n: String(i) }]);
            exporter.consume(batchOf('w', samples));
            await exporter.shutdown();
            assert.ok(exportWith(receiver.exports, 'test.temperature', { 'zk.endpoint': tag }), `${compression}: delivered`);
          },
        );
        return proxy.bytesIn;
      } finally {
        await proxy.close();
      }
    };
    const plain = await bytesOnTheWire('none');
    const gzipped = await bytesOnTheWire('gzip');
    assert.ok(gzipped * 4 < plain, `gzip: ${gzipped} bytes on the wire, uncompressed: ${plain}`);
  });

  it('delta temporality: counters are sent as the increase between two exports, gauges unchanged', async () => {
    const t0 = Date.now();
    await withExporter('otlp/delta', { endpoint: receiver.httpEndpoint, temporality: 'delta' }, async ({ exporter }) => {
      const mine = (exports: readonly ReceivedExport[]) => exports.filter((e) => e.points.some((p) => p.attributes['zk.endpoint'] === 'delta:1'));
      const attrs = { 'zk.endpoint': 'delta:1' };
      exporter.consume(
        batchOf(
          'd',
          [
            [GAUGE, 5, attrs],
            [COUNTER, 100, attrs],
          ],
          t0,
        ),
      );
      exporter.consume(histogramBatch('h', attrs, [2, 1, 0], 0.35, t0));
      await receiver.waitFor('the first export (baseline)', (exports) => mine(exports).length > 0);
      exporter.consume(
        batchOf(
          'd',
          [
            [GAUGE, 6, attrs],
            [COUNTER, 130, attrs],
          ],
          t0 + 1000,
        ),
      );
      exporter.consume(histogramBatch('h', attrs, [2, 3, 1], 2.85, t0 + 1000));
      const delta = await receiver.waitFor('a delta point', (exports) =>
        mine(exports)
          .flatMap((e) => e.points)
          .find((p) => p.metric === 'test.events'),
      );
      assert.equal(delta.temporality, 'delta');
      assert.equal(delta.monotonic, true);
      assert.equal(delta.value, 30, '130 - 100');
      assert.equal(delta.startTimeUnixNano, BigInt(t0) * 1_000_000n, 'from the previous export of the series');
      assert.equal(delta.timeUnixNano, BigInt(t0 + 1000) * 1_000_000n);
      const counters = mine(receiver.exports)
        .flatMap((e) => e.points)
        .filter((p) => p.metric === 'test.events');
      assert.deepEqual(
        counters.map((p) => p.value),
        [30],
        'nothing for the baseline, and nothing again while no new probe arrives',
      );
      const histogram = await receiver.waitFor('a delta histogram', (exports) =>
        mine(exports)
          .flatMap((e) => e.points)
          .find((p) => p.metric === 'test.latency'),
      );
      assert.equal(histogram.temporality, 'delta');
      assert.deepEqual(histogram.histogram?.bucketCounts, [0, 2, 1]);
      assert.equal(histogram.histogram?.count, 3);
      assert.ok(Math.abs((histogram.histogram?.sum ?? 0) - 2.5) < 1e-9);
      const gauges = mine(receiver.exports)
        .flatMap((e) => e.points)
        .filter((p) => p.metric === 'test.temperature');
      assert.ok(gauges.some((p) => p.value === 5) && gauges.some((p) => p.value === 6));
      assert.ok(gauges.every((p) => p.type === 'gauge'));
    });
  });

  it('keeps retrying a backend that answers 503, delivers once it recovers, and logs failing and recovered once each', async () => {
    const attrs = { 'zk.endpoint': 'retry:503' };
    const logs = await withExporter('otlp/retry', { endpoint: receiver.httpEndpoint }, async ({ exporter, telemetry, logs: live }) => {
      const before = receiver.requests;
      receiver.failNext(6, { httpStatus: 503 });
      exporter.consume(batchOf('r', [[GAUGE, 7, attrs]]));
      await receiver.waitFor('the export after recovery', (exports) => exportWith(exports, 'test.temperature', attrs));
      assert.ok(receiver.requests - before >= 7, `6 failures then a success (${receiver.requests - before} requests)`);
      assert.ok(counterValue(telemetry, 'zkotel.exporter.otlp.failed', { exporter: 'otlp/retry' }) >= 1);
      await pollUntil(() => counterValue(telemetry, 'zkotel.exporter.otlp.sent', { exporter: 'otlp/retry' }) >= 1, {
        what: 'sent to be counted',
        timeoutMs: 5000,
      });
      await pollUntil(() => parseLogs(live).some((l) => l.msg === 'OTLP export recovered'), { what: 'the recovery log line', timeoutMs: 5000 });
    });
    const failing = parseLogs(logs).filter((l) => l.msg === 'OTLP export failing');
    const recovered = parseLogs(logs).filter((l) => l.msg === 'OTLP export recovered');
    assert.equal(failing.length, 1, 'one line for working → failing, not one per attempt');
    assert.equal(failing[0]!.level, 'warn');
    assert.equal(failing[0]!.retrying, true);
    assert.equal(recovered.length, 1, 'one line for failing → working');
  });

  it('drops an export the backend rejects (400) instead of retrying it; the next snapshot goes through', async () => {
    const attrs = { 'zk.endpoint': 'rejected:400' };
    await withExporter('otlp/rejected', { endpoint: receiver.httpEndpoint }, async ({ exporter, telemetry }) => {
      receiver.failNext(1, { httpStatus: 400 });
      exporter.consume(batchOf('x', [[GAUGE, 1, attrs]]));
      await receiver.waitFor('the next snapshot', (exports) => exportWith(exports, 'test.temperature', attrs));
      assert.equal(counterValue(telemetry, 'zkotel.exporter.otlp.failed', { exporter: 'otlp/rejected', reason: 'http_400' }), 1);
      assert.ok(
        counterValue(telemetry, 'zkotel.exporter.otlp.dropped', { exporter: 'otlp/rejected', reason: 'rejected' }) > 0,
        'dropped at once: a retry would have delivered it',
      );
    });
  });

  it('gives up on an export after retry_on_failure.max_elapsed_time, or at once when retries are disabled', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    for (const [retry, what] of [
      [{ max_elapsed_time: '300ms' }, 'after max_elapsed_time'],
      [{ enabled: false }, 'retries disabled'],
    ] as const) {
      const id = `otlp/give-up-${what.replace(/\W+/g, '-')}`;
      await withExporter(
        id,
        { endpoint, timeout: '100ms', sending_queue: { queue_size: 100 }, retry_on_failure: { ...FAST.retry_on_failure, ...retry } },
        async ({ exporter, telemetry }) => {
          exporter.consume(batchOf('g', [[GAUGE, 1]]));
          await pollUntil(() => counterValue(telemetry, 'zkotel.exporter.otlp.dropped', { exporter: id, reason: 'retries_exhausted' }) > 0, {
            what: `a drop ${what}`,
            timeoutMs: 10_000,
          });
          assert.equal(counterValue(telemetry, 'zkotel.exporter.otlp.dropped', { exporter: id, reason: 'queue_full' }), 0);
        },
      );
    }
  });

  it('survives a backend outage with a bounded queue, counts the drops, and delivers the newest data when it is back', async () => {
    const outage = await OtlpReceiver.start();
    try {
      for (const protocol of ['http/protobuf', 'grpc'] as const) {
        const id = `otlp/outage-${protocol.replace('/', '-')}`;
        const endpoint = protocol === 'grpc' ? outage.grpcEndpoint : outage.httpEndpoint;
        await withExporter(id, { protocol, endpoint, sending_queue: { queue_size: 3 } }, async ({ exporter, telemetry }) => {
          exporter.consume(batchOf('o', [[GAUGE, 1, { 'zk.endpoint': `${protocol}:before` }]]));
          await outage.waitFor(`${protocol}: data before the outage`, (exports) =>
            exportWith(exports, 'test.temperature', { 'zk.endpoint': `${protocol}:before` }),
          );

          await outage.stop();
          await pollUntil(() => counterValue(telemetry, 'zkotel.exporter.otlp.dropped', { exporter: id, reason: 'queue_full' }) > 0, {
            what: `${protocol}: snapshots dropped from the full queue`,
            timeoutMs: 15_000,
          });
          assert.equal(counterValue(telemetry, 'zkotel.exporter.otlp.queue.capacity', { exporter: id }), 3);
          assert.ok(counterValue(telemetry, 'zkotel.exporter.otlp.queue.size', { exporter: id }) <= 3, 'the queue size gauge stays within queue_size');
          assert.ok(exporter.queueLength <= 3);

          exporter.consume(batchOf('o', [[GAUGE, 2, { 'zk.endpoint': `${protocol}:after` }]]));
          await outage.restart();
          await outage.waitFor(
            `${protocol}: data after the outage`,
            (exports) => exportWith(exports, 'test.temperature', { 'zk.endpoint': `${protocol}:after` }),
            30_000,
          );
        });
      }
    } finally {
      await outage.stop();
    }
  });

  it('shutdown flushes the latest snapshot once, is safe twice and without start, and is bounded when the backend is down', async () => {
    const attrs = { 'zk.endpoint': 'flush:1' };
    const config = otlpExporterFactory.configSchema.parse({ ...FAST, endpoint: receiver.httpEndpoint, interval: '1h' });
    const exporter = otlpExporterFactory.createExporter(testSettings('otlp/flush'), config);
    await exporter.start();
    exporter.consume(batchOf('f', [[GAUGE, 9, attrs]]));
    await exporter.shutdown();
    assert.equal(exportWith(receiver.exports, 'test.temperature', attrs)?.points.find((p) => p.metric === 'test.temperature')?.value, 9);
    await exporter.shutdown();

    const unstarted = otlpExporterFactory.createExporter(testSettings('otlp/unstarted'), config);
    unstarted.consume(batchOf('f', [[GAUGE, 1]]));
    await unstarted.shutdown();
    await unstarted.shutdown();

    // A backend that accepts and never answers: the flush ends at its budget, min(timeout, 4 s), on the exporter's clock.
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const clock = new VirtualClock();
    const telemetry = new SelfTelemetry();
    // Only the pipeline's two samples in the snapshot, so the drop count is exact.
    const nowhere = otlpExporterFactory.createExporter(
      { ...testSettings('otlp/nowhere', undefined, telemetry), scheduler: clock.scheduler, exportsSelfTelemetry: false },
      otlpExporterFactory.configSchema.parse({
        ...FAST,
        endpoint: `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`,
        interval: '1h',
        timeout: '300ms',
      }),
    );
    try {
      await nowhere.start();
      nowhere.consume(
        batchOf('f', [
          [GAUGE, 3],
          [GAUGE, 4, ZK1],
        ]),
      );
      await clock.until(nowhere.shutdown(), 10_000);
      assert.ok(clock.now <= 600, `shutdown took ${clock.now} ms: the 300 ms flush, then at most as long for the clients to close`);
      assert.equal(
        counterValue(telemetry, 'zkotel.exporter.otlp.dropped', { exporter: 'otlp/nowhere', reason: 'shutdown' }),
        2,
        'the undelivered final snapshot is counted, in samples',
      );
    } finally {
      silent.close();
    }
  });

  it('refuses a TLS file it cannot read at start, naming the key', async () => {
    const config = otlpExporterFactory.configSchema.parse({ endpoint: 'https://127.0.0.1:1' });
    const exporter = otlpExporterFactory.createExporter(testSettings('otlp/tls'), { ...config, tls: { ...config.tls, ca_file: '/nonexistent/ca.pem' } });
    await assert.rejects(exporter.start(), { message: 'tls.ca_file: cannot read "/nonexistent/ca.pem": ENOENT' });
    await exporter.shutdown();
  });

  it("pushes the agent's own metrics (export duration histogram, queue gauges), unless they have an endpoint of their own", async () => {
    await withExporter('otlp/self', { endpoint: receiver.httpEndpoint }, async ({ exporter }) => {
      exporter.consume(batchOf('s', [[GAUGE, 1, { 'zk.endpoint': 'self:1' }]]));
      const own = (e: ReceivedExport, metric: string) => e.points.find((p) => p.metric === metric && p.attributes.exporter === 'otlp/self');
      const received = await receiver.waitFor('own metrics', (exports) =>
        exports.find((e) => own(e, 'zkotel.exporter.otlp.export.duration') && own(e, 'zkotel.exporter.otlp.sent')),
      );
      assert.equal(own(received, 'zkotel.exporter.otlp.export.duration')?.type, 'histogram');
      assert.equal(own(received, 'zkotel.exporter.otlp.queue.capacity')?.value, 10);
      assert.equal(own(received, 'zkotel.exporter.otlp.queue.size')?.type, 'gauge');
    });
    const telemetry = new SelfTelemetry();
    const exporter = otlpExporterFactory.createExporter(
      { ...testSettings('otlp/no-self', undefined, telemetry), exportsSelfTelemetry: false },
      otlpExporterFactory.configSchema.parse({ ...FAST, endpoint: receiver.httpEndpoint }),
    );
    await exporter.start();
    try {
      exporter.consume(batchOf('s', [[GAUGE, 1, { 'zk.endpoint': 'no-self:1' }]]));
      await receiver.waitFor(
        'two exports',
        (exports) => exports.filter((e) => exportWith([e], 'test.temperature', { 'zk.endpoint': 'no-self:1' })).length >= 2,
      );
      const mine = receiver.exports.filter((e) => exportWith([e], 'test.temperature', { 'zk.endpoint': 'no-self:1' }));
      assert.deepEqual([...new Set(mine.flatMap((e) => e.points.map((p) => p.metric)))], ['test.temperature']);
    } finally {
      await exporter.shutdown();
    }
  });

  it('uses the descriptor unit of each metric', async () => {
    const bytes = describeMetric('test.size', 'gauge', { unit: 'By', description: 'Bytes.' });
    await withExporter('otlp/unit', { endpoint: receiver.httpEndpoint }, async ({ exporter }) => {
      exporter.consume(batchOf('u', [[bytes, 1024, { 'zk.endpoint': 'unit:1' }]]));
      const received = await receiver.waitFor('the unit', (exports) => exportWith(exports, 'test.size', { 'zk.endpoint': 'unit:1' }));
      assert.equal(received.points.find((p) => p.metric === 'test.size')?.unit, 'By');
    });
  });
});
