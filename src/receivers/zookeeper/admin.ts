/**
 * The AdminServer transport: `GET <base>/<command>` (base e.g. `http://zk1:8080/commands`) with Node's http/https,
 * keep-alive connections per endpoint, replies bounded by max_response_bytes and by the probe's deadline.
 */
import http from 'node:http';
import https from 'node:https';
import { ClientTlsLoader, clientTlsConfigSchema } from '../../internal/tls/client-tls.js';
import type { FourLetterWord } from './config.js';
import { classifySocketError, ProbeError, tlsProbeError } from './four-letter-word.js';
import {
  adminConf,
  adminCons,
  adminEnvi,
  adminIsro,
  adminMntr,
  adminRuok,
  adminSrvr,
  adminWchs,
  ADMIN_COMMANDS,
  readAdminJson,
  type AdminResponse,
} from './parse-admin.js';
import { DEFAULT_CONS_MAX_ADDRESSES } from './parse-optional-words.js';
import type { Reply, RequestOptions, Transport } from './transport.js';

export class AdminTransport implements Transport {
  private readonly agent: http.Agent;
  private readonly secure: boolean;
  private readonly tls: ClientTlsLoader | undefined;
  private readonly consMaxAddresses: number;
  private readonly consMaxConnections: number;

  /** `base`: the URL that `/<command>` is appended to, e.g. `https://127.0.0.1:8080/commands`. */
  constructor(
    private readonly base: URL,
    options: { consMaxAddresses?: number; consMaxConnections?: number; tls?: ClientTlsLoader } = {},
  ) {
    this.secure = base.protocol === 'https:';
    // https without a tls section still verifies the server, against Node's bundled CAs.
    this.tls = this.secure ? (options.tls ?? new ClientTlsLoader(clientTlsConfigSchema.parse({}))) : undefined;
    this.agent = this.secure ? new https.Agent({ keepAlive: true, maxSockets: 16 }) : new http.Agent({ keepAlive: true, maxSockets: 16 });
    this.consMaxAddresses = options.consMaxAddresses ?? DEFAULT_CONS_MAX_ADDRESSES;
    this.consMaxConnections = options.consMaxConnections ?? 0;
  }

  async request<C extends FourLetterWord>(command: C, options: RequestOptions): Promise<Reply<C>> {
    const url = new URL(`${this.base.pathname.replace(/\/+$/, '')}/${ADMIN_COMMANDS[command]}`, this.base);
    const response = await this.get(command, url, options);
    const json = readAdminJson(command, response);
    const replies: { readonly [K in FourLetterWord]: () => Reply<K> } = {
      mntr: () => adminMntr(json),
      ruok: () => adminRuok(json),
      srvr: () => adminSrvr('srvr', json, response.body),
      stat: () => adminSrvr('stat', json, response.body),
      isro: () => adminIsro(json),
      wchs: () => adminWchs(json),
      envi: () => adminEnvi(json),
      conf: () => adminConf(json),
      cons: () => adminCons(json, this.consMaxAddresses, this.consMaxConnections, response.body),
    };
    return replies[command]();
  }

  private async get(command: FourLetterWord, url: URL, options: RequestOptions): Promise<AdminResponse> {
    let tlsOptions = {};
    if (this.tls) {
      try {
        tlsOptions = (await this.tls.connectionOptions(url.hostname.replace(/^\[(.*)\]$/, '$1'))).options;
      } catch (error) {
        throw new ProbeError('tls_bad_files', `${command}: ${(error as Error).message}`);
      }
    }
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (error: ProbeError | undefined, response?: AdminResponse) => {
        if (settled) return;
        settled = true;
        options.signal.removeEventListener('abort', onAbort);
        if (error) {
          request.destroy();
          reject(error);
        } else resolve(response!);
      };
      const onAbort = () => finish(new ProbeError('timeout', `${command}: no complete AdminServer reply before the deadline`));
      const request = (this.secure ? https : http).request(
        url,
        { method: 'GET', agent: this.agent, headers: { accept: 'application/json' }, ...tlsOptions },
        (response) => {
          const length = Number(response.headers['content-length']);
          if (length > options.maxBytes) return finish(tooLarge(command, options.maxBytes));
          const chunks: Buffer[] = [];
          let received = 0;
          response.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > options.maxBytes) return finish(tooLarge(command, options.maxBytes));
            chunks.push(chunk);
          });
          response.on('end', () => finish(undefined, { status: response.statusCode ?? 0, body: Buffer.concat(chunks, received).toString('utf8') }));
          response.on('error', (error: NodeJS.ErrnoException) => finish(classifySocketError(command, error)));
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) =>
        finish((this.secure && tlsProbeError(command, error, tlsOptions)) || classifySocketError(command, error)),
      );
      if (options.signal.aborted) return onAbort();
      options.signal.addEventListener('abort', onAbort, { once: true });
      request.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function tooLarge(command: string, maxBytes: number): ProbeError {
  return new ProbeError('too_large', `${command}: AdminServer reply exceeds max_response_bytes (${maxBytes})`);
}
