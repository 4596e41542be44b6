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

export function spawnAgent(yaml: string, options: { ulimitFiles?: number } = {}): AgentProcess {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-faults-'));
  const configFile = path.join(dir, 'config.yaml');
  writeFileSync(configFile, yaml);
  const cli = path.join(repoRoot(), 'dist/src/cli.js');
  // `exec` keeps the agent's PID the child's, so signals reach node and not a shell.
  const child =
    options.ulimitFiles === undefined
      ? spawn(process.execPath, [cli, '--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn('bash', ['-c', `ulimit -n ${options.ulimitFiles} && exec "$0" "$@"`, process.execPath, cli, '--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
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
