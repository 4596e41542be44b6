import { z } from 'zod';
import { byteSize, configObject, hostPort, parseHostPort } from '../../core/config/schema.js';
import { clientTlsConfigSchema } from '../../internal/tls/client-tls.js';
import { tlsEnsembleProblem } from '../../internal/targets/ensemble.js';
import { staticEndpoints, targetReceiverFields } from '../../internal/targets/static-endpoints.js';
import { DEFAULT_CONS_MAX_ADDRESSES } from './parse-optional-words.js';

/** Four-letter words this receiver knows how to turn into metrics; all but the defaults are opt-in. */
export const FOUR_LETTER_WORDS = ['mntr', 'ruok', 'srvr', 'stat', 'isro', 'wchs', 'envi', 'conf', 'cons'] as const;
export type FourLetterWord = (typeof FOUR_LETTER_WORDS)[number];

/** How commands reach the server: four-letter words on the client port, or the AdminServer's JSON API. */
export const PROTOCOLS = ['four_letter_words', 'admin'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** ZooKeeper's defaults: `admin.serverPort=8080`, `admin.commandURL=/commands`. */
const DEFAULT_ADMIN_PORT = 8080;
const DEFAULT_ADMIN_PATH = '/commands';

const adminUrl = z.string().superRefine((text, ctx) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: `invalid URL ${JSON.stringify(text)}: expected e.g. http://zk1:8080/commands` });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text)}: only http:// and https:// AdminServer URLs` });
  if (url.search || url.hash || url.username || url.password)
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text)}: no query, fragment or credentials in an AdminServer URL` });
});

export const zookeeperReceiverConfigSchema = configObject({
  ...targetReceiverFields,
  commands: z
    .array(z.enum(FOUR_LETTER_WORDS))
    .min(1, 'list at least one command')
    .refine((list) => new Set(list).size === list.length, 'a command is listed twice')
    .default(['mntr', 'ruok', 'srvr']),
  max_response_bytes: byteSize().prefault(1024 * 1024),
  /** `cons`: client addresses with their own series; the rest are summed as client_address="other". */
  cons_max_addresses: z.number().int().min(1).default(DEFAULT_CONS_MAX_ADDRESSES),
  /** `cons`: connections with a session that get series of their own, busiest first; 0 (default) for none. */
  cons_max_connections: z.number().int().min(0).default(0),
  protocol: z.enum(PROTOCOLS).default('four_letter_words'),
  /** `protocol: admin`: the AdminServer port on each endpoint's host (`admin.serverPort`). */
  admin_port: z.number().int().min(1).max(65535).optional(),
  /** `protocol: admin`: http or https (default: https when `tls` is set, else http). */
  admin_scheme: z.enum(['http', 'https']).optional(),
  /** `protocol: admin`: the AdminServer's command path (`admin.commandURL`). */
  admin_path: z.string().startsWith('/', 'must start with /').optional(),
  /** `protocol: admin`: AdminServer base URL per client endpoint, where the rule above does not fit. */
  admin_endpoints: z.record(hostPort(), adminUrl).optional(),
  /** TLS for four-letter words (the secure client port) or for an https AdminServer. */
  tls: clientTlsConfigSchema.optional(),
})
  .prefault({})
  .transform((config, ctx) => {
    const endpoints = staticEndpoints(config, ctx);
    const { endpoint: _single, admin_port, admin_scheme, admin_path, admin_endpoints, ...rest } = config;
    const adminKeys = Object.entries({ admin_port, admin_scheme, admin_path, admin_endpoints }).filter(([, value]) => value !== undefined);
    if (config.protocol !== 'admin') {
      for (const [key] of adminKeys)
        ctx.addIssue({ code: 'custom', path: [key], message: `${key} applies to protocol: admin only (protocol is ${config.protocol})` });
    }
    const scheme = admin_scheme ?? (config.tls ? 'https' : 'http');
    const admin: AdminSettings = { port: admin_port ?? DEFAULT_ADMIN_PORT, scheme, path: admin_path ?? DEFAULT_ADMIN_PATH, urls: admin_endpoints ?? {} };
    if (config.protocol === 'admin' && config.tls && scheme === 'http' && !Object.values(admin.urls).some((url) => url.startsWith('https:'))) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls is set but every AdminServer URL is http://: set admin_scheme: https (or drop tls)' });
    }
    const tlsProblem = config.protocol === 'four_letter_words' ? tlsEnsembleProblem(config.tls, config.discovery) : undefined;
    if (tlsProblem) ctx.addIssue({ code: 'custom', path: ['discovery', 'member_port'], message: tlsProblem });
    return { ...rest, endpoints, admin };
  });

export interface AdminSettings {
  readonly port: number;
  readonly scheme: 'http' | 'https';
  readonly path: string;
  /** Base URL by client endpoint, from admin_endpoints. */
  readonly urls: Readonly<Record<string, string>>;
}

/**
 * The AdminServer base URL of a client endpoint (`host:port` as configured or discovered): its admin_endpoints
 * entry, else `<admin_scheme>://<host>:<admin_port><admin_path>`. The identity stays the client endpoint.
 */
export function adminBaseUrl(admin: AdminSettings, endpoint: string): URL {
  const given = admin.urls[endpoint];
  if (given !== undefined) return new URL(given);
  const { host } = parseHostPort(endpoint)!;
  return new URL(`${admin.scheme}://${host.includes(':') ? `[${host}]` : host}:${admin.port}${admin.path}`);
}

export type ZookeeperReceiverConfig = z.output<typeof zookeeperReceiverConfigSchema>;
