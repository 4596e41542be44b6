/**
 * How one endpoint's commands reach the server: four-letter words over the client port (plain or TLS), or the
 * AdminServer's JSON API over http(s). Either way a command comes back as the same parsed reply, so the
 * metric catalog does not know which transport was used.
 */
import type { ClientTlsLoader } from '../../internal/tls/client-tls.js';
import type { HostPort } from '../../core/config/schema.js';
import type { FourLetterWord } from './config.js';
import { exchange, ProbeError, type TlsExchange } from './four-letter-word.js';
import { MntrParser } from './mntr-parser.js';
import { parseMntr, parseRuok, parseSrvr, type MntrReply, type SrvrReply } from './parse.js';
import {
  DEFAULT_CONS_MAX_ADDRESSES,
  parseConf,
  parseCons,
  parseEnvi,
  parseIsro,
  parseStat,
  parseWchs,
  type ConfReply,
  type ConsReply,
  type EnviReply,
  type IsroReply,
  type WchsReply,
} from './parse-optional-words.js';

/** The parsed replies of one probe, by command. */
export interface Replies {
  mntr?: MntrReply;
  ruok?: boolean;
  srvr?: SrvrReply;
  stat?: SrvrReply;
  isro?: IsroReply;
  wchs?: WchsReply;
  envi?: EnviReply;
  conf?: ConfReply;
  cons?: ConsReply;
}

export type Reply<C extends FourLetterWord> = NonNullable<Replies[C]>;

export interface RequestOptions {
  /** Aborting ends the exchange at once (probe deadline or receiver stop). */
  readonly signal: AbortSignal;
  readonly maxBytes: number;
}

export interface Transport {
  /** One command's parsed reply; rejects with a ProbeError. */
  request<C extends FourLetterWord>(command: C, options: RequestOptions): Promise<Reply<C>>;
  /** Frees kept connections; the transport is not used afterwards. */
  close(): void;
}

type Parsers = { readonly [C in FourLetterWord]-?: (reply: string) => Reply<C> };

const parsersFor = (consMaxAddresses: number, consMaxConnections = 0): Parsers => ({
  mntr: parseMntr,
  ruok: parseRuok,
  srvr: parseSrvr,
  stat: parseStat,
  isro: parseIsro,
  wchs: parseWchs,
  envi: parseEnvi,
  conf: parseConf,
  cons: (reply) => parseCons(reply, consMaxAddresses, consMaxConnections),
});
const DEFAULT_PARSERS = parsersFor(DEFAULT_CONS_MAX_ADDRESSES);

/** The TLS session of the last handshake, and the generation of the certificate files it was made with. */
interface CachedSession {
  readonly generation: number;
  readonly data: Buffer;
}

/**
 * Four-letter words, one connection per command. With `tls` every connection is a TLS connection to the secure
 * client port; the last session ticket is resumed by the next connection (a full handshake costs ~1.4 ms of CPU),
 * until the certificate files change or a handshake fails.
 */
export class FourLetterWordTransport implements Transport {
  private readonly parsers: Parsers;
  private readonly tls: ClientTlsLoader | undefined;
  private session: CachedSession | undefined;

  constructor(
    private readonly address: HostPort,
    options: { consMaxAddresses?: number; consMaxConnections?: number; tls?: ClientTlsLoader } = {},
  ) {
    const { consMaxAddresses = DEFAULT_CONS_MAX_ADDRESSES, consMaxConnections = 0 } = options;
    const parsers =
      consMaxAddresses === DEFAULT_CONS_MAX_ADDRESSES && consMaxConnections === 0 ? DEFAULT_PARSERS : parsersFor(consMaxAddresses, consMaxConnections);
    // mntr remembers this endpoint's previous reply to read the next one against it (mntr-parser.ts).
    this.parsers = { ...parsers, mntr: new MntrParser().parse };
    this.tls = options.tls;
  }

  request<C extends FourLetterWord>(command: C, options: RequestOptions): Promise<Reply<C>> {
    const parse = this.parsers[command] as (reply: string) => Reply<C>;
    // Plain: one Promise per command, the reply parsed as it settles.
    if (!this.tls) return exchange(command, this.address.host, this.address.port, options.signal, options.maxBytes, parse);
    return this.secureRequest(command, options, parse);
  }

  private async secureRequest<C extends FourLetterWord>(command: C, options: RequestOptions, parse: (reply: string) => Reply<C>): Promise<Reply<C>> {
    const secure = await this.tlsExchange(command);
    try {
      return await exchange(command, this.address.host, this.address.port, options.signal, options.maxBytes, parse, secure);
    } catch (error) {
      if (error instanceof ProbeError && error.reason.startsWith('tls_')) this.session = undefined;
      throw error;
    }
  }

  private async tlsExchange(command: string): Promise<TlsExchange> {
    let loaded;
    try {
      loaded = await this.tls!.connectionOptions(this.address.host);
    } catch (error) {
      throw new ProbeError('tls_bad_files', `${command}: ${(error as Error).message}`);
    }
    const { generation } = loaded;
    const session = this.session?.generation === generation ? this.session.data : undefined;
    return {
      options: loaded.options,
      ...(session ? { session } : {}),
      onSession: (data) => (this.session = { generation, data }),
    };
  }

  close(): void {
    this.session = undefined;
  }
}
