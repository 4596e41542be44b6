import net from 'node:net';
import { z } from 'zod';
import { configObject, duration, parseHostPort } from '../../core/config/schema.js';
import { FILE_SD_PATTERN, FILE_SD_PATTERN_HINT } from './file-sd-parse.js';

export const DNS_RECORD_TYPES = ['SRV', 'A', 'AAAA'] as const;
export type DnsRecordType = (typeof DNS_RECORD_TYPES)[number];

/** Prometheus `file_sd_configs`: target groups in JSON or YAML files, re-read on change and every refresh_interval. */
export const fileSdConfigSchema = configObject({
  files: z
    .array(z.string().regex(FILE_SD_PATTERN, { error: (issue) => `invalid file pattern ${JSON.stringify(issue.input)}: ${FILE_SD_PATTERN_HINT}` }))
    .min(1, 'list at least one file pattern'),
  refresh_interval: duration({ min: 10 }).prefault('5m'),
});

/** Prometheus `dns_sd_configs`: names re-resolved every refresh_interval (e.g. a Kubernetes headless service). */
export const dnsConfigSchema = configObject({
  names: z.array(z.string().min(1)).min(1, 'list at least one name'),
  type: z.enum(DNS_RECORD_TYPES).default('SRV'),
  /** The client port of every address found; required for A and AAAA (SRV records carry their own). */
  port: z.number().int().min(1).max(65535).optional(),
  /** Unset: the receiver's collection_interval, so a member that joins is probed from the next round on. */
  refresh_interval: duration({ min: 10 }).optional(),
  /** `address:port` of the DNS server to ask instead of the system's resolvers (an IP address: no name to resolve). */
  server: dnsServer().optional(),
}).superRefine((config, ctx) => {
  if (config.type !== 'SRV' && config.port === undefined)
    ctx.addIssue({ code: 'custom', path: ['port'], message: `required for type ${config.type}: the client port to probe on every address` });
  if (config.type === 'SRV' && config.port !== undefined)
    ctx.addIssue({ code: 'custom', path: ['port'], message: 'SRV records carry their own port: remove port, or use type A/AAAA' });
});

/** Node's resolver takes IP addresses only; a host name would fail at every lookup, so it is refused here. */
function dnsServer() {
  return z.string().refine((text) => net.isIP(parseHostPort(text)?.host ?? '') !== 0, {
    error: (issue) =>
      `invalid DNS server ${JSON.stringify(issue.input)}: expected an IP address and port, e.g. 10.0.0.2:53 or [fd00::2]:53 (a host name cannot be used: it would need a DNS server itself)`,
  });
}

/** `discovery:` of a ZooKeeper receiver: where to find targets beyond its static `endpoints`. */
export const discoveryConfigSchema = configObject({
  /** Expand the seeds (static endpoints, file_sd and dns targets) to the ensemble's members from `/zookeeper/config`. */
  ensemble: z.boolean().default(false),
  /**
   * With `ensemble`: the port to probe on every member instead of the client port its membership line lists. The
   * membership never lists the secureClientPort, so set this for tls (and for TLS-only servers, which list none).
   */
  member_port: z.number().int().min(1).max(65535).optional(),
  file_sd: fileSdConfigSchema.optional(),
  dns: dnsConfigSchema.optional(),
}).superRefine((config, ctx) => {
  if (config.member_port !== undefined && !config.ensemble)
    ctx.addIssue({ code: 'custom', path: ['member_port'], message: 'applies to ensemble discovery only: set ensemble: true, or remove member_port' });
});

export type DiscoveryConfig = z.output<typeof discoveryConfigSchema>;
export type FileSdConfig = z.output<typeof fileSdConfigSchema>;
export type DnsConfig = z.output<typeof dnsConfigSchema>;

/** Whether the config names targets of its own (file_sd, dns), so the receiver needs no static endpoint. */
export function hasTargetSources(config: DiscoveryConfig | undefined): boolean {
  return config?.file_sd !== undefined || config?.dns !== undefined;
}
