/**
 * A real DNS server on loopback for discovery tests: Debian's `dnsmasq` (package dnsmasq-base) on a free port,
 * authoritative for one test domain (unknown names there are NXDOMAIN), answering from a hosts file (A/AAAA,
 * re-read on SIGHUP) and from `--srv-host` options (fixed per run: `setSrv` restarts it on the same port).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import dns from 'node:dns';
import { freePort } from './ports.js';
import { pollUntil, registerTempDir, spawnLogged, unregisterTempDir, type LoggedProcess } from './process.js';

export const DNSMASQ = '/usr/sbin/dnsmasq';
export const TEST_DOMAIN = 'zk.test';

export interface SrvRecord {
  readonly target: string;
  readonly port: number;
}

export interface DnsServer {
  /** `127.0.0.1:port`, for `dns.server` and `Resolver.setServers`. */
  readonly address: string;
  /** Replaces the A/AAAA records (`name → addresses`) and makes dnsmasq re-read them. */
  setHosts(hosts: Record<string, readonly string[]>): Promise<void>;
  /** Replaces the SRV records (`name → records`): restarts dnsmasq with the new records. */
  setSrv(srv: Record<string, readonly SrvRecord[]>): Promise<void>;
  /** Stops answering (the port is closed) until `start()`. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its files. */
  close(): Promise<void>;
}

export async function startDnsServer(hosts: Record<string, readonly string[]> = {}, srv: Record<string, readonly SrvRecord[]> = {}): Promise<DnsServer> {
  if (!fs.existsSync(DNSMASQ)) throw new Error(`${DNSMASQ} is missing: run bash scripts/setup.sh (Debian package dnsmasq-base)`);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'zkotel-dns-'));
  registerTempDir(dir);
  const hostsFile = path.join(dir, 'hosts');
  const logFile = path.join(dir, 'dnsmasq.log');
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  let srvRecords = srv;
  let child: LoggedProcess | undefined;

  const writeHosts = (records: Record<string, readonly string[]>) =>
    fsp.writeFile(
      hostsFile,
      Object.entries(records)
        .flatMap(([name, addresses]) => addresses.map((a) => `${a} ${name}\n`))
        .join(''),
    );

  /** Answers once it serves the test domain: an unknown name there is NXDOMAIN, not a refusal or a timeout. */
  const waitAnswering = () => {
    const resolver = new dns.promises.Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([address]);
    return pollUntil(
      () =>
        resolver.resolve4(`readiness-probe.${TEST_DOMAIN}`).then(
          () => true,
          (error: NodeJS.ErrnoException) => error.code === dns.NOTFOUND,
        ),
      { timeoutMs: 15_000, what: `dnsmasq answering on ${address}`, abort: () => (child?.running === false ? `dnsmasq exited: ${child.tail(10)}` : undefined) },
    );
  };

  const start = async () => {
    if (child?.running) return;
    const args = [
      '--keep-in-foreground',
      `--port=${port}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      '--no-resolv',
      '--no-hosts',
      '--no-poll',
      `--local=/${TEST_DOMAIN}/`,
      `--addn-hosts=${hostsFile}`,
      '--cache-size=0',
      '--pid-file=',
      '--log-facility=-',
      // As root dnsmasq would drop to `nobody`, who cannot read the hosts file in our private temp dir.
      `--user=${os.userInfo().username}`,
      ...Object.entries(srvRecords).flatMap(([name, records]) => records.map((r) => `--srv-host=${name},${r.target},${r.port}`)),
    ];
    child = spawnLogged(DNSMASQ, args, { logFile });
    await waitAnswering();
  };

  const stop = async () => {
    await child?.stop('SIGTERM', 5000);
  };

  await writeHosts(hosts);
  await start();
  return {
    address,
    setHosts: async (records) => {
      await writeHosts(records);
      child?.signal('SIGHUP');
      // SIGHUP is asynchronous: wait until every name answers with its new addresses.
      const resolver = new dns.promises.Resolver({ timeout: 500, tries: 1 });
      resolver.setServers([address]);
      await pollUntil(
        async () => {
          for (const [name, addresses] of Object.entries(records)) {
            const v4 = addresses.filter((a) => !a.includes(':')).sort();
            const got = await resolver.resolve4(name).catch(() => [] as string[]);
            if (got.sort().join() !== v4.join()) return false;
          }
          return true;
        },
        { timeoutMs: 15_000, what: 'dnsmasq serving the new hosts file' },
      );
    },
    setSrv: async (records) => {
      srvRecords = records;
      await stop();
      await start();
    },
    stop,
    start,
    close: async () => {
      await stop();
      unregisterTempDir(dir);
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}
