import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { builtinRegistry } from '../../../src/components.js';
import { formatProblem } from '../../../src/core/config/errors.js';
import { loadConfig } from '../../../src/core/config/resolve.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-config-'));
let fileCount = 0;
function configFile(text: string): string {
  const file = path.join(dir, `config-${++fileCount}.yaml`);
  writeFileSync(file, text);
  return file;
}

const VALID_TAIL = `
exporters:
  prometheus: {}
service:
  pipelines:
    metrics: { receivers: [zookeeper], exporters: [prometheus] }
`;

function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  const file = configFile(text);
  const resolution = loadConfig([file], builtinRegistry(), env);
  return resolution.problems.map((problem) => formatProblem(problem).replace(file, 'FILE'));
}

describe('config errors name file, line, column, path and what was expected', () => {
  const cases: { name: string; yaml: string; expected: string[] }[] = [
    {
      name: 'YAML syntax error',
      yaml: 'receivers:\n  zookeeper: {endpoints: [127.0.0.1:2181\n',
      expected: [
        'FILE:3:1: Flow sequence in block collection must be sufficiently indented and end with a ]',
        'FILE:3:1: Flow map in block collection must be sufficiently indented and end with a }',
      ],
    },
    {
      name: 'duplicate key',
      yaml: 'receivers:\n  zookeeper: {}\n  zookeeper: {}\n' + VALID_TAIL,
      expected: ['FILE:3:3: Map keys must be unique'],
    },
    {
      name: 'unknown top-level key',
      yaml: 'recievers:\n  zookeeper: {}\n' + VALID_TAIL,
      expected: [
        'FILE:1:1: recievers: unknown key "recievers" (valid keys: receivers, processors, exporters, extensions, service)',
        'FILE:8:28: service::pipelines::metrics::receivers::0: references receiver "zookeeper", which is not configured under receivers (configured: none)',
      ],
    },
    {
      name: 'unknown component type lists the valid ones',
      yaml: 'receivers:\n  zookeper: {}\n' + VALID_TAIL,
      expected: [
        'FILE:2:3: receivers::zookeper: unknown receiver type "zookeper" (valid types: zookeeper, zookeeper_session)',
        'FILE:8:28: service::pipelines::metrics::receivers::0: references receiver "zookeeper", which is not configured under receivers (configured: zookeper)',
      ],
    },
    {
      name: 'unknown key in a component lists the valid keys',
      yaml: 'receivers:\n  zookeeper:\n    interval: 10s\n' + VALID_TAIL,
      expected: [
        'FILE:3:5: receivers::zookeeper::interval: unknown key "interval" (valid keys: admin_endpoints, admin_path, admin_port, admin_scheme, agent_group, cluster, collection_interval, commands, cons_max_addresses, cons_max_connections, discovery, endpoint, endpoints, initial_delay, max_response_bytes, protocol, relabel_configs, timeout, tls)',
      ],
    },
    {
      name: "a receiver's agent_group naming no configured extension",
      yaml: 'receivers:\n  zookeeper:\n    endpoint: a:2181\n    agent_group: agent_group\n' + VALID_TAIL,
      expected: [
        'FILE:4:5: receivers::zookeeper::agent_group: names extension "agent_group", which is not configured under extensions (configured agent_group extensions: none)',
      ],
    },
    {
      name: "a receiver's agent_group naming an extension not enabled in service::extensions",
      yaml:
        'receivers:\n  zookeeper_session:\n    endpoint: a:2181\n    agent_group: agent_group/east\nextensions:\n  agent_group/east: {}\n' +
        VALID_TAIL.replace('[zookeeper]', '[zookeeper_session]'),
      expected: [
        'FILE:4:5: receivers::zookeeper_session::agent_group: names extension "agent_group/east", which is not enabled: add it to service::extensions',
      ],
    },
    {
      name: "a receiver's agent_group naming an extension of another type",
      yaml:
        'receivers:\n  zookeeper:\n    endpoint: a:2181\n    agent_group: health_check\nextensions:\n  health_check: {}\n  agent_group: {}\n' +
        VALID_TAIL.replace('service:\n', 'service:\n  extensions: [health_check, agent_group]\n'),
      expected: [
        'FILE:4:5: receivers::zookeeper::agent_group: names extension "health_check", of type health_check; expected an extension of type agent_group (configured: agent_group)',
      ],
    },
    {
      name: 'bad duration',
      yaml: 'receivers:\n  zookeeper:\n    timeout: 5x\n' + VALID_TAIL,
      expected: ['FILE:3:5: receivers::zookeeper::timeout: invalid duration "5x": expected a number with a unit (ns, us, ms, s, m, h), e.g. 250ms, 10s, 1m30s'],
    },
    {
      name: 'duration given as a number',
      yaml: 'receivers:\n  zookeeper:\n    collection_interval: 10\n' + VALID_TAIL,
      expected: ['FILE:3:5: receivers::zookeeper::collection_interval: expected string, got number 10'],
    },
    {
      name: 'endpoint without a port, in a list',
      yaml: 'receivers:\n  zookeeper:\n    endpoints:\n      - 127.0.0.1:2181\n      - localhost\n' + VALID_TAIL,
      expected: ['FILE:5:9: receivers::zookeeper::endpoints::1: invalid endpoint "localhost": expected host:port (port 1-65535), e.g. 127.0.0.1:2181'],
    },
    {
      name: 'unknown four-letter word',
      yaml: 'receivers:\n  zookeeper:\n    commands: [mntr, dump]\n' + VALID_TAIL,
      expected: ['FILE:3:22: receivers::zookeeper::commands::1: Invalid option: expected one of "mntr"|"ruok"|"srvr"'],
    },
    {
      name: 'exporter port out of range',
      yaml: 'receivers:\n  zookeeper: {}\nexporters:\n  prometheus:\n    endpoint: 127.0.0.1:99999\nservice:\n  pipelines:\n    metrics: { receivers: [zookeeper], exporters: [prometheus] }\n',
      expected: ['FILE:5:5: exporters::prometheus::endpoint: invalid endpoint "127.0.0.1:99999": expected host:port (port 1-65535), e.g. 127.0.0.1:2181'],
    },
    {
      name: 'pipeline references an unknown exporter',
      yaml: 'receivers:\n  zookeeper: {}\nexporters:\n  prometheus: {}\nservice:\n  pipelines:\n    metrics:\n      receivers: [zookeeper]\n      exporters: [prometheus, otlp]\n',
      expected: [
        'FILE:9:31: service::pipelines::metrics::exporters::1: references exporter "otlp", which is not configured under exporters (configured: prometheus)',
      ],
    },
    {
      name: 'pipeline without receivers',
      yaml: 'receivers:\n  zookeeper: {}\nexporters:\n  prometheus: {}\nservice:\n  pipelines:\n    metrics:\n      exporters: [prometheus]\n',
      expected: ['FILE:7:5: service::pipelines::metrics: pipeline must have at least one receiver'],
    },
    {
      name: 'unsupported signal',
      yaml: 'receivers:\n  zookeeper: {}\nexporters:\n  prometheus: {}\nservice:\n  pipelines:\n    traces: { receivers: [zookeeper], exporters: [prometheus] }\n',
      expected: [
        'FILE:7:5: service::pipelines::traces: unsupported pipeline "traces": zkotel pipelines carry metrics, so the id must be "metrics" or "metrics/<name>"',
      ],
    },
    {
      name: 'no pipeline at all',
      yaml: 'receivers:\n  zookeeper: {}\nservice:\n  telemetry: { logs: { level: info } }\n',
      expected: [
        'FILE:3:1: service::pipelines: no pipeline defined: add at least one under service::pipelines, e.g. metrics: {receivers: [...], exporters: [...]}',
      ],
    },
    {
      name: 'service extension not configured',
      yaml: 'receivers:\n  zookeeper: {}\n' + VALID_TAIL + '  extensions: [health_check]\n',
      expected: ['FILE:9:16: service::extensions::0: references extension "health_check", which is not configured under extensions (configured: none)'],
    },
    {
      name: 'bad log level',
      yaml: 'receivers:\n  zookeeper: {}\n' + VALID_TAIL + '  telemetry:\n    logs: { level: verbose }\n',
      expected: ['FILE:10:13: service::telemetry::logs::level: Invalid option: expected one of "debug"|"info"|"warn"|"error"'],
    },
    {
      name: 'unsupported reference scheme',
      yaml: 'receivers:\n  zookeeper:\n    cluster: ${file:/etc/cluster}\n' + VALID_TAIL,
      expected: ['FILE:3:14: invalid reference "${file:/etc/cluster}": only the env scheme is supported, e.g. ${env:NAME} or ${env:NAME:-default}'],
    },
    {
      name: 'every error is reported, not just the first',
      yaml: 'receivers:\n  zookeeper:\n    timeout: soon\n    endpoints: [nowhere]\n  zookeeper/b:\n    max_response_bytes: -1\n' + VALID_TAIL,
      expected: [
        'FILE:3:5: receivers::zookeeper::timeout: invalid duration "soon": expected a number with a unit (ns, us, ms, s, m, h), e.g. 250ms, 10s, 1m30s',
        'FILE:4:17: receivers::zookeeper::endpoints::0: invalid endpoint "nowhere": expected host:port (port 1-65535), e.g. 127.0.0.1:2181',
        'FILE:6:5: receivers::zookeeper/b::max_response_bytes: invalid size -1: expected a positive whole number of bytes or e.g. 512KiB, 1MiB',
      ],
    },
  ];
  for (const { name, yaml, expected } of cases) {
    it(name, () => {
      const problems = problemsOf(yaml);
      assert.equal(problems.length, expected.length, `problems: ${JSON.stringify(problems, null, 2)}`);
      expected.forEach((text, index) =>
        assert.ok(problems[index]!.startsWith(text), `expected ${JSON.stringify(problems[index])} to start with ${JSON.stringify(text)}`),
      );
    });
  }
});

describe('config loading', () => {
  it('fills every default and round-trips the default config', () => {
    const resolution = loadConfig([configFile('receivers:\n  zookeeper:\n' + VALID_TAIL)], builtinRegistry(), {});
    assert.deepEqual(resolution.problems, []);
    const receiver = resolution.config!.receivers.get('zookeeper')!;
    assert.deepEqual(receiver.config, receiver.factory.createDefaultConfig());
    assert.deepEqual(receiver.config, {
      endpoints: ['127.0.0.1:2181'],
      collection_interval: 10_000,
      timeout: 5000,
      initial_delay: 0,
      commands: ['mntr', 'ruok', 'srvr'],
      max_response_bytes: 1024 * 1024,
      cons_max_addresses: 100,
      cons_max_connections: 0,
      protocol: 'four_letter_words',
      admin: { port: 8080, scheme: 'http', path: '/commands', urls: {} },
    });
  });

  it('expands ${env:VAR}, ${env:VAR:-default} and $$ as the Collector does', () => {
    const yaml =
      [
        'receivers:',
        '  zookeeper:',
        '    endpoints: ["${env:ZK_HOST}:${env:ZK_PORT}", "${env:UNSET:-127.0.0.1:2182}"]',
        '    cluster: "cost$$center-${env:EMPTY:-unused}-end"',
        '    max_response_bytes: ${env:MAX}',
      ].join('\n') + VALID_TAIL;
    const resolution = loadConfig([configFile(yaml)], builtinRegistry(), { ZK_HOST: 'zk1', ZK_PORT: '2181', MAX: '2048', EMPTY: '' });
    assert.deepEqual(resolution.problems, []);
    const config = resolution.config!.receivers.get('zookeeper')!.config as Record<string, unknown>;
    assert.deepEqual(config.endpoints, ['zk1:2181', '127.0.0.1:2182']);
    assert.equal(config.cluster, 'cost$center--end', 'a variable set to "" does not take its default');
    assert.equal(config.max_response_bytes, 2048, 'a plain ${env:X} takes the YAML type of its value');
  });

  it('keeps ${...} without a scheme as written (Go templates in relabel rules), warning when it names a set variable', () => {
    const yaml = 'receivers:\n  zookeeper:\n    cluster: "zk_${1}-${name}-${HOME}"\n' + VALID_TAIL;
    const resolution = loadConfig([configFile(yaml)], builtinRegistry(), { HOME: '/root' });
    assert.deepEqual(resolution.problems, []);
    assert.equal((resolution.config!.receivers.get('zookeeper')!.config as Record<string, unknown>).cluster, 'zk_${1}-${name}-${HOME}');
    assert.deepEqual(
      resolution.warnings.map((warning) => formatProblem(warning).replace(/^.*?:\d+:\d+: /, '')),
      ['"${HOME}" is kept as written; for the environment variable write ${env:HOME}'],
    );
  });

  it('warns about an unset variable without a default and uses an empty value', () => {
    const yaml = 'receivers:\n  zookeeper:\n    cluster: "a${env:NOPE}b"\n' + VALID_TAIL;
    const resolution = loadConfig([configFile(yaml)], builtinRegistry(), {});
    assert.equal((resolution.config!.receivers.get('zookeeper')!.config as Record<string, unknown>).cluster, 'ab');
    assert.match(formatProblem(resolution.warnings[0]!), /:3:14: environment variable NOPE is not set; using an empty value$/);
  });

  it('merges later files over earlier ones; errors point into the file that set the value', () => {
    const base = configFile('receivers:\n  zookeeper:\n    endpoints: [127.0.0.1:2181]\n    timeout: 2s\n' + VALID_TAIL);
    const override = configFile('receivers:\n  zookeeper:\n    timeout: 1s\n    cluster: prod\n');
    const resolution = loadConfig([base, override], builtinRegistry(), {});
    const config = resolution.config!.receivers.get('zookeeper')!.config as Record<string, unknown>;
    assert.equal(config.timeout, 1000);
    assert.equal(config.cluster, 'prod');
    assert.deepEqual(config.endpoints, ['127.0.0.1:2181']);

    const broken = configFile('receivers:\n  zookeeper:\n    timeout: never\n');
    const failed = loadConfig([base, broken], builtinRegistry(), {});
    assert.deepEqual(failed.problems.map(formatProblem), [
      `${broken}:3:5: receivers::zookeeper::timeout: invalid duration "never": expected a number with a unit (ns, us, ms, s, m, h), e.g. 250ms, 10s, 1m30s`,
    ]);
  });

  it('warns about components no pipeline uses', () => {
    const resolution = loadConfig([configFile('receivers:\n  zookeeper: {}\n  zookeeper/spare: {}\n' + VALID_TAIL)], builtinRegistry(), {});
    assert.deepEqual(resolution.problems, []);
    assert.deepEqual(
      resolution.warnings.map((warning) => formatProblem(warning).replace(/^.*?:\d+:\d+: /, '')),
      ['receivers::zookeeper/spare: receiver "zookeeper/spare" is configured but not used in any pipeline'],
    );
  });

  it('rejects a YAML alias bomb as a config error instead of crashing', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      '',
    ].join('\n');
    const resolution = loadConfig([configFile(bomb)], builtinRegistry(), {});
    assert.equal(resolution.config, undefined);
    assert.match(formatProblem(resolution.problems[0]!), /:1:1: .*alias/i);
  });

  it('names an unreadable file', () => {
    const resolution = loadConfig([path.join(dir, 'missing.yaml')], builtinRegistry(), {});
    assert.deepEqual(resolution.problems.map(formatProblem), [`cannot read config file ${path.join(dir, 'missing.yaml')}: no such file`]);
  });
});
