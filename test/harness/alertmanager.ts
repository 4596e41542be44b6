/**
 * A real Alertmanager (Debian's prometheus-alertmanager) on a free loopback port, in a temp dir, with clustering off
 * (`--cluster.listen-address=`, else it binds 0.0.0.0:9094).
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { freePort } from './ports.js';
import { pollUntil, spawnLogged } from './process.js';
import { harnessDir, stopServer } from './temp-dir.js';

export const ALERTMANAGER_BINARY = '/usr/bin/prometheus-alertmanager';

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; inhibitedBy: string[]; silencedBy: string[] };
  startsAt: string;
  endsAt: string;
}

export interface AlertmanagerServer {
  /** http://127.0.0.1:port */
  readonly url: string;
  /** host:port, for Prometheus's `alerting.alertmanagers`. */
  readonly address: string;
  readonly logFile: string;
  /** GET /api/v2/alerts: every alert it holds (active, inhibited or silenced), resolved ones excluded. */
  alerts(): Promise<AlertmanagerAlert[]>;
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

export async function startAlertmanager(options: { config: string; log?: boolean; keepDir?: boolean }): Promise<AlertmanagerServer> {
  const workDir = await harnessDir('zkotel-am-', { keep: options.keepDir });
  const dir = workDir.path;
  const configFile = path.join(dir, 'alertmanager.yml');
  const logFile = path.join(dir, 'alertmanager.log');
  await fsp.writeFile(configFile, options.config);
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const url = `http://${address}`;
  const args = [`--config.file=${configFile}`, `--storage.path=${path.join(dir, 'data')}`, `--web.listen-address=${address}`, '--cluster.listen-address='];
  await fsp.writeFile(logFile, `==== zkotel harness: ${ALERTMANAGER_BINARY} ${args.join(' ')}\n`);
  const log = options.log ?? process.env.ZKOTEL_HARNESS_LOG === '1';
  const proc = spawnLogged(ALERTMANAGER_BINARY, args, { logFile, cwd: dir, ...(log ? { echoPrefix: '[alertmanager]' } : {}) });
  const server: AlertmanagerServer = {
    url,
    address,
    logFile,
    async alerts() {
      const res = await fetch(`${url}/api/v2/alerts`, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`GET /api/v2/alerts -> HTTP ${res.status}: ${await res.text()}`);
      return (await res.json()) as AlertmanagerAlert[];
    },
    logTail: (lines = 30) => proc.tail(lines),
    stop: stopServer(proc, workDir),
  };
  try {
    await pollUntil(async () => (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) })).ok, {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: `Alertmanager ready at ${url}`,
      abort: () => (proc.running ? undefined : 'alertmanager exited'),
      context: () => proc.tail(),
    });
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}
