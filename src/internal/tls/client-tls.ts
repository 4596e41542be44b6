/**
 * Client-side TLS for components that connect to servers (ZooKeeper's secure client port, the AdminServer over
 * https, the session probe): one config shape, one loader, one way to explain a failed handshake.
 *
 * ```yaml
 * tls:
 *   ca_file: /etc/zk/ca.pem          # trust these CAs (default: Node's bundled roots)
 *   cert_file: /etc/zk/client.pem    # mutual TLS: both or neither
 *   key_file: /etc/zk/client.key
 *   server_name: zk.example.com      # SNI and the name the certificate must carry (default: the host dialled)
 *   insecure_skip_verify: false
 *   min_version: '1.2'               # '1.2' | '1.3'
 * ```
 */
import fsp from 'node:fs/promises';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { z } from 'zod';
import type { Logger } from '../../core/logger.js';
import { CERTIFICATE, pemFile, PRIVATE_KEY } from '../../core/config/pem.js';
import { configObject } from '../../core/config/schema.js';

export const TLS_MIN_VERSIONS = ['1.2', '1.3'] as const;
export type TlsMinVersion = (typeof TLS_MIN_VERSIONS)[number];

export const clientTlsConfigSchema = configObject({
  /** PEM file of the CA certificates that may sign the server's certificate (default: Node's bundled roots). */
  ca_file: pemFile(CERTIFICATE).optional(),
  /** PEM client certificate, for mutual TLS. Needs `key_file`. */
  cert_file: pemFile(CERTIFICATE).optional(),
  /** PEM private key (unencrypted) of `cert_file`. */
  key_file: pemFile(PRIVATE_KEY).optional(),
  /** SNI name and the name the server certificate must be valid for (default: the host connected to). */
  server_name: z.string().min(1).optional(),
  /** Accept any server certificate. Gives up authenticating the server: for tests only. */
  insecure_skip_verify: z.boolean().default(false),
  /** Lowest TLS version offered. YAML reads an unquoted 1.2 as a number: both are accepted. */
  min_version: z
    .union([z.enum(TLS_MIN_VERSIONS), z.number()])
    .transform((version, ctx): TlsMinVersion => {
      const text = typeof version === 'number' ? version.toFixed(1) : version;
      if ((TLS_MIN_VERSIONS as readonly string[]).includes(text)) return text as TlsMinVersion;
      ctx.addIssue({ code: 'custom', message: `invalid min_version ${JSON.stringify(version)}: expected "1.2" or "1.3"` });
      return z.NEVER;
    })
    .default('1.2'),
}).superRefine((config, ctx) => {
  if ((config.cert_file === undefined) !== (config.key_file === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: [config.cert_file === undefined ? 'cert_file' : 'key_file'],
      message: 'cert_file and key_file go together: set both (mutual TLS) or neither (server authentication only)',
    });
  }
});

export type ClientTlsConfig = z.output<typeof clientTlsConfigSchema>;

const NODE_VERSIONS: Readonly<Record<TlsMinVersion, tls.SecureVersion>> = { '1.2': 'TLSv1.2', '1.3': 'TLSv1.3' };

/** What a connection needs: Node's options plus a generation that changes whenever the files were re-read. */
export interface LoadedTls {
  /** Options for `tls.connect` / `https.request`, minus host and port. `servername` is left to `connectionOptions`. */
  readonly options: tls.ConnectionOptions & Required<Pick<tls.ConnectionOptions, 'rejectUnauthorized' | 'minVersion' | 'secureContext'>>;
  /** Bumped on every (re)load: TLS sessions cached under an older generation must not be resumed. */
  readonly generation: number;
}

const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

interface FileStamp {
  readonly file: string;
  readonly mtimeMs: number;
  /** Changes with the mode and owner too: fixing a file's permissions is a change worth another read. */
  readonly ctimeMs: number;
  readonly size: number;
}

/**
 * Reads the configured PEM files and keeps them: each `load()` only stats the files (cheap) and re-reads them
 * when one changed, so rotated certificates are used from the next connection on without a restart.
 * A rotation caught half-written (a key that does not match its certificate yet) keeps the previous material,
 * is logged once, and is not re-read until one of the files changes again. Concurrent callers share one load.
 */
export class ClientTlsLoader {
  private loaded: LoadedTls | undefined;
  private stamps: readonly FileStamp[] = [];
  private generation = 0;
  /** The stamps of the files that last failed to load, and why: the same files are not read again. */
  private failed: { readonly stamps: readonly FileStamp[]; readonly error: Error } | undefined;
  private inFlight: Promise<LoadedTls> | undefined;

  constructor(
    readonly config: ClientTlsConfig,
    private readonly logger?: Logger,
  ) {}

  private get files(): string[] {
    const { ca_file, cert_file, key_file } = this.config;
    return [ca_file, cert_file, key_file].filter((file): file is string => file !== undefined);
  }

  load(): Promise<LoadedTls> {
    if (!this.inFlight) this.inFlight = this.refresh().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async refresh(): Promise<LoadedTls> {
    const stamps = await Promise.all(this.files.map(stamp));
    if (this.loaded && sameStamps(stamps, this.stamps)) return this.loaded;
    if (this.failed && sameStamps(stamps, this.failed.stamps)) {
      if (this.loaded) return this.loaded;
      throw this.failed.error;
    }
    try {
      const [ca, cert, key] = await Promise.all(
        [this.config.ca_file, this.config.cert_file, this.config.key_file].map((file) => (file === undefined ? undefined : fsp.readFile(file))),
      );
      // OpenSSL skips what is not PEM in a CA bundle without a word: insist on at least one certificate.
      if (ca && !ca.includes(PEM_CERTIFICATE)) throw new Error(`${this.config.ca_file}: no PEM certificate in the file`);
      if (cert && !cert.includes(PEM_CERTIFICATE)) throw new Error(`${this.config.cert_file}: no PEM certificate in the file`);
      const options = buildOptions(this.config, ca, cert, key);
      if (this.failed && this.loaded) this.logger?.info('tls: certificate files loaded again', { files: this.files });
      this.loaded = { options, generation: ++this.generation };
      this.stamps = stamps;
      this.failed = undefined;
      return this.loaded;
    } catch (error) {
      const failure = new Error(`tls: cannot load ${this.files.join(', ')}: ${describeLoadError(error)}`);
      this.failed = { stamps, error: failure };
      if (!this.loaded) throw failure;
      // Keep serving with the last good material; a change of the files makes the next load try again.
      this.logger?.warn('tls: certificate files changed but cannot be loaded; keeping the previous ones until they change again', { error: failure.message });
      return this.loaded;
    }
  }

  /** `load()` plus the name to send as SNI and to check the certificate against, for one host. */
  async connectionOptions(host: string): Promise<LoadedTls> {
    const loaded = await this.load();
    return { ...loaded, options: { ...loaded.options, ...sniFor(this.config, host) } };
  }
}

/** SNI: `server_name`, else the host unless it is an IP address (RFC 6066 forbids IPs in SNI; Node warns). */
export function sniFor(config: Pick<ClientTlsConfig, 'server_name'>, host: string): { servername?: string } {
  if (config.server_name !== undefined) return { servername: config.server_name };
  return isIP(host) === 0 ? { servername: host } : {};
}

function buildOptions(config: ClientTlsConfig, ca: Buffer | undefined, cert: Buffer | undefined, key: Buffer | undefined): LoadedTls['options'] {
  const minVersion = NODE_VERSIONS[config.min_version];
  const material = { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  // One secure context for every connection: parsing the CA bundle per connection costs more than the handshake.
  const secureContext = tls.createSecureContext({ ...material, minVersion });
  return { ...material, minVersion, rejectUnauthorized: !config.insecure_skip_verify, secureContext };
}

async function stamp(file: string): Promise<FileStamp> {
  try {
    const stats = await fsp.stat(file);
    return { file, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs, size: stats.size };
  } catch {
    // A file missing for a moment (rotation by rename) keeps the old material until it is back.
    return { file, mtimeMs: -1, ctimeMs: -1, size: -1 };
  }
}

function sameStamps(a: readonly FileStamp[], b: readonly FileStamp[]): boolean {
  return (
    a.length === b.length && a.every((x, i) => x.mtimeMs === b[i]!.mtimeMs && x.ctimeMs === b[i]!.ctimeMs && x.size === b[i]!.size && x.file === b[i]!.file)
  );
}

function describeLoadError(error: unknown): string {
  const err = error as NodeJS.ErrnoException & { reason?: string };
  if (err.code === 'ENOENT' || err.code === 'EACCES') return `${err.code} ${err.path ?? ''}`.trim();
  if (err.code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH' || /key values mismatch/i.test(err.message)) return 'cert_file and key_file do not belong together';
  if (/no start line|bad base64|PEM/i.test(err.message)) return `not a PEM file (${err.message})`;
  return err.message;
}

/** Why a TLS connection failed, in words a user can act on, and a short stable kind for metric attributes. */
export interface TlsFailure {
  readonly kind: TlsFailureKind;
  readonly message: string;
}

export type TlsFailureKind =
  | 'unknown_authority'
  | 'name_mismatch'
  | 'expired'
  | 'client_cert_required'
  | 'client_cert_rejected'
  | 'protocol_version'
  | 'plain_port'
  | 'handshake'
  /** The configured files could not be loaded (not PEM, key not matching the certificate). */
  | 'bad_files';

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/**
 * Turns a TLS error into a clear reason, or undefined when the error is not about TLS (refused, reset before
 * anything was sent, ...). `expected` is the name the certificate was checked against; `sentClientCert` tells
 * a rejected client certificate from a missing one (TLS 1.2 servers answer both with the same alert).
 */
export function describeTlsError(error: unknown, expected?: string, sentClientCert?: boolean): TlsFailure | undefined {
  const err = error as NodeJS.ErrnoException & { reason?: string; host?: string; cert?: { subjectaltname?: string; subject?: { CN?: string } } };
  const code = err?.code ?? '';
  const text = `${code} ${err?.message ?? ''}`;
  if (UNKNOWN_AUTHORITY.has(code)) return { kind: 'unknown_authority', message: `certificate signed by unknown authority (${code}): check tls.ca_file` };
  if (code === 'CERT_HAS_EXPIRED') return { kind: 'expired', message: 'server certificate has expired' };
  if (code === 'CERT_NOT_YET_VALID') return { kind: 'expired', message: 'server certificate is not valid yet (clock skew?)' };
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = err.cert?.subjectaltname ?? (err.cert?.subject?.CN ? `CN=${err.cert.subject.CN}` : 'no names');
    return { kind: 'name_mismatch', message: `server name mismatch: cert for ${names}, expected ${err.host ?? expected ?? '?'} (set tls.server_name?)` };
  }
  const certificateRequired: TlsFailure = { kind: 'client_cert_required', message: 'server requires a client certificate: set tls.cert_file and tls.key_file' };
  if (/CERTIFICATE_REQUIRED|alert certificate required/i.test(text)) return certificateRequired;
  if (
    /ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED)|alert (unknown ca|bad certificate|certificate unknown)/i.test(
      text,
    )
  ) {
    if (sentClientCert === false) return certificateRequired;
    return {
      kind: 'client_cert_rejected',
      message: `server rejected the client certificate (${shortSslReason(text)}): is it signed by a CA the server trusts?`,
    };
  }
  if (/ALERT_HANDSHAKE_FAILURE/i.test(code)) {
    if (sentClientCert === false) return certificateRequired;
    // TLS 1.2 servers that require a client certificate answer a missing one with a bare handshake_failure.
    return { kind: 'client_cert_rejected', message: 'server ended the handshake (handshake_failure): a client certificate may be required or rejected' };
  }
  if (/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|VERSION_TOO_LOW/i.test(text)) {
    return { kind: 'protocol_version', message: `no TLS version in common with the server (${shortSslReason(text)}): check tls.min_version` };
  }
  if (/WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|RECORD_LAYER_FAILURE|unknown protocol/i.test(text)) {
    return { kind: 'plain_port', message: 'the server does not speak TLS on this port (a plain port?)' };
  }
  if (/before secure TLS connection was established/i.test(text)) {
    return { kind: 'handshake', message: 'the server closed the connection during the TLS handshake (not a TLS port, or it rejected the client certificate?)' };
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code.startsWith('ERR_OSSL_')) {
    return { kind: 'handshake', message: `TLS handshake failed: ${shortSslReason(text)}` };
  }
  return undefined;
}

function shortSslReason(text: string): string {
  const match = /(?:ERR_SSL_|ERR_TLS_)([A-Z0-9_]+)/.exec(text);
  return match ? match[1]!.toLowerCase().replace(/_/g, ' ') : text.trim().slice(0, 120);
}
