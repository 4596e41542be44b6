/**
 * Test certificates made with `openssl` in a temp dir (EC P-256, valid 2 days), and the clients that use them:
 * Node's https and curl. Everything runs async: the server under test lives in the same process.
 *
 * - `ca` signs `server` (SAN IP:127.0.0.1 and DNS:localhost, serverAuth) and `client` (clientAuth);
 * - `otherCa` is unrelated to them and signs `otherClient`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { registerTempDir, unregisterTempDir } from './process.js';

export interface CertAndKey {
  /** PEM certificate file. */
  readonly cert: string;
  /** PEM private key file (unencrypted). */
  readonly key: string;
}

export interface TestCerts {
  readonly dir: string;
  /** The CA's certificate file. */
  readonly ca: string;
  readonly server: CertAndKey;
  readonly client: CertAndKey;
  /** A CA that signed neither `server` nor `client`. */
  readonly otherCa: string;
  readonly otherClient: CertAndKey;
  /** `server`'s key then certificate in one PEM file: a Java PEM keystore (ZooKeeper `ssl.keyStore.type=PEM`). */
  readonly serverPemStore: string;
  remove(): void;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string, subject: string): CertAndKey {
  const pair = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  openssl(
    dir,
    'req',
    '-x509',
    '-new',
    ...EC_KEY,
    '-keyout',
    pair.key,
    '-out',
    pair.cert,
    '-days',
    '2',
    '-subj',
    subject,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  return pair;
}

function makeLeaf(dir: string, name: string, subject: string, ca: CertAndKey, extensions: string): CertAndKey {
  const pair = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  fs.writeFileSync(ext, extensions);
  openssl(dir, 'req', '-new', ...EC_KEY, '-keyout', pair.key, '-out', csr, '-subj', subject);
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    pair.cert,
  );
  return pair;
}

export function generateTestCerts(parent = os.tmpdir()): TestCerts {
  const dir = fs.mkdtempSync(path.join(parent, 'zkotel-certs-'));
  registerTempDir(dir);
  const ca = makeCa(dir, 'ca', '/CN=zkotel test CA');
  const otherCa = makeCa(dir, 'other-ca', '/CN=unrelated test CA');
  const server = makeLeaf(
    dir,
    'server',
    '/CN=localhost',
    ca,
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  const clientExt = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';
  const client = makeLeaf(dir, 'client', '/CN=scraper', ca, clientExt);
  const otherClient = makeLeaf(dir, 'other-client', '/CN=stranger', otherCa, clientExt);
  const serverPemStore = path.join(dir, 'server-store.pem');
  fs.writeFileSync(serverPemStore, fs.readFileSync(server.key, 'utf8') + fs.readFileSync(server.cert, 'utf8'));
  return {
    dir,
    ca: ca.cert,
    server,
    client,
    otherCa: otherCa.cert,
    otherClient,
    serverPemStore,
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
      unregisterTempDir(dir);
    },
  };
}

export interface ClientOptions {
  /** CA file to trust. */
  ca?: string;
  /** Client certificate. */
  client?: CertAndKey;
  /** Basic auth. */
  user?: string;
  password?: string;
  /** Highest TLS version the client offers, as Node names it ('TLSv1.2'). */
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  method?: string;
}

export interface ClientResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** One request with Node's https (a new connection each time); rejects on a TLS or connection failure. */
export function httpsGet(url: string, options: ClientOptions = {}): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method: options.method ?? 'GET',
        agent: false,
        ...(options.ca ? { ca: fs.readFileSync(options.ca) } : {}),
        ...(options.client ? { cert: fs.readFileSync(options.client.cert), key: fs.readFileSync(options.client.key) } : {}),
        ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
        ...(options.user !== undefined ? { auth: `${options.user}:${options.password ?? ''}` } : {}),
        timeout: 10_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${url}: timed out`)));
    request.on('error', reject);
    request.end();
  });
}

export interface CurlResult {
  /** curl's exit code: 0 when an HTTP response came (whatever its status), 35/56/60/… for TLS failures. */
  readonly code: number;
  /** The HTTP status, 0 when there was none. */
  readonly status: number;
  readonly stderr: string;
}

/** `curl` with the same options; `maxVersion` becomes `--tls-max`. */
export function curl(url: string, options: ClientOptions = {}): Promise<CurlResult> {
  const args = ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10'];
  if (options.ca) args.push('--cacert', options.ca);
  if (options.client) args.push('--cert', options.client.cert, '--key', options.client.key);
  if (options.user !== undefined) args.push('-u', `${options.user}:${options.password ?? ''}`);
  if (options.maxVersion) args.push('--tls-max', options.maxVersion === 'TLSv1.2' ? '1.2' : '1.3');
  if (options.method) args.push('-X', options.method);
  args.push(url);
  return new Promise((resolve) => {
    execFile('curl', args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, status: Number(stdout.trim()) || 0, stderr });
    });
  });
}
