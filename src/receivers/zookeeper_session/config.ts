import fs from 'node:fs';
import { z } from 'zod';
import { readableFile } from '../../core/config/files.js';
import { configObject, duration } from '../../core/config/schema.js';
import { clientTlsConfigSchema } from '../../internal/tls/client-tls.js';
import { staticEndpoints, targetReceiverFields } from '../../internal/targets/static-endpoints.js';
import { tlsEnsembleProblem } from '../../internal/targets/ensemble.js';

/** An absolute znode path: `/a/b`, no trailing `/`, no empty, `.` or `..` segment. */
const znodePath = z.string().refine(
  (path) =>
    /^\/[^/]/.test(path) &&
    path
      .split('/')
      .slice(1)
      .every((segment) => segment !== '' && segment !== '.' && segment !== '..') &&
    !path.includes('\0'),
  {
    error: (issue) =>
      `invalid znode path ${JSON.stringify(issue.input)}: expected an absolute path below the root such as /zkotel (no trailing "/", no empty, "." or ".." segment)`,
  },
);

/** An environment variable's name, as a shell would accept it. */
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: (issue) => `invalid environment variable name ${JSON.stringify(issue.input)}` });

const PASSWORD_SOURCES = 'password_file (a file holding it) or password_env (the name of an environment variable holding it)';

/** `auth:` of a ZooKeeper session: also the agent_group extension's coordination session. */
export const authConfigSchema = configObject({
  /** ZooKeeper's `digest` scheme: `addAuthInfo('digest', 'username:password')`, what `addauth digest` does in zkCli. */
  scheme: z.enum(['digest']).default('digest'),
  username: z
    .string()
    .min(1)
    .refine((name) => !name.includes(':'), 'a digest user name cannot contain ":"'),
  /** A file holding the password (one trailing newline is ignored); re-read whenever a session opens. */
  password_file: readableFile.optional(),
  /** The name of an environment variable holding the password; read whenever a session opens. */
  password_env: envName.optional(),
  /** Not accepted: only here to say where a password goes instead. Its value is never looked at or printed. */
  password: z.unknown().optional(),
}).transform(({ password, ...auth }, ctx) => {
  if (password !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['password'], message: `a password is never written in the config: use ${PASSWORD_SOURCES}` });
  } else if ((auth.password_file === undefined) === (auth.password_env === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['password_file'], message: `set exactly one of ${PASSWORD_SOURCES}` });
  } else if (auth.password_env !== undefined && !process.env[auth.password_env]) {
    ctx.addIssue({ code: 'custom', path: ['password_env'], message: `environment variable ${auth.password_env} is not set or empty` });
  }
  return auth;
});

export type SessionAuthConfig = z.output<typeof authConfigSchema>;

export const zookeeperSessionReceiverConfigSchema = configObject({
  ...targetReceiverFields,
  /** Parent of the probe znodes; created (persistent) when missing. The agent's own znodes below it are ephemeral. */
  path: znodePath.default('/zkotel'),
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
})
  .prefault({})
  .transform((config, ctx) => {
    const endpoints = staticEndpoints(config, ctx);
    const { endpoint: _single, ...rest } = config;
    const tlsProblem = tlsEnsembleProblem(config.tls, config.discovery);
    if (tlsProblem) ctx.addIssue({ code: 'custom', path: ['discovery', 'member_port'], message: tlsProblem });
    return { ...rest, endpoints };
  });

export type ZookeeperSessionReceiverConfig = z.output<typeof zookeeperSessionReceiverConfigSchema>;

/**
 * The `scheme` and `auth` bytes for `addAuthInfo`, read now (so a rotated password file applies to the next
 * session). Throws when the file or variable cannot be read; the error names the source, never the password.
 */
export function authInfo(auth: SessionAuthConfig): { scheme: string; auth: Buffer } {
  const password = auth.password_env !== undefined ? fromEnv(auth.password_env) : fromFile(auth.password_file!);
  return { scheme: auth.scheme, auth: Buffer.from(`${auth.username}:${password}`) };
}

function fromEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`auth.password_env: environment variable ${name} is not set or empty`);
  return value;
}

function fromFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new Error(`cannot read auth.password_file: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
