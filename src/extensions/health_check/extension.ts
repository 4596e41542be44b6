import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { CreateSettings, Extension, Host } from '../../core/component.js';
import { parseHostPort } from '../../core/config/schema.js';
import { closeServer, limitConnections, listen, serverOptions } from '../../internal/webserver/http-server.js';
import type { HealthCheckConfig } from './config.js';

/**
 * `/healthz`: the process is alive and serving. `/readyz`: config loaded, exporters started, and every receiver
 * has delivered a first batch for each of its sources. `POST /-/reload`: re-reads every config file, as SIGHUP.
 */
export class HealthCheckExtension implements Extension {
  private server: Server | undefined;
  private host: Host | undefined;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: HealthCheckConfig,
  ) {}

  async start(host: Host): Promise<void> {
    this.host = host;
    const server = createServer(serverOptions(), (request, response) =>
      this.handle(request, response).catch((error: unknown) => {
        this.settings.logger.error('health_check request failed', { error });
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }) + '\n');
      }),
    );
    limitConnections(server, this.config.max_connections);
    await listen(server, parseHostPort(this.config.endpoint)!, this.config.endpoint);
    server.on('error', (error) => this.settings.logger.error('health_check server error', { error }));
    this.server = server;
    this.settings.logger.info('serving health checks', { url: `http://${this.config.endpoint}/healthz` });
  }

  async shutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    const reply = (status: number, body: unknown): void =>
      void response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
    if (path === '/-/reload') {
      if (request.method !== 'POST' && request.method !== 'PUT') return void response.writeHead(405, { allow: 'POST, PUT' }).end();
      if (!this.host?.reload) return reply(501, { status: 'unsupported', error: 'this agent cannot reload its configuration' });
      const outcome = await this.host.reload();
      return outcome.ok ? reply(200, { status: 'reloaded' }) : reply(400, { status: 'rejected', errors: outcome.errors });
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return void response.writeHead(405, { allow: 'GET, HEAD' }).end();
    if (path === '/healthz') return reply(200, { status: 'alive' });
    if (path === '/readyz') {
      const status = this.host!.status();
      const ready = status.exportersStarted && status.firstRoundDone;
      return reply(ready ? 200 : 503, {
        status: ready ? 'ready' : 'not ready',
        config_loaded: true,
        exporters_started: status.exportersStarted,
        first_round_done: status.firstRoundDone,
      });
    }
    reply(404, { error: 'not found; try /healthz, /readyz or POST /-/reload' });
  }
}
