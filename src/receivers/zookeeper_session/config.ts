import fs from 'node:fs';
import { z } from 'zod';
import { configObject, duration, hostPort } from '../../core/config/schema.js';
import { clientTlsConfigSchema } from '../../core/config/tls.js';
import { discoveryConfigSchema } from '../discovery/config.js';
import { tlsEnsembleProblem } from '../discovery/ensemble.js';
import { Secret } from './secret.js';

/** As the zookeeper receiver: a local server when nothing is configured. */
const DEFAULT_ENDPOINT = '127.0.0.1:2181';

/** An absolute znode path: `/a/b`, no trailing `/`, no empty, `.` or `..` segment. */
const znodePath = z.string().refine(
  (path) => /^\/[^/]/.test(path) && path.split('/').slice(1).every((segment) => segment !== '' && segment !== '.' && segment !== '..') && !path.includes('\0'),
  { error: (issue) => `invalid znode path ${JSON.stringify(issue.input)}: expected an absolute path below the root such as /zkotel (no trailing "/", no empty, "." or ".." segment)` },
);

/** Checks at config time that the file can be read; its content is read when a session opens, never printed. */
const readableFile = z.string().min(1, 'must name a file').superRefine((file, ctx) => {
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `cannot read ${JSON.stringify(file)}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` });
  }
});

const secret = z.string().min(1, 'must not be empty').transform((value) => new Secret(value));

const authConfigSchema = configObject({
  /** ZooKeeper's `digest` scheme: `addAuthInfo('digest', 'username:password')`. */
  scheme: z.enum(['digest']).default('digest'),
  username: z.string().min(1).refine((name) => !name.includes(':'), 'a digest user name cannot contain ":"'),
  /** The password inline, typically `${env:ZK_PASSWORD}`. Never logged. */
  password: secret.optional(),
  /** A file holding the password (one trailing newline is ignored); re-read whenever a session opens. */
  password_file: readableFile.optional(),
}).superRefine((auth, ctx) => {
  if ((auth.password === undefined) === (auth.password_file === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['password'], message: 'set exactly one of password and password_file' });
  }
});

export type SessionAuthConfig = z.output<typeof authConfigSchema>;

export const zookeeperSessionReceiverConfigSchema = configObject({
  /** One `host:port` client port; shorthand for a one-item `endpoints`. */
  endpoint: hostPort().optional(),
  endpoints: z.array(hostPort()).default([]),
  collection_interval: duration({ min: 10 }).prefault('10s'),
  /** One deadline for a round of one server: (re)connecting and every operation. */
  timeout: duration({ min: 1 }).prefault('5s'),
  /** Wait before the first round. */
  initial_delay: duration().prefault('0s'),
  /** Parent of the probe znodes; created (persistent) when missing. The agent's own znodes below it are ephemeral. */
  path: znodePath.default('/zkotel'),
  /** Value of the `zk.cluster` attribute on every series. */
  cluster: z.string().min(1).optional(),
  /** Asked of the server for every probe session; the server clamps it to its own min/max (2–20 tickTime). */
  session_timeout: duration({ min: 1000 }).prefault('10s'),
  replication_lag: configObject({
    enabled: z.boolean().default(true),
    /** How long a write may take to be seen on another server before it counts as an error. */
    timeout: duration({ min: 1 }).prefault('5s'),
  }).prefault({}),
  auth: authConfigSchema.optional(),
  /** TLS to the servers' secure client port (`secureClientPort`). */
  tls: clientTlsConfigSchema.optional(),
  /** Targets beyond the static `endpoints`. */
  discovery: discoveryConfigSchema.optional(),
})
  .prefault({})
  .transform((config, ctx) => {
    const listed = [...(config.endpoint ? [config.endpoint] : []), ...config.endpoints];
    const endpoints = listed.length > 0 ? listed : [DEFAULT_ENDPOINT];
    const duplicates = endpoints.filter((endpoint, index) => endpoints.indexOf(endpoint) !== index);
    if (duplicates.length > 0) ctx.addIssue({ code: 'custom', path: ['endpoints'], message: `endpoint listed twice: ${duplicates.join(', ')}` });
    const { endpoint: _single, ...rest } = config;
    const tlsProblem = tlsEnsembleProblem(config.tls, config.discovery);
    if (tlsProblem) ctx.addIssue({ code: 'custom', path: ['discovery', 'member_port'], message: tlsProblem });
    return { ...rest, endpoints };
  });

export type ZookeeperSessionReceiverConfig = z.output<typeof zookeeperSessionReceiverConfigSchema>;

/** The `scheme` and `auth` bytes for `addAuthInfo`, read now (so a rotated password file applies to the next session). */
export function authInfo(auth: SessionAuthConfig): { scheme: string; auth: Buffer } {
  const password = auth.password?.reveal() ?? fs.readFileSync(auth.password_file!, 'utf8').replace(/\r?\n$/, '');
  return { scheme: auth.scheme, auth: Buffer.from(`${auth.username}:${password}`) };
}
