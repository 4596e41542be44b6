/**
 * dns: the targets behind DNS names, re-resolved every refresh_interval (e.g. a Kubernetes headless service: one
 * A record or SRV record per ready pod). As in Prometheus, SRV targets are `<target name>:<port>` (the name is
 * resolved again when probed) and A/AAAA targets are `<address>:<port>`.
 */
import dns from 'node:dns';
import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { parseHostPort } from '../../core/config/schema.js';
import type { Logger } from '../../core/logger.js';
import type { DnsConfig } from './config.js';
import { endpointOf, META_LABELS, sameTargetList, uniqueTargets, type Target } from './target.js';

/** Answers that say "no such records": the name has no targets now, which is news, not a failure. */
const NO_RECORDS: ReadonlySet<string> = new Set([dns.NOTFOUND, dns.NODATA]);
const LOOKUP_TIMEOUT_MS = 5000;
const LOOKUP_TRIES = 2;

/** When neither the config nor the receiver gives a refresh interval. */
const DEFAULT_REFRESH_INTERVAL_MS = 30_000;

/** `defaultRefreshIntervalMs` (the receiver's collection interval) applies when the config sets no refresh_interval. */
export function dnsTargets(
  config: DnsConfig,
  logger: Logger,
  defaultRefreshIntervalMs = DEFAULT_REFRESH_INTERVAL_MS,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<readonly Target[]> {
  const refreshIntervalMs = config.refresh_interval ?? defaultRefreshIntervalMs;
  return new Observable<readonly Target[]>((subscriber) => {
    const resolver = new dns.promises.Resolver({ timeout: Math.min(LOOKUP_TIMEOUT_MS, refreshIntervalMs), tries: LOOKUP_TRIES });
    if (config.server) resolver.setServers([config.server]);
    /** The last good answer of each name: a failed lookup keeps it. */
    const lastGood = new Map<string, readonly string[]>();
    const failing = new Map<string, string>();
    /** Unusable answers (e.g. SRV target "."), per name: each logged once while the name keeps giving it. */
    const rejected = new Map<string, ReadonlySet<string>>();
    let emitted: readonly Target[] | undefined;
    let stopped = false;
    let timer: Subscription | undefined;

    const resolveName = async (name: string) => {
      try {
        const endpoints = usable(name, await lookup(resolver, config, name));
        if (failing.delete(name)) logger.info('dns: lookup works again', { name, targets: endpoints.length });
        lastGood.set(name, endpoints);
      } catch (error) {
        if (stopped) return;
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== undefined && NO_RECORDS.has(code)) {
          if (failing.delete(name)) logger.info('dns: lookup works again', { name, targets: 0 });
          lastGood.set(name, []);
          return;
        }
        const reason = code ?? String(error);
        if (failing.get(name) !== reason)
          logger.warn('dns: lookup failed; keeping its last good targets', {
            name,
            type: config.type,
            error: reason,
            kept_targets: lastGood.get(name)?.length ?? 0,
          });
        failing.set(name, reason);
      }
    };

    const usable = (name: string, endpoints: readonly string[]): string[] => {
      const bad = new Set(endpoints.filter((endpoint) => parseHostPort(endpoint) === undefined));
      const before = rejected.get(name);
      for (const endpoint of bad) if (!before?.has(endpoint)) logger.warn('dns: ignored an answer that is no host:port', { name, type: config.type, endpoint });
      if (bad.size > 0) rejected.set(name, bad);
      else rejected.delete(name);
      return endpoints.filter((endpoint) => !bad.has(endpoint));
    };

    const round = async () => {
      await Promise.all(config.names.map(resolveName));
      if (stopped) return;
      const list = uniqueTargets(
        config.names.flatMap((name) =>
          (lastGood.get(name) ?? []).map((endpoint) => ({ endpoint, attributes: {}, meta: { [META_LABELS.source]: 'dns', [META_LABELS.dnsName]: name } })),
        ),
      );
      if (!emitted || !sameTargetList(emitted, list)) {
        emitted = list;
        subscriber.next(list);
      }
      timer = scheduler.schedule(() => void round(), refreshIntervalMs);
    };

    void round();
    return () => {
      stopped = true;
      timer?.unsubscribe();
      resolver.cancel();
    };
  });
}

/** The endpoints of one name, sorted: DNS servers rotate their answers, which is no change of targets. */
async function lookup(resolver: dns.promises.Resolver, config: DnsConfig, name: string): Promise<string[]> {
  switch (config.type) {
    case 'SRV':
      return (await resolver.resolveSrv(name)).map((record) => endpointOf(record.name.replace(/\.$/, ''), record.port)).sort();
    case 'A':
      return (await resolver.resolve4(name)).map((address) => endpointOf(address, config.port!)).sort();
    case 'AAAA':
      return (await resolver.resolve6(name)).map((address) => endpointOf(address, config.port!)).sort();
  }
}
