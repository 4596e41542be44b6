import type { z } from 'zod';
import { hasTargetSources, type DiscoveryConfig } from './config.js';

/** As the Collector's zookeeper receiver: a local server when nothing (no endpoint, no file_sd or dns) is configured. */
export const DEFAULT_ENDPOINT = '127.0.0.1:2181';

/**
 * The static targets of a receiver config: `endpoint` (shorthand for one) and `endpoints`, or the local default
 * when neither is set and file_sd/dns name no targets either (ensemble discovery only expands seeds, so it keeps
 * the default). An endpoint listed twice is reported on `endpoints`.
 */
export function staticEndpoints(
  config: { readonly endpoint?: string | undefined; readonly endpoints: readonly string[]; readonly discovery?: DiscoveryConfig | undefined },
  ctx: z.RefinementCtx,
): string[] {
  const listed = [...(config.endpoint ? [config.endpoint] : []), ...config.endpoints];
  const endpoints = listed.length > 0 || hasTargetSources(config.discovery) ? listed : [DEFAULT_ENDPOINT];
  const duplicates = [...new Set(endpoints.filter((endpoint, index) => endpoints.indexOf(endpoint) !== index))];
  if (duplicates.length > 0) ctx.addIssue({ code: 'custom', path: ['endpoints'], message: `endpoint listed twice: ${duplicates.join(', ')}` });
  return endpoints;
}
