/**
 * What a real Prometheus cannot do on demand: answer 5xx, check credentials, speak mutual TLS. A small fake
 * remote-write receiver (node:http/https) that decodes the snappy body and records each request.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import snappy from 'snappy';
import { describeMetric } from '../../../src/core/batch.js';
import { silentLogger } from '../../../src/core/logger.js';
import { SelfTelemetry } from '../../../src/core/telemetry.js';
import { prometheusRemoteWriteExporterFactory } from '../../../src/exporters/prometheusremotewrite/factory.js';
import { generateTestCerts } from '../../harness/certs.js';
import { pollUntil } from '../../harness/process.js';
import { testSettings } from '../../harness/settings.js';

// Its implementation is imported on first use (src/core/lazy-module.ts), as the service does before creating one.
await prometheusRemoteWriteExporterFactory.load?.();

interface Received {
  readonly headers: http.IncomingHttpHeaders;
  readonly bytes: number;
}

async function fakeReceiver(answer: (index: number) => number, tls?: https.ServerOptions) {
  const requests: Received[] = [];
  const handler = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = snappy.uncompressSync(Buffer.concat(chunks)) as Buffer;
      requests.push({ headers: request.headers, bytes: body.length });
      response.writeHead(answer(requests.length - 1)).end();
    });
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { requests, url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/api/v1/push`, close: () => new Promise((resolve) => server.close(resolve)) };
}

const up = describeMetric('zookeeper.up', 'gauge');
const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-rw-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function exporterFor(config: Record<string, unknown>) {
  const telemetry = new SelfTelemetry();
  const exporter = prometheusRemoteWriteExporterFactory.createExporter(
    { ...testSettings('prometheusremotewrite', silentLogger, telemetry), exportsSelfTelemetry: false },
    prometheusRemoteWriteExporterFactory.configSchema.parse({ interval: '100ms', ...config }),
  );
  const count = (name: string, reason?: string) =>
    telemetry
      .snapshot()
      .samples.filter((s) => s.metric.name === `zkotel.exporter.prometheusremotewrite.${name}` && (reason === undefined || s.attributes.reason === reason))
      .reduce((sum, s) => sum + s.value, 0);
  exporter.consume({ source: 's', timeMs: Date.now(), startTimeMs: 0, samples: [{ metric: up, attributes: { 'zk.endpoint': 'a:1' }, value: 1 }] });
  return { exporter, count };
}

describe('prometheusremotewrite transport', () => {
  it('retries 5xx until the receiver accepts, sending the same request; sends the remote write 1.0 headers and bearer token', async () => {
    const receiver = await fakeReceiver((index) => (index < 2 ? 503 : 204));
    const token = path.join(dir, 'token');
    writeFileSync(token, 's3cret-token\n');
    const { exporter, count } = exporterFor({
      endpoint: receiver.url,
      bearer_token_file: token,
      headers: { 'X-Scope-OrgID': 'tenant-1' },
      retry_on_failure: { initial_interval: '50ms', max_interval: '100ms' },
    });
    await exporter.start();
    try {
      await pollUntil(() => count('sent') === 1, { timeoutMs: 10_000, what: 'delivered after two 503s' });
      assert.equal(count('failed', 'http_503'), 2);
      assert.equal(receiver.requests.length, 3);
      assert.equal(new Set(receiver.requests.map((r) => r.bytes)).size, 1, 'each attempt carried the same request');
      const headers = receiver.requests[0]!.headers;
      assert.equal(headers['content-encoding'], 'snappy');
      assert.equal(headers['content-type'], 'application/x-protobuf');
      assert.equal(headers['x-prometheus-remote-write-version'], '0.1.0');
      assert.equal(headers.authorization, 'Bearer s3cret-token');
      assert.equal(headers['x-scope-orgid'], 'tenant-1');
    } finally {
      await exporter.shutdown();
      await receiver.close();
    }
  });

  it('drops a 4xx at once, counted as rejected', async () => {
    const receiver = await fakeReceiver(() => 401);
    const { exporter, count } = exporterFor({ endpoint: receiver.url, retry_on_failure: { initial_interval: '50ms' } });
    await exporter.start();
    try {
      await pollUntil(() => count('dropped', 'rejected') === 1, { timeoutMs: 10_000, what: 'the request rejected' });
      assert.equal(receiver.requests.length, 1);
    } finally {
      await exporter.shutdown();
      await receiver.close();
    }
  });

  it('speaks mutual TLS with basic auth', async () => {
    const certs = generateTestCerts(dir);
    const { readFileSync } = await import('node:fs');
    const receiver = await fakeReceiver(() => 204, {
      key: readFileSync(certs.server.key),
      cert: readFileSync(certs.server.cert),
      ca: readFileSync(certs.ca),
      requestCert: true,
      rejectUnauthorized: true,
    });
    const password = path.join(dir, 'password');
    writeFileSync(password, 'pa55\n');
    const { exporter, count } = exporterFor({
      endpoint: receiver.url,
      tls: { ca_file: certs.ca, cert_file: certs.client.cert, key_file: certs.client.key },
      basic_auth: { username: 'agent', password_file: password },
    });
    await exporter.start();
    try {
      await pollUntil(() => count('sent') === 1, { timeoutMs: 10_000, what: 'delivered over mutual TLS' });
      assert.equal(receiver.requests[0]!.headers.authorization, `Basic ${Buffer.from('agent:pa55').toString('base64')}`);
    } finally {
      await exporter.shutdown();
      await receiver.close();
    }
  });
});
