import { isDeepStrictEqual } from 'node:util';
import type { ResolvedConfig } from './config/resolve.js';

/** The exporters some pipeline sends to: only these are started (a configured but unused exporter is not). */
export function exportersInUse(config: ResolvedConfig): ReadonlySet<string> {
  return new Set([...config.service.pipelines.values()].flatMap((pipeline) => pipeline.exporters));
}

export interface ExporterReloadPlan {
  /** Running exporters the new config uses with the same settings: they keep running, and keep their series. */
  readonly keep: readonly string[];
  /** Running exporters the new config drops or changes: they stop before the new ones start (a port may be reused). */
  readonly retire: readonly string[];
}

/** Which of the `running` exporters a reload from `previous` to `next` keeps and which it retires. Pure. */
export function planExporterReload(previous: ResolvedConfig, next: ResolvedConfig, running: Iterable<string>): ExporterReloadPlan {
  const used = exportersInUse(next);
  const keep: string[] = [];
  const retire: string[] = [];
  for (const id of running) {
    const unchanged = isDeepStrictEqual(next.exporters.get(id)?.config, previous.exporters.get(id)?.config);
    (unchanged && used.has(id) ? keep : retire).push(id);
  }
  return { keep, retire };
}
