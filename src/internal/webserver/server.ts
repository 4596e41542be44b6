/**
 * The HTTP(S) server in front of `/metrics` and the status page: plain HTTP, or what a web config file asks for (TLS, client
 * certificates, basic auth, extra headers). The web config can be re-read while serving; it is swapped whole, and a
 * broken one leaves the running one in place.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { closeServer, DEFAULT_MAX_CONNECTIONS, limitConnections, listen, serverOptions } from './http-server.js';
import { parseHostPort } from '../../core/config/schema.js';
import type { Logger } from '../../core/logger.js';
import { BasicAuth, FAILURE_REFILL_MS, type AuthResult } from './auth.js';
import { loadWebConfig, type ClientAuthType, type WebConfig } from './web-config.js';

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** What a request is checked against. Replaced whole on reload, so a request sees one config, never a mix. */
interface Active {
  readonly config: WebConfig | undefined;
  readonly auth: BasicAuth | undefined;
}

/** Node's tls.Server reads these per connection; they are not part of the secure context `setSecureContext` swaps. */
interface ClientCertPolicy {
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

export const UNAUTHORIZED_HEADERS = { 'www-authenticate': 'Basic realm="zkotel"', 'content-type': 'text/plain; charset=utf-8' } as const;

export class WebServer {
  private server: http.Server | https.Server | undefined;
  private active: Active = { config: undefined, auth: undefined };

  constructor(
    private readonly webConfigFile: string | undefined,
    private readonly handler: RequestHandler,
    private readonly logger: Logger,
    private readonly maxConnections: number = DEFAULT_MAX_CONNECTIONS,
  ) {}

  get scheme(): 'http' | 'https' {
    return this.active.config?.tls ? 'https' : 'http';
  }

  /** `host:port` while listening (`[v6]:port` for IPv6). */
  get address(): string | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? `${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}` : undefined;
  }

  /** What the log says about how `/metrics` is protected. */
  get security(): Record<string, unknown> {
    const config = this.active.config;
    return { tls: config?.tls !== undefined, client_auth: config?.tls?.clientAuth, basic_auth_users: config?.users.size ?? 0 };
  }

  /** Loads the web config (a `ConfigError` if it is broken) and listens on `endpoint` (`host:port`). */
  async listen(endpoint: string): Promise<void> {
    const { host, port } = parseHostPort(endpoint)!;
    const active = this.load();
    const listener = (request: IncomingMessage, response: ServerResponse) => void this.serve(request, response);
    const tls = active.config?.tls;
    const server = tls
      ? https.createServer({ ...serverOptions(), ...tls.secureContext, ...clientCertPolicy(tls.clientAuth) }, listener)
      : http.createServer(serverOptions(), listener);
    limitConnections(server, this.maxConnections);
    if (tls) {
      server.on('secureConnection', (socket: TLSSocket) => this.checkClientCert(socket));
      server.on('tlsClientError', (error: Error, socket: TLSSocket) => this.logger.debug('TLS handshake failed', { error, remote: socket.remoteAddress }));
    }
    await listen(server, { host, port }, endpoint);
    server.on('error', (error) => this.logger.error('metrics server error', { error }));
    this.active = active;
    this.server = server;
  }

  /**
   * Re-reads the web config file and swaps it in: certificates, key, client CAs, TLS versions and ciphers for new
   * connections; users and headers for the next request. A broken file, or one that would switch between HTTP and
   * HTTPS (that needs a restart), throws and leaves the running config in place.
   */
  async reloadWebConfig(): Promise<void> {
    if (this.webConfigFile === undefined) return;
    const next = this.load();
    const server = this.server;
    if (server) {
      const tls = next.config?.tls;
      if ((tls !== undefined) !== server instanceof https.Server) {
        throw new Error(`${this.webConfigFile}: switching /metrics between HTTP and HTTPS needs a restart; keeping the running web config`);
      }
      if (tls && server instanceof https.Server) {
        server.setSecureContext(tls.secureContext);
        Object.assign(server as unknown as ClientCertPolicy, clientCertPolicy(tls.clientAuth));
      }
    }
    this.active = next;
    this.logger.info('web config reloaded', { file: this.webConfigFile, ...this.security });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }

  private load(): Active {
    if (this.webConfigFile === undefined) return { config: undefined, auth: undefined };
    const config = loadWebConfig(this.webConfigFile);
    return { config, auth: config.users.size > 0 ? new BasicAuth(config.users) : undefined };
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { config, auth } = this.active;
    try {
      for (const [name, value] of Object.entries(config?.headers ?? {})) response.setHeader(name, value);
      const verdict = auth ? await auth.authorize(request.headers.authorization, request.socket.remoteAddress ?? '') : 'ok';
      if (verdict !== 'ok') {
        refuse(response, verdict);
        return;
      }
      await this.handler(request, response);
    } catch (error) {
      this.logger.error('request failed', { error });
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end();
    }
  }

  /** The client-certificate rules the handshake itself cannot express in Node. */
  private checkClientCert(socket: TLSSocket): void {
    const clientAuth = this.active.config?.tls?.clientAuth;
    const presented = Object.keys(socket.getPeerCertificate()).length > 0;
    if (clientAuth === 'RequireAnyClientCert' && !presented) socket.destroy();
    else if (clientAuth === 'VerifyClientCertIfGiven' && presented && !socket.authorized) socket.destroy();
  }
}

function refuse(response: ServerResponse, verdict: Exclude<AuthResult, 'ok'>): void {
  if (verdict === 'denied') response.writeHead(401, UNAUTHORIZED_HEADERS).end('Unauthorized\n');
  else if (verdict === 'throttled')
    response
      .writeHead(429, { 'retry-after': String(Math.ceil(FAILURE_REFILL_MS / 1000)), 'content-type': 'text/plain' })
      .end('Too many failed logins from this address\n');
  else response.writeHead(503, { 'retry-after': '1', 'content-type': 'text/plain' }).end('Too many logins being checked; retry\n');
}

/**
 * Go's client auth types in Node's terms. RequireAndVerifyClientCert fails the handshake itself; the two "any"
 * types ask for a certificate without verifying it, and `checkClientCert` enforces the rest.
 */
function clientCertPolicy(clientAuth: ClientAuthType): ClientCertPolicy {
  return { requestCert: clientAuth !== 'NoClientCert', rejectUnauthorized: clientAuth === 'RequireAndVerifyClientCert' };
}
