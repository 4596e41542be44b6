/**
 * The web config file of Prometheus's exporter-toolkit (`--web.config.file`), so the files users already have for
 * node_exporter & co. secure zkotel's `/metrics` too: TLS (`tls_server_config`), basic auth (`basic_auth_users`,
 * bcrypt hashes) and extra response headers (`http_server_config.headers`). Names, defaults and checks follow
 * exporter-toolkit's `web/tls_config.go` and `web/handler.go`; relative paths are relative to the file's directory.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSecureContext, getCiphers, type SecureContextOptions, type SecureVersion } from 'node:tls';
import { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../../core/config/errors.js';
import { CERTIFICATE, pemProblem, PRIVATE_KEY, type PemLabel } from '../../core/config/pem.js';
import { configObject, type SchemaProblem } from '../../core/config/schema.js';
import { describeFsError, parseYamlFile } from '../../core/config/yaml-file.js';

export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

const TLS_VERSIONS: Readonly<Record<string, SecureVersion>> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

/** Go's `tls.CipherSuites()` names → OpenSSL's. TLS 1.3 names pass as they are (OpenSSL uses the IANA names). */
const CIPHER_SUITES: Readonly<Record<string, string>> = {
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
};

const CURVES: Readonly<Record<string, string>> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };

/** The headers exporter-toolkit lets a web config set, with the values it accepts (empty: any value). */
const EXTRA_HEADERS: Readonly<Record<string, readonly string[]>> = {
  'Strict-Transport-Security': [],
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': [],
  'Content-Security-Policy': [],
};

/** `$2a$`, `$2b$` or `$2y$`, a two-digit cost, then 22 characters of salt and 31 of hash. */
const BCRYPT_HASH = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

export function bcryptCost(hash: string): number | undefined {
  const match = BCRYPT_HASH.exec(hash);
  const cost = match ? Number(match[1]) : undefined;
  return cost !== undefined && cost >= 4 && cost <= 31 ? cost : undefined;
}

const oneOf = (valid: readonly string[], what: string) =>
  z.string().refine((value) => valid.includes(value), { error: (issue) => `unknown ${what} ${JSON.stringify(issue.input)} (valid: ${valid.join(', ')})` });

const notSupported = (what: string) =>
  z
    .unknown()
    .refine((value) => value === undefined || value === null, {
      error: `${what} is not supported by zkotel: remove it, or put zkotel behind a proxy that does it`,
    })
    .optional();

const tlsServerConfigSchema = configObject({
  cert_file: z.string().optional(),
  key_file: z.string().optional(),
  client_ca_file: z.string().optional(),
  cert: z.string().optional(),
  key: z.string().optional(),
  client_ca: z.string().optional(),
  // RequireClientCert is exporter-toolkit's old name for RequireAnyClientCert; it still accepts it.
  client_auth_type: oneOf([...CLIENT_AUTH_TYPES, 'RequireClientCert'], 'client_auth_type').optional(),
  // Defaults (TLS12, TLS13, true) are applied in buildTls, so that an empty tls_server_config means "no TLS".
  min_version: oneOf(Object.keys(TLS_VERSIONS), 'TLS version').optional(),
  max_version: oneOf(Object.keys(TLS_VERSIONS), 'TLS version').optional(),
  cipher_suites: z.array(oneOf(Object.keys(CIPHER_SUITES), 'cipher')).nullish(),
  prefer_server_cipher_suites: z.boolean().optional(),
  curve_preferences: z.array(oneOf(Object.keys(CURVES), 'curve')).nullish(),
  client_allowed_sans: notSupported('client_allowed_sans'),
});

const webConfigSchema = configObject({
  tls_server_config: tlsServerConfigSchema.nullish(),
  http_server_config: configObject({
    /** Accepted for compatibility; zkotel serves HTTP/1.1. */
    http2: z.boolean().default(true),
    headers: z.record(z.string(), z.string()).nullish(),
  }).nullish(),
  basic_auth_users: z.record(z.string(), z.string()).nullish(),
  rate_limit: notSupported('rate_limit'),
});

type TlsServerConfig = z.output<typeof tlsServerConfigSchema>;

export interface TlsSettings {
  /** Key, certificate, client CAs, versions, ciphers: what `https.createServer` and `setSecureContext` take. */
  readonly secureContext: SecureContextOptions;
  readonly clientAuth: ClientAuthType;
}

/** A checked web config: every file it names was read and parsed. */
export interface WebConfig {
  readonly file: string;
  /** Undefined: plain HTTP. */
  readonly tls: TlsSettings | undefined;
  /** User → bcrypt hash. Empty: no basic auth. */
  readonly users: ReadonlyMap<string, string>;
  readonly headers: Readonly<Record<string, string>>;
}

export type WebConfigResult =
  { readonly config: WebConfig; readonly problems?: undefined } | { readonly config?: undefined; readonly problems: readonly ConfigProblem[] };

/** Reads and checks a web config file: the config, or every problem as `FILE:LINE:COL: path: message`. */
export function checkWebConfig(file: string): WebConfigResult {
  const result = parseYamlFile(file, webConfigSchema, (data, problems) => build(file, data, problems));
  return result.problems ? { problems: result.problems } : { config: result.data };
}

/** As `checkWebConfig`, but throws a `ConfigError` listing the problems. */
export function loadWebConfig(file: string): WebConfig {
  const result = checkWebConfig(file);
  if (result.problems) throw new ConfigError(result.problems);
  return result.config;
}

function build(file: string, data: z.output<typeof webConfigSchema>, problems: SchemaProblem[]): WebConfig {
  const users = new Map<string, string>();
  for (const [user, hash] of Object.entries(data.basic_auth_users ?? {})) {
    const at = ['basic_auth_users', user];
    if (user.includes(':')) problems.push({ path: at, message: 'a user name cannot contain ":" (basic auth splits user and password at the first ":")' });
    else if (bcryptCost(hash) === undefined)
      problems.push({
        path: at,
        message: `invalid bcrypt hash: expected $2a$, $2b$ or $2y$, a cost from 04 to 31, then 53 characters of salt and hash (make one with: htpasswd -nBC 10 "" | tr -d ':\\n')`,
      });
    else users.set(user, hash);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(data.http_server_config?.headers ?? {})) {
    const allowed = EXTRA_HEADERS[name];
    const at = ['http_server_config', 'headers', name];
    if (!allowed) problems.push({ path: at, message: `HTTP header "${name}" can not be configured (valid: ${Object.keys(EXTRA_HEADERS).join(', ')})` });
    else if (allowed.length > 0 && !allowed.includes(value))
      problems.push({ path: at, message: `invalid value ${JSON.stringify(value)}: expected one of ${allowed.join(', ')}` });
    else if (value !== '') headers[name] = value;
  }
  // A tls_server_config with nothing in it (or none) means plain HTTP, as in exporter-toolkit.
  const tlsConfig = data.tls_server_config;
  const tls =
    tlsConfig && Object.values(tlsConfig).some((value) => value !== undefined && value !== null)
      ? buildTls(path.dirname(file), tlsConfig, problems)
      : undefined;
  return { file, tls, users, headers };
}

function buildTls(dir: string, config: TlsServerConfig, problems: SchemaProblem[]): TlsSettings | undefined {
  const before = problems.length;
  const report = (key: string, message: string) => problems.push({ path: ['tls_server_config', key], message });
  const cert = pem(dir, config, 'cert', report);
  const key = pem(dir, config, 'key', report);
  const ca = pem(dir, config, 'client_ca', report);
  if (cert === undefined && config.cert_file === undefined && config.cert === undefined)
    report('cert_file', 'required: the server certificate (PEM), or cert with the PEM itself');
  if (key === undefined && config.key_file === undefined && config.key === undefined)
    report('key_file', 'required: the server private key (PEM), or key with the PEM itself');
  if (cert !== undefined) checkPem(cert.text, cert.key, report, CERTIFICATE);
  if (key !== undefined) checkPem(key.text, key.key, report, PRIVATE_KEY);
  if (ca !== undefined) checkPem(ca.text, ca.key, report, CERTIFICATE);

  const clientAuth: ClientAuthType =
    config.client_auth_type === 'RequireClientCert' ? 'RequireAnyClientCert' : ((config.client_auth_type as ClientAuthType | undefined) ?? 'NoClientCert');
  if (ca !== undefined && clientAuth === 'NoClientCert') {
    report(
      ca.key,
      'client CAs are set but client_auth_type is NoClientCert: set client_auth_type: RequireAndVerifyClientCert to require client certificates signed by them',
    );
  }
  if (
    ca === undefined &&
    (clientAuth === 'RequireAndVerifyClientCert' || clientAuth === 'VerifyClientCertIfGiven') &&
    config.client_ca_file === undefined &&
    config.client_ca === undefined
  ) {
    report('client_auth_type', `${clientAuth} needs client_ca_file: the CA certificates that client certificates must be signed by`);
  }
  const [min, max] = [config.min_version ?? 'TLS12', config.max_version ?? 'TLS13'];
  if (min > max) report('min_version', `min_version ${min} is above max_version ${max}`);

  const ciphers = (config.cipher_suites ?? []).map((name) => CIPHER_SUITES[name]!);
  const available = new Set(getCiphers().map((name) => name.toLowerCase()));
  (config.cipher_suites ?? []).forEach((name, index) => {
    if (!available.has(CIPHER_SUITES[name]!.toLowerCase()))
      problems.push({
        path: ['tls_server_config', 'cipher_suites', index],
        message: `cipher ${name} is not available in this Node.js (OpenSSL ${process.versions.openssl})`,
      });
  });
  if (problems.length > before || cert === undefined || key === undefined) return undefined;

  const secureContext: SecureContextOptions = {
    cert: cert.text,
    key: key.text,
    ...(ca !== undefined ? { ca: ca.text } : {}),
    minVersion: TLS_VERSIONS[min]!,
    maxVersion: TLS_VERSIONS[max]!,
    honorCipherOrder: config.prefer_server_cipher_suites ?? true,
    ...(ciphers.length > 0 ? { ciphers: ciphers.join(':') } : {}),
    ...(config.curve_preferences?.length ? { ecdhCurve: config.curve_preferences.map((name) => CURVES[name]!).join(':') } : {}),
  };
  try {
    createSecureContext(secureContext);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/key values mismatch/i.test(message)) report(key.key, `the private key does not belong to the certificate in ${cert.key}`);
    else if (/cipher/i.test(message)) report('cipher_suites', `no usable cipher: ${message}`);
    else report(cert.key, `cannot use the certificate and key: ${message}`);
    return undefined;
  }
  return { secureContext, clientAuth };
}

interface Pem {
  readonly text: string;
  /** The key in the web config it came from, for messages. */
  readonly key: string;
}

/** `<name>_file` read relative to the web config's directory, or the inline `<name>`; both set is an error. */
function pem(dir: string, config: TlsServerConfig, name: 'cert' | 'key' | 'client_ca', report: (key: string, message: string) => void): Pem | undefined {
  const inline = config[name];
  const file = config[`${name}_file`];
  if (inline !== undefined && file !== undefined) {
    report(name, `set ${name}_file or ${name}, not both`);
    return undefined;
  }
  if (inline !== undefined) return { text: inline, key: name };
  if (file === undefined) return undefined;
  if (file === '') {
    report(`${name}_file`, 'must not be empty');
    return undefined;
  }
  const resolved = path.resolve(dir, file);
  try {
    return { text: readFileSync(resolved, 'utf8'), key: `${name}_file` };
  } catch (error) {
    report(`${name}_file`, `cannot read ${resolved}: ${describeFsError(error)}`);
    return undefined;
  }
}

/** Reports what is wrong with `text` as PEM of `label` on `key`. */
function checkPem(text: string, key: string, report: (key: string, message: string) => void, label: PemLabel): void {
  const problem = pemProblem(text, label);
  if (problem) report(key, problem);
}
