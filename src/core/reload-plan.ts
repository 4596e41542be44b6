import { isDeepStrictEqual } from 'node:util';
import type { ResolvedConfig } from './config/resolve.js';
import { exportersInUse } from './pipeline-graph.js';

/**
 * What a reload from one configuration to the next does with exporters. Receivers and processors are always
 * rebuilt (they keep nothing worth keeping: a receiver's first round comes at once) and extensions always kept (they
 * re-read their files), so exporters are what the plan decides.
 */
export interface ReloadPlan {
  /** Running exporters the new config uses with the same settings: they keep running, and keep their series. */
  readonly keep: readonly string[];
  /** Running exporters the new config drops or changes: they stop before any new one starts (a port may be reused). */
  readonly retire: readonly string[];
  /** Exporters the new config uses that are not kept (new, changed, or not running), in config order. */
  readonly start: readonly string[];
}

/** Which of the `running` exporters a reload from `previous` to `next` keeps, which it retires, which it starts. Pure. */
export function planReload(previous: ResolvedConfig, next: ResolvedConfig, running: Iterable<string>): ReloadPlan {
  const used = exportersInUse(next);
  const keep: string[] = [];
  const retire: string[] = [];
  for (const id of running) {
    const unchanged = isDeepStrictEqual(next.exporters.get(id)?.config, previous.exporters.get(id)?.config);
    (unchanged && used.includes(id) ? keep : retire).push(id);
  }
  return { keep, retire, start: used.filter((id) => !keep.includes(id)) };
}
