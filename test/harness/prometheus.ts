/**
 * A real Prometheus (Debian's /usr/bin/prometheus, 2.42) for tests: fresh config and TSDB in a temp dir,
 * listening on 127.0.0.1:<free port>, lifecycle API enabled. Its first scrape comes ~5–6 s after start:
 * wait for a condition with waitFor(), never a fixed sleep.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { pollUntil, spawnLogged, type LoggedProcess } from './process.js';
import { freePort } from './ports.js';
import { harnessDir, stopServer } from './temp-dir.js';

export const PROMETHEUS_BINARY = '/usr/bin/prometheus';

export interface PrometheusOptions {
  /** host:port targets of the one scrape job. */
  scrapeTargets: string[];
  /** Scrape (and rule evaluation) interval, default '1s'. */
  scrapeInterval?: string;
  /** Scrape timeout, default = scrapeInterval. */
  scrapeTimeout?: string;
  metricsPath?: string;
  /** Job name of the scrape job, default 'zkotel'. */
  jobName?: string;
  /**
   * More settings of the generated scrape job, laid over it (e.g. `scheme: 'https'`, `tls_config: {ca_file}`,
   * `basic_auth: {username, password}`).
   */
  scrapeJobConfig?: Record<string, unknown>;
  /**
   * Extra top-level configuration (e.g. rule_files, alerting). An object is merged into the generated config
   * (its scrape_configs are appended to the generated job); a string is appended as raw YAML.
   */
  extraConfig?: Record<string, unknown> | string;
  /** Extra command-line flags. */
  extraArgs?: string[];
  /** Parent of the temp dir (default os.tmpdir()). */
  workDir?: string;
  /** Keep the temp dir on stop() (default: env ZKOTEL_KEEP_TMP=1). */
  keepDir?: boolean;
  /** Mirror Prometheus's output to stderr (default: env ZKOTEL_HARNESS_LOG=1). */
  log?: boolean;
  /** How long to wait for /-/ready (default 30 s). */
  readyTimeoutMs?: number;
}

export interface PromSample {
  metric: Record<string, string>;
  /** [unix seconds, value as string] for instant vectors and scalars. */
  value?: [number, string];
  /** For range vectors. */
  values?: Array<[number, string]>;
}

export interface PromTarget {
  labels: Record<string, string>;
  discoveredLabels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  [key: string]: unknown;
}

export interface PrometheusServer {
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly configFile: string;
  readonly logFile: string;
  readonly pid: number | undefined;
  /** Instant query; returns the result array (a scalar/string result is wrapped as one sample without labels). */
  query(promql: string): Promise<PromSample[]>;
  /** Active targets. */
  targets(): Promise<PromTarget[]>;
  /** Polls `predicate` (default every 250 ms) until it returns a truthy value, which is returned; throws after timeoutMs. */
  waitFor<T>(predicate: () => Promise<T> | T, timeoutMs?: number, what?: string): Promise<NonNullable<T>>;
  /** POST /-/reload (after rewriting configFile). */
  reload(): Promise<void>;
  logTail(lines?: number): string;
  /** SIGTERM (SIGKILL after 10 s), then removes the temp dir. */
  stop(): Promise<void>;
}

interface ApiResponse<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
}

async function apiGet<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as ApiResponse<T>;
  if (body.status !== 'success' || body.data === undefined) {
    throw new Error(`GET ${url} -> HTTP ${res.status}: ${body.errorType ?? ''} ${body.error ?? JSON.stringify(body)}`);
  }
  return body.data;
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  if (!fs.existsSync(PROMETHEUS_BINARY)) {
    throw new Error(`${PROMETHEUS_BINARY} is missing: run bash scripts/setup.sh`);
  }
  const workDir = await harnessDir('zkotel-prom-', { keep: options.keepDir, parent: options.workDir });
  const dir = workDir.path;
  const configFile = path.join(dir, 'prometheus.yml');
  const logFile = path.join(dir, 'prometheus.log');
  const interval = options.scrapeInterval ?? '1s';

  const job = {
    job_name: options.jobName ?? 'zkotel',
    metrics_path: options.metricsPath ?? '/metrics',
    static_configs: [{ targets: options.scrapeTargets }],
    ...options.scrapeJobConfig,
  };
  let config: Record<string, unknown> = {
    global: {
      scrape_interval: interval,
      scrape_timeout: options.scrapeTimeout ?? interval,
      evaluation_interval: interval,
    },
    scrape_configs: [job],
  };
  let rawExtra = '';
  if (typeof options.extraConfig === 'string') {
    rawExtra = '\n' + options.extraConfig + '\n';
  } else if (options.extraConfig) {
    const { scrape_configs: extraJobs, ...rest } = options.extraConfig;
    config = { ...config, ...rest, scrape_configs: [job, ...(Array.isArray(extraJobs) ? extraJobs : [])] };
  }
  await fsp.writeFile(configFile, YAML.stringify(config) + rawExtra);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-lifecycle',
    '--log.level=info',
    ...(options.extraArgs ?? []),
  ];
  await fsp.writeFile(logFile, `==== zkotel harness: ${PROMETHEUS_BINARY} ${args.join(' ')}\n`);
  const log = options.log ?? process.env.ZKOTEL_HARNESS_LOG === '1';
  let proc: LoggedProcess;
  try {
    proc = spawnLogged(PROMETHEUS_BINARY, args, {
      logFile,
      cwd: dir,
      ...(log ? { echoPrefix: '[prometheus]' } : {}),
    });
  } catch (err) {
    await workDir.remove();
    throw err;
  }

  const tail = (lines = 30): string => `--- ${logFile}, last ${lines} lines:\n${proc.tail(lines)}`;
  const died = (): string | undefined => (proc.running ? undefined : `prometheus exited (${JSON.stringify(proc.exitStatus)})`);

  const server: PrometheusServer = {
    url,
    port,
    dir,
    configFile,
    logFile,
    get pid() {
      return proc.pid;
    },
    async query(promql) {
      const data = await apiGet<{ resultType: string; result: unknown }>(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      if (Array.isArray(data.result)) return data.result as PromSample[];
      return [{ metric: {}, value: data.result as [number, string] }];
    },
    async targets() {
      const data = await apiGet<{ activeTargets: PromTarget[] }>(`${url}/api/v1/targets?state=active`);
      return data.activeTargets;
    },
    waitFor(predicate, timeoutMs = 30_000, what = 'a Prometheus condition') {
      return pollUntil(predicate, { timeoutMs, intervalMs: 250, what, abort: died, context: () => tail() });
    },
    async reload() {
      const res = await fetch(`${url}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`POST /-/reload -> HTTP ${res.status}: ${await res.text()}\n${tail()}`);
    },
    logTail(lines = 30) {
      return proc.tail(lines);
    },
    stop: stopServer(proc, workDir),
  };

  try {
    await pollUntil(
      async () => {
        const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        return res.ok;
      },
      { timeoutMs: options.readyTimeoutMs ?? 30_000, intervalMs: 100, what: `Prometheus ready at ${url}`, abort: died, context: () => tail() },
    );
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
