import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSourceGone } from '../../core/batch.js';
import type { CreateSettings, Extension, Host } from '../../core/component.js';
import { WebServer } from '../../internal/webserver/server.js';
import { AGENT_VERSION } from '../../version.js';
import type { StatusConfig } from './config.js';
import { StatusModel } from './model.js';
import { PAGE_ASSETS } from './page.js';

/** Pushes at most this often, so a burst of probes of 200 servers costs one render per second. */
const PUSH_INTERVAL_MS = 1000;
/** Pushes at least this often while a page is open: probe ages and staleness move without new batches. */
const REFRESH_INTERVAL_MS = 5000;
/** Tells a browser how soon to reconnect after the agent went away (a restart). */
const RECONNECT_MS = 2000;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

/**
 * The live status page (`/`), its JSON (`/api/v1/status`) and its Server-Sent Events stream (`/api/v1/events`),
 * built from what the pipelines hand to their exporters.
 */
export class StatusExtension implements Extension {
  private readonly model = new StatusModel(AGENT_VERSION);
  private readonly server: WebServer;
  private readonly streams = new Set<ServerResponse>();
  private host: Host | undefined;
  private stopObserving: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private lastPushMs = 0;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: StatusConfig,
  ) {
    this.server = new WebServer(
      config.web_config_file || undefined,
      (request, response) => this.handle(request, response),
      settings.logger,
      config.max_connections,
    );
  }

  async start(host: Host): Promise<void> {
    this.host = host;
    await this.server.listen(this.config.endpoint);
    this.stopObserving = host.observePipelines((item) => {
      if (isSourceGone(item)) this.model.forget(item.source);
      else this.model.ingest(item);
      this.dirty = true;
    });
    this.timer = setInterval(() => this.pushIfDue(), PUSH_INTERVAL_MS).unref();
    this.settings.logger.info('serving the status page', { url: `${this.server.scheme}://${this.server.address}/`, ...this.server.security });
  }

  /** Re-reads the web config file; a broken one leaves the running one in place. */
  reload(): Promise<void> {
    return this.server.reloadWebConfig();
  }

  async shutdown(): Promise<void> {
    this.stopObserving?.();
    this.stopObserving = undefined;
    clearInterval(this.timer);
    for (const stream of this.streams) stream.end();
    this.streams.clear();
    await this.server.close();
  }

  private document(): string {
    return JSON.stringify(this.model.document(Date.now(), this.host!.info(), this.settings.telemetry.snapshot()));
  }

  private pushIfDue(): void {
    if (this.streams.size === 0) return;
    const now = Date.now();
    if (!this.dirty && now - this.lastPushMs < REFRESH_INTERVAL_MS) return;
    this.dirty = false;
    this.lastPushMs = now;
    const event = `event: status\ndata: ${this.document()}\n\n`;
    for (const stream of this.streams) stream.write(event);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0]!;
    if (request.method !== 'GET' && request.method !== 'HEAD') return void response.writeHead(405, { allow: 'GET, HEAD' }).end();
    if (path === '/api/v1/status') {
      response
        .writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS })
        .end(this.document() + '\n');
      return;
    }
    if (path === '/api/v1/events') return this.openStream(request, response);
    const asset = PAGE_ASSETS[path];
    if (asset) {
      response
        .writeHead(200, { 'content-type': asset.contentType, 'cache-control': 'no-cache', ...SECURITY_HEADERS })
        .end(request.method === 'HEAD' ? undefined : asset.body);
      return;
    }
    response
      .writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS })
      .end('not found; the status page is at /, its JSON at /api/v1/status\n');
  }

  /** One stream per open page: the whole document now, then again whenever something changed. */
  private openStream(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', ...SECURITY_HEADERS });
    response.write(`retry: ${RECONNECT_MS}\nevent: status\ndata: ${this.document()}\n\n`);
    this.streams.add(response);
    request.socket.setTimeout(0);
    const forget = () => void this.streams.delete(response);
    request.on('close', forget);
    response.on('error', forget);
  }
}
