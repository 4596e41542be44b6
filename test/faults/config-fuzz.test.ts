/**
 * Config fuzz: thousands of mutations of real configs (bytes dropped, inserted, duplicated, swapped; YAML syntax
 * characters, control and non-UTF-8 bytes, huge and deep values, aliases) go through the loader. Not one may
 * throw, and every problem must be located (FILE:LINE:COL), whatever the input.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { builtinRegistry } from '../../src/components.js';
import { formatProblem } from '../../src/core/config/errors.js';
import { loadConfig } from '../../src/core/config/resolve.js';
import { repoRoot } from '../harness/fixtures.js';

const MUTATIONS = 2400;
const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const webConfig = path.join(dir, 'web.yml');
writeFileSync(
  webConfig,
  'basic_auth_users:\n  prometheus: $2y$04$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG\nhttp_server_config:\n  headers: { X-Frame-Options: deny }\n',
);

const SEEDS = [
  readFileSync(path.join(repoRoot(), 'otel-config.yaml'), 'utf8'),
  `receivers:
  zookeeper/a:
    endpoints: [127.0.0.1:2181, "[::1]:2182"]
    collection_interval: 1m30s
    timeout: 250ms
    max_response_bytes: 1MiB
    discovery:
      file_sd: { files: [${dir}/sd.yaml], refresh_interval: 5m }
processors:
  filter: { include: { metric_names: [zookeeper_up] } }
  relabel:
    rules:
      - { source_labels: [zk_endpoint], regex: "(.*):.*", target_label: host, replacement: "\${1}" }
exporters:
  prometheus: { endpoint: 127.0.0.1:9464, web_config_file: ${webConfig}, const_labels: { env: prod } }
  otlp:
    endpoint: https://127.0.0.1:4318
    headers: { authorization: "Bearer \${env:TOKEN:-x}" }
    retry_on_failure: { initial_interval: 1s, max_elapsed_time: 0s }
extensions:
  health_check: { endpoint: 127.0.0.1:13133, max_connections: 8 }
service:
  extensions: [health_check]
  telemetry: { logs: { level: debug } }
  pipelines:
    metrics: { receivers: [zookeeper/a], processors: [filter, relabel], exporters: [prometheus, otlp] }
anchors: &x { a: *x }
`,
];

/** Fragments that stress the parser and the schemas where they land. */
const FRAGMENTS = [
  ':',
  '- ',
  '[',
  ']',
  '{',
  '}',
  '&a ',
  '*a',
  '!!binary ',
  '!foo ',
  '? ',
  '|',
  '>',
  '"',
  "'",
  '#',
  '\t',
  '\n',
  '  ',
  '%YAML 1.1\n',
  '${env:',
  '${env:X}',
  '$$',
  '${',
  '1e400',
  '-1',
  '99999999999999999999',
  '.inf',
  '0x',
  'null',
  '~',
  '600h',
  '0s',
  '1ns',
  '\u0000',
  '\r\n',
  '\u2028',
  '\uFEFF',
  'ünï',
  '<<: *a',
  '[[[[[[[[[[[[[[[[[[[[',
  '{a: {a: {a: {a: {a:',
  '---\n',
  '...\n',
];

/** A small deterministic PRNG (mulberry32): a failure names its seed and can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(text: Buffer, next: () => number): Buffer {
  const pick = (n: number) => Math.floor(next() * n);
  let bytes = Buffer.from(text);
  const rounds = 1 + pick(4);
  for (let round = 0; round < rounds; round++) {
    const at = pick(bytes.length + 1);
    switch (pick(9)) {
      case 0: // drop a run of bytes
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + pick(20))]);
        break;
      case 1: // insert a fragment
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(FRAGMENTS[pick(FRAGMENTS.length)]!), bytes.subarray(at)]);
        break;
      case 2: // a random byte, often not UTF-8
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([pick(256)]), bytes.subarray(at)]);
        break;
      case 3: {
        // duplicate a line
        const lines = bytes.toString('latin1').split('\n');
        const line = pick(lines.length);
        lines.splice(line, 0, lines[line]!);
        bytes = Buffer.from(lines.join('\n'), 'latin1');
        break;
      }
      case 4: {
        // swap two lines
        const lines = bytes.toString('latin1').split('\n');
        const [a, b] = [pick(lines.length), pick(lines.length)];
        [lines[a], lines[b]] = [lines[b]!, lines[a]!];
        bytes = Buffer.from(lines.join('\n'), 'latin1');
        break;
      }
      case 5: {
        // change a line's indentation
        const lines = bytes.toString('latin1').split('\n');
        const line = pick(lines.length);
        lines[line] = next() < 0.5 ? lines[line]!.replace(/^ {1,2}/, '') : `  ${lines[line]}`;
        bytes = Buffer.from(lines.join('\n'), 'latin1');
        break;
      }
      case 6: // truncate
        bytes = bytes.subarray(0, at);
        break;
      case 7: {
        // replace a value after a colon
        const text = bytes.toString('latin1');
        const colon = text.indexOf(': ', at);
        if (colon >= 0) {
          const end = text.indexOf('\n', colon);
          bytes = Buffer.from(text.slice(0, colon + 2) + FRAGMENTS[pick(FRAGMENTS.length)]! + (end >= 0 ? text.slice(end) : ''), 'latin1');
        }
        break;
      }
      default: // deep nesting in a value
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(`${'['.repeat(100 + pick(3000))}`), bytes.subarray(at)]);
    }
  }
  return bytes;
}

it(`${MUTATIONS} config mutations: no exception, every problem located`, () => {
  const registry = builtinRegistry();
  const file = path.join(dir, 'fuzzed.yaml');
  const unlocated: string[] = [];
  let rejected = 0;
  for (let i = 0; i < MUTATIONS; i++) {
    const seed = 1000 + i;
    const next = random(seed);
    const input = mutate(Buffer.from(SEEDS[i % SEEDS.length]!), next);
    writeFileSync(file, input);
    let resolution: ReturnType<typeof loadConfig>;
    try {
      resolution = loadConfig([file], registry, { TOKEN: 'abc' });
    } catch (error) {
      assert.fail(`seed ${seed}: the loader threw ${String(error)}\n--- input ---\n${input.toString('latin1')}`);
    }
    if (resolution.problems.length > 0) rejected++;
    for (const problem of [...resolution.problems, ...resolution.warnings]) {
      if (!problem.location) unlocated.push(`seed ${seed}: ${formatProblem(problem)}`);
      // "cannot load the configuration" is the loader's last resort: reaching it means a failure nobody located.
      if (problem.message.startsWith('cannot load the configuration') || problem.message.includes('cannot check this'))
        unlocated.push(`seed ${seed}: ${formatProblem(problem)}`);
    }
  }
  assert.deepEqual(unlocated.slice(0, 20), [], `${unlocated.length} unlocated problems`);
  // The fuzz must reach the schemas, not only the parser: a good share of mutations still parse.
  assert.ok(rejected > MUTATIONS / 4 && rejected < MUTATIONS, `${rejected} of ${MUTATIONS} rejected`);
});
