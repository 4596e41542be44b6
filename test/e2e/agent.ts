/** Runs the agent in-process from a YAML config, as `zkotel --config` would. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { builtinRegistry } from '../../src/components.js';
import { formatProblem } from '../../src/core/config/errors.js';
import { loadConfig } from '../../src/core/config/resolve.js';
import { createLogger } from '../../src/core/logger.js';
import { Service } from '../../src/core/service.js';
import { scrape } from '../harness/exposition.js';
import { freePort } from '../harness/ports.js';

export interface RunningAgent {
  readonly metricsUrl: string;
  readonly metricsEndpoint: string;
  scrape(): ReturnType<typeof scrape>;
  stop(): Promise<void>;
}

/** `yaml` may use `${METRICS_ENDPOINT}`: it is replaced by a free loopback port for the prometheus exporter. */
export async function startAgent(yaml: string): Promise<RunningAgent> {
  const metricsEndpoint = `127.0.0.1:${await freePort()}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-agent-'));
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, yaml.replaceAll('${METRICS_ENDPOINT}', metricsEndpoint));
  return startAgentFromFile(file, { ...process.env }, metricsEndpoint, () => rmSync(dir, { recursive: true, force: true }));
}

/** Runs a config file as it is; its prometheus exporter must listen on `${env:ZKOTEL_METRICS_ENDPOINT}`. */
export async function startAgentFromFile(file: string, env: NodeJS.ProcessEnv, endpoint?: string, cleanup: () => void = () => {}): Promise<RunningAgent> {
  const metricsEndpoint = endpoint ?? `127.0.0.1:${await freePort()}`;
  const resolution = loadConfig([file], builtinRegistry(), { ...env, ZKOTEL_METRICS_ENDPOINT: metricsEndpoint });
  if (!resolution.config) throw new Error(resolution.problems.map(formatProblem).join('\n'));
  const logLines: string[] = [];
  const service = await Service.start(
    resolution.config,
    createLogger('info', (line) => logLines.push(line)),
  );
  const metricsUrl = `http://${metricsEndpoint}/metrics`;
  return {
    metricsUrl,
    metricsEndpoint,
    scrape: () => scrape(metricsUrl),
    stop: async () => {
      await service.shutdown();
      cleanup();
    },
  };
}

/** A whole config around a receivers section: one `metrics` pipeline into a prometheus exporter on `${METRICS_ENDPOINT}`. */
export function prometheusPipeline(receivers: string): string {
  return `receivers:\n${receivers}\nexporters:\n  prometheus: { endpoint: \${METRICS_ENDPOINT} }\nservice:\n  pipelines:\n    metrics: { receivers: [zookeeper], exporters: [prometheus] }\n`;
}
