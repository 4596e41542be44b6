/**
 * Dynamic reconfiguration of a harness ensemble (started with `reconfig: true`), through ZooKeeper's own CLI:
 * node-zookeeper-client has no `reconfig` call. The CLI may report ConnectionLoss although the change was
 * committed (the leader can change under it), so success is judged by `/zookeeper/config` itself.
 */
import { execFile } from 'node:child_process';
import zookeeper from 'node-zookeeper-client';
import { ZOOKEEPER_CLASSPATH, type Ensemble, type EnsembleNode } from './ensemble.js';
import { pollUntil } from './process.js';

/** The `server.N=…` line of a node, as `reconfig -add` takes it and `/zookeeper/config` lists it. */
export function memberSpec(node: EnsembleNode): string {
  return `server.${node.id}=127.0.0.1:${node.quorumPort}:${node.electionPort}:${node.role};127.0.0.1:${node.clientPort}`;
}

/** The content of `/zookeeper/config` as read through one server. */
export function readMembership(endpoint: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = zookeeper.createClient(endpoint, { sessionTimeout: timeoutMs, retries: 0 });
    const timer = setTimeout(() => finish(new Error(`reading /zookeeper/config from ${endpoint} timed out`)), timeoutMs);
    const finish = (error: Error | undefined, text?: string) => {
      clearTimeout(timer);
      client.close();
      if (error) reject(error);
      else resolve(text ?? '');
    };
    client.once('connected', () =>
      client.getData('/zookeeper/config', (error, data) => finish(error ? new Error(String(error)) : undefined, data?.toString('utf8'))),
    );
    client.connect();
  });
}

/** Member ids listed in `/zookeeper/config`. */
export function memberIds(config: string): number[] {
  return [...config.matchAll(/^server\.(\d+)=/gm)].map((match) => Number(match[1])).sort((a, b) => a - b);
}

function zkCli(server: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      'java',
      ['-cp', ZOOKEEPER_CLASSPATH.join(':'), 'org.apache.zookeeper.ZooKeeperMain', '-server', server, ...args],
      { timeout: 60_000 },
      (error, stdout, stderr) => resolve(`${stdout}${stderr}${error ? `\n(${error.message})` : ''}`),
    );
  });
}

/**
 * Runs `reconfig` through `via` (a running member) until `/zookeeper/config` lists exactly `expectIds`; retried,
 * since a reconfig can fail while the ensemble is still settling from the last one.
 */
async function reconfigUntil(ensemble: Ensemble, via: EnsembleNode, args: string[], expectIds: number[]): Promise<void> {
  let output = '';
  const want = [...expectIds].sort((a, b) => a - b).join(',');
  await pollUntil(
    async () => {
      const current = memberIds(await readMembership(via.endpoint)).join(',');
      if (current === want) return true;
      output = await zkCli(via.endpoint, ['reconfig', ...args]);
      return memberIds(await readMembership(via.endpoint)).join(',') === want;
    },
    {
      timeoutMs: 90_000,
      intervalMs: 1000,
      what: `reconfig ${args.join(' ')} → members ${want}`,
      context: () => `last CLI output:\n${output}\n${ensemble.logTail(via.id, 20)}`,
    },
  );
}

/** `reconfig -remove <id>`, through another member; resolves once the membership no longer lists it. */
export async function removeMember(ensemble: Ensemble, id: number): Promise<void> {
  const via = ensemble.nodes.find((node) => node.id !== id && node.pid !== undefined);
  if (!via) throw new Error(`no running member other than ${id} to reconfigure through`);
  const remaining = memberIds(await readMembership(via.endpoint)).filter((member) => member !== id);
  await reconfigUntil(ensemble, via, ['-remove', String(id)], remaining);
}

/** `reconfig -add <spec of node id>`; resolves once the membership lists it again. */
export async function addMember(ensemble: Ensemble, id: number): Promise<void> {
  const via = ensemble.nodes.find((node) => node.id !== id && node.pid !== undefined);
  if (!via) throw new Error(`no running member other than ${id} to reconfigure through`);
  const members = memberIds(await readMembership(via.endpoint));
  await reconfigUntil(ensemble, via, ['-add', memberSpec(ensemble.node(id))], [...new Set([...members, id])]);
}
