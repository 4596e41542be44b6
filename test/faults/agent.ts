/** The agent as a separate process for fault tests: what crashes it, or stalls its event loop, shows here. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../harness/fixtures.js';

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly configFile: string;
  readonly dir: string;
  /** JSON log lines written so far (stderr). */
  readonly logs: string[];
  /** Exit code once it exited, else undefined. */
  exitCode(): number | null | undefined;
  writeConfig(yaml: string): void;
  stop(): Promise<void>;
}

/** What the fault campaign varies in the agent's config; everything else is one shape for every fault test. */
export interface FaultAgentConfig {
  /** The zookeeper receiver's targets. */
  readonly endpoints: readonly string[];
  readonly metricsPort: number;
  /** collection_interval (default 200ms). */
  readonly interval?: string | undefined;
  /** The probe timeout (default 1s). */
  readonly timeout?: string | undefined;
  /** The four-letter words to send (the receiver's default when absent). */
  readonly commands?: readonly string[] | undefined;
  /** The Prometheus exporter's web config (basic auth). */
  readonly webConfigFile?: string | undefined;
  /** The health_check extension's port; no extension when absent. */
  readonly healthPort?: number | undefined;
}

/** One zookeeper receiver into one Prometheus exporter on loopback, optionally with health_check: the agent every fault test runs. */
export function faultAgentConfig(options: FaultAgentConfig): string {
  const receiver = [
    `endpoints: [${options.endpoints.join(', ')}]`,
    ...(options.commands ? [`commands: [${options.commands.join(', ')}]`] : []),
    `collection_interval: ${options.interval ?? '200ms'}`,
    `timeout: ${options.timeout ?? '1s'}`,
  ];
  const exporter = [`endpoint: 127.0.0.1:${options.metricsPort}`, ...(options.webConfigFile ? [`web_config_file: ${options.webConfigFile}`] : [])];
  const withHealth = options.healthPort !== undefined;
  return [
    'receivers:',
    `  zookeeper: { ${receiver.join(', ')} }`,
    'exporters:',
    `  prometheus: { ${exporter.join(', ')} }`,
    ...(withHealth ? ['extensions:', `  health_check: { endpoint: 127.0.0.1:${options.healthPort} }`] : []),
    'service:',
    ...(withHealth ? ['  extensions: [health_check]'] : []),
    '  pipelines:',
    '    metrics: { receivers: [zookeeper], exporters: [prometheus] }',
    '',
  ].join('\n');
}

export function spawnAgent(yaml: string, options: { ulimitFiles?: number } = {}): AgentProcess {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-faults-'));
  const configFile = path.join(dir, 'config.yaml');
  writeFileSync(configFile, yaml);
  const cli = path.join(repoRoot(), 'dist/src/cli.js');
  // `exec` keeps the agent's PID the child's, so signals reach node and not a shell.
  const child =
    options.ulimitFiles === undefined
      ? spawn(process.execPath, [cli, '--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn('bash', ['-c', `ulimit -n ${options.ulimitFiles} && exec "$0" "$@"`, process.execPath, cli, '--config', configFile], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
  const logs: string[] = [];
  let pending = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop()!;
    logs.push(...lines);
  });
  let exit: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exit = code;
      resolve();
    }),
  );
  return {
    child,
    configFile,
    dir,
    logs,
    exitCode: () => exit,
    writeConfig: (text) => writeFileSync(configFile, text),
    stop: async () => {
      if (exit === undefined) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
