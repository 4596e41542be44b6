import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { schemaProblems } from '../../../src/core/config/schema.js';
import { DEFAULT_ENDPOINTS, displayUrl, metricsUrl, otlpExporterConfigSchema } from '../../../src/exporters/otlp/config.js';
import { otlpExporterFactory } from '../../../src/exporters/otlp/factory.js';

/** `path: message` of every problem with `input`. */
function problems(input: unknown): string[] {
  const result = otlpExporterConfigSchema.safeParse(input);
  return result.success ? [] : schemaProblems(result.error).map((p) => `${p.path.join('::')}: ${p.message}`);
}

describe('otlp exporter config', () => {
  it('has Collector-like defaults, with the endpoint chosen by protocol', () => {
    const defaults = otlpExporterFactory.createDefaultConfig();
    assert.equal(otlpExporterFactory.type, 'otlp');
    assert.deepEqual(defaults, {
      protocol: 'http/protobuf',
      endpoint: 'http://127.0.0.1:4318',
      headers: {},
      compression: 'none',
      timeout: 10_000,
      interval: 10_000,
      temporality: 'cumulative',
      tls: { insecure_skip_verify: false },
      resource: { attributes: {} },
      sending_queue: { queue_size: 10 },
      retry_on_failure: { enabled: true, initial_interval: 5000, max_interval: 30_000, max_elapsed_time: 300_000 },
    });
    assert.equal(otlpExporterConfigSchema.parse({ protocol: 'grpc' }).endpoint, 'http://127.0.0.1:4317');
    assert.equal(otlpExporterConfigSchema.parse({ protocol: 'http/json' }).endpoint, DEFAULT_ENDPOINTS['http/json']);
    assert.equal(otlpExporterConfigSchema.parse({ interval: '1m30s', timeout: '250ms' }).interval, 90_000);
  });

  it('appends /v1/metrics to the endpoint like the Collector otlphttp exporter; metrics_endpoint is used as it is', () => {
    const url = (config: Record<string, unknown>) => metricsUrl(otlpExporterConfigSchema.parse(config));
    assert.equal(url({}), 'http://127.0.0.1:4318/v1/metrics');
    assert.equal(url({ endpoint: 'https://otlp.example.com' }), 'https://otlp.example.com/v1/metrics');
    assert.equal(url({ endpoint: 'https://otlp.example.com/' }), 'https://otlp.example.com/v1/metrics');
    assert.equal(url({ endpoint: 'https://gw.example.com/otlp' }), 'https://gw.example.com/otlp/v1/metrics');
    assert.equal(url({ endpoint: 'https://gw.example.com/otlp/' }), 'https://gw.example.com/otlp/v1/metrics');
    assert.equal(url({ endpoint: 'https://x.example', metrics_endpoint: 'https://y.example/api/v2/otlp' }), 'https://y.example/api/v2/otlp');
  });

  it('rejects unknown keys naming the valid ones, bad URLs, and settings that cannot work', () => {
    assert.deepEqual(problems({ endpiont: 'x' }), [
      'endpiont: unknown key "endpiont" (valid keys: compression, endpoint, headers, interval, metrics_endpoint, protocol, resource, retry_on_failure, sending_queue, temporality, timeout, tls)',
    ]);
    assert.deepEqual(problems({ retry_on_failure: { max_retries: 3 } }), [
      'retry_on_failure::max_retries: unknown key "max_retries" (valid keys: enabled, initial_interval, max_elapsed_time, max_interval)',
    ]);
    assert.match(problems({ endpoint: '127.0.0.1:4318' })[0]!, /^endpoint: unsupported scheme|^endpoint: invalid URL/);
    assert.match(problems({ endpoint: 'ftp://x' })[0]!, /^endpoint: unsupported scheme "ftp:"/);
    assert.deepEqual(problems({ protocol: 'grpc', endpoint: 'http://h:4317/v1' }), ['endpoint: a gRPC endpoint has no path: write http://h:4317']);
    assert.deepEqual(problems({ protocol: 'grpc', metrics_endpoint: 'http://h/x' }), ['metrics_endpoint: only for the http protocols; gRPC uses endpoint']);
    assert.deepEqual(problems({ protocol: 'http/xml' }).length, 1);
    assert.match(problems({ interval: '5x' })[0]!, /^interval: invalid duration "5x"/);
    assert.deepEqual(problems({ tls: { insecure_skip_verify: true } }), ['tls: TLS settings need an https:// endpoint; this one is plain http']);
    assert.deepEqual(problems({ endpoint: 'https://h', tls: { cert_file: '/etc/hostname' } }), [
      'tls::cert_file: "/etc/hostname": not PEM: no -----BEGIN CERTIFICATE----- block found',
      'tls::key_file: cert_file and key_file go together: set both or neither',
    ]);
    assert.match(
      problems({ endpoint: 'https://h', tls: { ca_file: '/nonexistent/ca.pem' } })[0]!,
      /^tls::ca_file: cannot read "\/nonexistent\/ca.pem": ENOENT/,
    );
    assert.deepEqual(problems({ sending_queue: { queue_size: 0 } }).length, 1);
    assert.deepEqual(problems({ retry_on_failure: { initial_interval: '10s', max_interval: '1s' } }), [
      'retry_on_failure::max_interval: must be at least initial_interval',
    ]);
  });

  it('takes header values that YAML typed as numbers as text, and checks header names without echoing values', () => {
    const config = otlpExporterConfigSchema.parse({ headers: { 'X-Scope-OrgID': 42, authorization: 'Bearer s3cret' } });
    assert.deepEqual(config.headers, { 'X-Scope-OrgID': '42', authorization: 'Bearer s3cret' });
    const bad = problems({ headers: { 'bad header': 's3cret' } });
    assert.equal(bad.length, 1);
    assert.doesNotMatch(bad.join('\n'), /s3cret/);
    assert.match(problems({ protocol: 'grpc', headers: { 'x-bin': 'AA==' } })[0]!, /binary \(-bin\) gRPC metadata is not supported/);
    assert.deepEqual(otlpExporterConfigSchema.parse({ resource: { attributes: { 'deployment.environment': 'prod', replica: 3 } } }).resource.attributes, {
      'deployment.environment': 'prod',
      replica: 3,
    });
  });

  it('shows URLs in logs without credentials or query', () => {
    assert.equal(displayUrl('https://user:pw@otlp.example.com/v1/metrics?api_key=s3cret'), 'https://otlp.example.com/v1/metrics');
  });
});
