import { z } from 'zod';
import { byteSize, configObject, duration, hostPort } from '../../core/config/schema.js';
import { discoveryConfigSchema, hasTargetSources } from '../discovery/config.js';
import { DEFAULT_CONS_MAX_ADDRESSES } from './parse-extra.js';

/** Four-letter words this receiver knows how to turn into metrics; all but the defaults are opt-in. */
export const FOUR_LETTER_WORDS = ['mntr', 'ruok', 'srvr', 'stat', 'isro', 'wchs', 'envi', 'conf', 'cons'] as const;
export type FourLetterWord = (typeof FOUR_LETTER_WORDS)[number];

/** As the Collector's zookeeper receiver: a local server when nothing (no endpoint, no file_sd or dns) is configured. */
const DEFAULT_ENDPOINT = '127.0.0.1:2181';

export const zookeeperReceiverConfigSchema = configObject({
  /** One `host:port` to probe; shorthand for a one-item `endpoints`. */
  endpoint: hostPort().optional(),
  endpoints: z.array(hostPort()).default([]),
  collection_interval: duration({ min: 10 }).prefault('10s'),
  /** One deadline for connect + send + read of every command of one probe. */
  timeout: duration({ min: 1 }).prefault('5s'),
  initial_delay: duration().prefault('0s'),
  commands: z
    .array(z.enum(FOUR_LETTER_WORDS))
    .min(1, 'list at least one command')
    .refine((list) => new Set(list).size === list.length, 'a command is listed twice')
    .default(['mntr', 'ruok', 'srvr']),
  /** Value of the `zk.cluster` attribute on every series, to tell ensembles apart. */
  cluster: z.string().min(1).optional(),
  max_response_bytes: byteSize().prefault(1024 * 1024),
  /** `cons`: client addresses with their own series; the rest are summed as client_address="other". */
  cons_max_addresses: z.number().int().min(1).default(DEFAULT_CONS_MAX_ADDRESSES),
  /** Targets beyond the static `endpoints`: the ensemble's own membership, file_sd files, DNS names. */
  discovery: discoveryConfigSchema.optional(),
})
  .prefault({})
  .transform((config, ctx) => {
    const listed = [...(config.endpoint ? [config.endpoint] : []), ...config.endpoints];
    // file_sd and dns name targets of their own; ensemble discovery only expands seeds, so it keeps the default.
    const endpoints = listed.length > 0 || hasTargetSources(config.discovery) ? listed : [DEFAULT_ENDPOINT];
    const duplicates = endpoints.filter((endpoint, index) => endpoints.indexOf(endpoint) !== index);
    if (duplicates.length > 0) ctx.addIssue({ code: 'custom', path: ['endpoints'], message: `endpoint listed twice: ${duplicates.join(', ')}` });
    const { endpoint: _single, ...rest } = config;
    return { ...rest, endpoints };
  });

export type ZookeeperReceiverConfig = z.output<typeof zookeeperReceiverConfigSchema>;
