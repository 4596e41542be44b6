import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../../src/core/logger.js';
import { SelfTelemetry } from '../../../src/core/telemetry.js';
import { otlpExporterFactory } from '../../../src/exporters/otlp/factory.js';
import { batchOf, GAUGE } from '../../harness/batches.js';
import { OtlpReceiver } from '../../harness/otlp-receiver.js';
import { pollUntil, registerTempDir, unregisterTempDir } from '../../harness/process.js';
import { testSettings } from '../../harness/settings.js';

// Its implementation is imported on first use (src/core/lazy-module.ts), as the service does before creating one.
await otlpExporterFactory.load?.();

/** A self-signed EC certificate for 127.0.0.1 / localhost, made with openssl: it is its own CA. */
function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { cert, key };
}

describe('otlp exporter over TLS', () => {
  let dir: string;
  let files: { cert: string; key: string };
  let receiver: OtlpReceiver;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkotel-otlp-tls-'));
    registerTempDir(dir);
    files = selfSignedCert(dir);
    receiver = await OtlpReceiver.start({ tls: { cert: fs.readFileSync(files.cert), key: fs.readFileSync(files.key) } });
  });
  after(async () => {
    await receiver.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    unregisterTempDir(dir);
  });

  async function deliver(id: string, config: Record<string, unknown>): Promise<{ delivered: boolean; logs: string[] }> {
    const logs: string[] = [];
    const tag = `tls:${id}`;
    const exporter = otlpExporterFactory.createExporter(
      testSettings(
        id,
        createLogger('info', (line) => logs.push(line)),
        new SelfTelemetry(),
      ),
      otlpExporterFactory.configSchema.parse({
        interval: '100ms',
        timeout: '1s',
        retry_on_failure: { initial_interval: '50ms', max_interval: '100ms' },
        ...config,
      }),
    );
    await exporter.start();
    try {
      exporter.consume(batchOf('t', [[GAUGE, 1, { 'zk.endpoint': tag }]]));
      const delivered = await pollUntil(
        () =>
          receiver.points('test.temperature').some((p) => p.attributes['zk.endpoint'] === tag)
            ? 'delivered'
            : logs.some((l) => l.includes('OTLP export failing'))
              ? 'failing'
              : undefined,
        { what: `${id}: delivery or failure`, timeoutMs: 10_000, intervalMs: 20 },
      );
      return { delivered: delivered === 'delivered', logs };
    } finally {
      await exporter.shutdown();
    }
  }

  for (const protocol of ['http/protobuf', 'grpc'] as const) {
    const endpoint = () => (protocol === 'grpc' ? receiver.grpcEndpoint : receiver.httpEndpoint);

    it(`${protocol}: trusts the server through tls.ca_file`, async () => {
      const { delivered } = await deliver(`otlp/tls-ca-${protocol}`, { protocol, endpoint: endpoint(), tls: { ca_file: files.cert } });
      assert.ok(delivered);
    });

    it(`${protocol}: refuses an unknown server certificate by default and says why, once`, async () => {
      const { delivered, logs } = await deliver(`otlp/tls-unknown-${protocol}`, { protocol, endpoint: endpoint() });
      assert.equal(delivered, false);
      const failing = logs.filter((l) => l.includes('OTLP export failing'));
      assert.equal(failing.length, 1);
      assert.match(failing[0]!, /certificate|self.signed|UNAVAILABLE/i);
    });

    it(`${protocol}: tls.insecure_skip_verify accepts any certificate`, async () => {
      const { delivered } = await deliver(`otlp/tls-skip-${protocol}`, { protocol, endpoint: endpoint(), tls: { insecure_skip_verify: true } });
      assert.ok(delivered);
    });
  }
});
