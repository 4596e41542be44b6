/**
 * Configs a fault campaign found to crash the loader or to pass `validate` and fail later: each is now a problem
 * located as FILE:LINE:COL, found when the config is checked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { builtinRegistry } from '../../../src/components.js';
import { formatProblem } from '../../../src/core/config/errors.js';
import { loadConfig } from '../../../src/core/config/resolve.js';
import { MAX_CONFIG_BYTES, MAX_NESTING_DEPTH } from '../../../src/core/config/yaml-text.js';
import { staticEndpoints } from '../../../src/internal/targets/static-endpoints.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-hardening-'));
let fileCount = 0;
function configFile(content: string | Buffer): string {
  const file = path.join(dir, `config-${++fileCount}.yaml`);
  writeFileSync(file, content);
  return file;
}

const PIPELINE = `
exporters:
  prometheus: {}
service:
  pipelines:
    metrics: { receivers: [zookeeper], exporters: [prometheus] }
`;

function load(content: string | Buffer, env: NodeJS.ProcessEnv = {}) {
  const file = configFile(content);
  const resolution = loadConfig([file], builtinRegistry(), env);
  const strip = (text: string) => text.split(file).join('FILE');
  return {
    problems: resolution.problems.map((problem) => strip(formatProblem(problem))),
    warnings: resolution.warnings.map((problem) => strip(formatProblem(problem))),
  };
}

const located = /^FILE:\d+:\d+: /;

describe('durations have a maximum (Node timers overflow above 2^31-1 ms)', () => {
  for (const [key, value] of [
    ['collection_interval', '600h'],
    ['timeout', '600h'],
    ['initial_delay', '600h'],
    ['collection_interval', '99999999999999999999h'],
  ] as const) {
    it(`${key}: ${value} is refused where it is written`, () => {
      const { problems } = load(`receivers:\n  zookeeper:\n    ${key}: ${value}\n${PIPELINE}`);
      assert.deepEqual(problems, [`FILE:3:5: receivers::zookeeper::${key}: duration "${value}" is too long: must be at most 24h`]);
    });
  }

  it('file_sd refresh_interval and the OTLP interval too; 24h itself is accepted', () => {
    const { problems } = load(
      `receivers:\n  zookeeper:\n    discovery:\n      file_sd:\n        files: [${dir}/x.yaml]\n        refresh_interval: 25h\nexporters:\n  prometheus: {}\n  otlp:\n    interval: 600h\n    timeout: 24h\n` +
        'service:\n  pipelines:\n    metrics: { receivers: [zookeeper], exporters: [prometheus, otlp] }\n',
    );
    assert.deepEqual(problems, [
      'FILE:6:9: receivers::zookeeper::discovery::file_sd::refresh_interval: duration "25h" is too long: must be at most 24h',
      'FILE:10:5: exporters::otlp::interval: duration "600h" is too long: must be at most 24h',
    ]);
  });
});

describe('loader failures are located problems, never exceptions', () => {
  it(`a config nested 3,000 levels deep is refused past ${MAX_NESTING_DEPTH} levels`, () => {
    const { problems } = load(`receivers:\n  zookeeper:\n    x: ${'['.repeat(3000)}${']'.repeat(3000)}\n${PIPELINE}`);
    assert.ok(problems.length > 0);
    for (const problem of problems) assert.match(problem, new RegExp(`${located.source}nested (far )?more than ${MAX_NESTING_DEPTH} levels deep`));
  });

  it('block nesting deeper than the limit names where it goes too deep', () => {
    const lines = Array.from({ length: 100 }, (_, depth) => `${'  '.repeat(depth)}k${depth}:`).join('\n') + ' 1\n';
    const { problems } = load(lines);
    assert.deepEqual(problems, [`FILE:${MAX_NESTING_DEPTH + 1}:${2 * MAX_NESTING_DEPTH + 1}: nested more than ${MAX_NESTING_DEPTH} levels deep`]);
  });

  it('an alias bomb (billion laughs) is refused with the bound', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    const { problems } = load(`${levels.join('\n')}\n`);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^FILE:1:1: aliases expand to more than the limit of 100 nodes/);
  });

  it(`a file over ${MAX_CONFIG_BYTES / 1024 / 1024} MiB is refused without being parsed`, () => {
    const { problems } = load(`receivers:\n  zookeeper:\n    endpoints:\n${'      - 127.0.0.1:2181\n'.repeat(Math.ceil(MAX_CONFIG_BYTES / 23) + 10)}`);
    assert.deepEqual(problems, ['FILE:1:1: file is larger than 4 MiB, the limit for a config file']);
  });

  it('an empty or comments-only file names the file', () => {
    assert.deepEqual(load('').problems, ['FILE:1:1: the file is empty (or only comments): expected a mapping with receivers:, exporters: and service:']);
    assert.deepEqual(load('# nothing here\n\n# still nothing\n').problems, [
      'FILE:1:1: the file is empty (or only comments): expected a mapping with receivers:, exporters: and service:',
    ]);
  });

  it('a complex key is located at itself, not at its parent', () => {
    const { problems } = load(`receivers:\n  zookeeper:\n    ? [a, b]\n    : 1\n${PIPELINE}`);
    assert.deepEqual(problems, ['FILE:3:7: a mapping or list cannot be a key: keys must be plain text']);
  });

  it('yaml library warnings (unresolved tags) are located warnings, not raw lines on stderr', () => {
    const { warnings } = load(`receivers:\n  zookeeper:\n    cluster: !foo prod\n${PIPELINE}`);
    assert.deepEqual(warnings, ['FILE:3:14: Unresolved tag: !foo']);
  });
});

describe('validate finds what can never work', () => {
  it('bytes that are not UTF-8 are located at the first bad byte', () => {
    const content = Buffer.concat([Buffer.from('receivers:\n  zookeeper:\n    cluster: pr'), Buffer.from([0xff, 0xfe]), Buffer.from(`od\n${PIPELINE}`)]);
    assert.deepEqual(load(content).problems, ['FILE:3:16: not valid UTF-8: config files must be UTF-8 text']);
  });

  it('an unterminated ${env:FOO is an error, not literal text', () => {
    const { problems } = load(`receivers:\n  zookeeper:\n    cluster: \${env:FOO\n${PIPELINE}`, { FOO: 'prod' });
    assert.deepEqual(problems, ['FILE:3:14: unterminated reference "${env:FOO": missing the closing "}"']);
  });

  it('a number too large for a double (1e400) says so where it is written', () => {
    const { problems } = load(`receivers:\n  zookeeper:\n    max_response_bytes: 1e400\n${PIPELINE}`);
    assert.deepEqual(problems, ['FILE:3:25: number 1e400 is out of range (larger than 1.798e+308)']);
  });

  it('an OTLP header value with CR/LF is refused', () => {
    const { problems } = load(
      `receivers:\n  zookeeper: {}\nexporters:\n  otlp:\n    headers:\n      x-token: "abc\\r\\nInjected: 1"\nservice:\n  pipelines:\n    metrics: { receivers: [zookeeper], exporters: [otlp] }\n`,
    );
    assert.deepEqual(problems, [
      'FILE:6:7: exporters::otlp::headers::x-token: header value has a control character ("\\r" at position 3): a header value cannot span lines or hold control characters',
    ]);
  });

  it('receiver and OTLP TLS files that are not PEM are refused', () => {
    const notPem = configFile(Buffer.from([0x30, 0x82, 0x01, 0x0a, 0x02, 0x82]));
    const { problems } = load(
      `receivers:\n  zookeeper:\n    tls:\n      ca_file: ${notPem}\nexporters:\n  otlp:\n    endpoint: https://127.0.0.1:4318\n    tls:\n      cert_file: ${notPem}\n      key_file: ${notPem}\nservice:\n  pipelines:\n    metrics: { receivers: [zookeeper], exporters: [otlp] }\n`,
    );
    assert.deepEqual(problems, [
      `FILE:4:7: receivers::zookeeper::tls::ca_file: "FILE": not PEM: no -----BEGIN CERTIFICATE----- block found`.replace('"FILE"', JSON.stringify(notPem)),
      `FILE:9:7: exporters::otlp::tls::cert_file: ${JSON.stringify(notPem)}: not PEM: no -----BEGIN CERTIFICATE----- block found`,
      `FILE:10:7: exporters::otlp::tls::key_file: ${JSON.stringify(notPem)}: not PEM: no -----BEGIN PRIVATE KEY----- block found`,
    ]);
  });
});

describe('duplicate endpoints', () => {
  // A quadratic check (indexOf in filter) takes minutes on 200,000 endpoints, a linear one milliseconds: the
  // timeout fails it instead of letting it hang. Speed itself is not asserted here (timing belongs in bench/).
  it('are all found in a list of 200,000 endpoints, each reported once', { timeout: 60_000 }, () => {
    const endpoints = Array.from({ length: 200_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:2181`);
    endpoints.push(endpoints[7]!, endpoints[99]!, endpoints[7]!);
    const issues: string[] = [];
    const ctx = { addIssue: (issue: { message: string }) => issues.push(issue.message) } as never;
    staticEndpoints({ endpoints, discovery: undefined }, ctx);
    assert.deepEqual(issues, [`endpoint listed twice: ${endpoints[7]}, ${endpoints[99]}`]);
  });
});
