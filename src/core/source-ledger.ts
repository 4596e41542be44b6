import type { Exporter } from './component.js';

/** A source one exporter holds: as its receiver names it, and the pipeline that delivered it. */
export interface HeldSource {
  readonly exporter: Exporter;
  readonly pipeline: string;
  readonly source: string;
}

interface Entry extends HeldSource {
  generation: number;
}

/**
 * Which sources each exporter holds, and under which configuration generation they last came. After a reload,
 * once every receiver has reported, the sources nobody reported again (a removed endpoint, receiver or pipeline)
 * are stale: the service tells their exporters they are gone; everyone else's series are never disturbed.
 */
export class SourceLedger {
  /** Per exporter, per `<pipeline>|<source>` (what the exporter sees as the source). */
  private readonly held = new Map<Exporter, Map<string, Entry>>();
  private generation = 0;
  private staleAfterReload = false;

  record(exporter: Exporter, pipeline: string, source: string): void {
    let sources = this.held.get(exporter);
    if (!sources) this.held.set(exporter, (sources = new Map()));
    const key = `${pipeline}|${source}`;
    const entry = sources.get(key);
    if (entry) entry.generation = this.generation;
    else sources.set(key, { exporter, pipeline, source, generation: this.generation });
  }

  /** The exporter was told the source is gone. */
  forgot(exporter: Exporter, pipeline: string, source: string): void {
    this.held.get(exporter)?.delete(`${pipeline}|${source}`);
  }

  /** Whether some exporter holds `source` of `pipeline`. */
  isHeld(pipeline: string, source: string): boolean {
    const key = `${pipeline}|${source}`;
    for (const sources of this.held.values()) if (sources.has(key)) return true;
    return false;
  }

  /** A new configuration runs from now on; exporters not kept hold nothing any more. */
  nextGeneration(keptExporters: Iterable<Exporter>): void {
    const kept = new Set(keptExporters);
    for (const exporter of this.held.keys()) if (!kept.has(exporter)) this.held.delete(exporter);
    this.generation++;
    this.staleAfterReload = true;
  }

  /** Whether a reload left sources to check: only then is the new round's progress worth looking at. */
  get awaitingRound(): boolean {
    return this.staleAfterReload;
  }

  /**
   * Call once the new configuration's first round is done: the sources held since an earlier configuration that
   * nobody reported again. Each is returned once; later calls return nothing until the next reload.
   */
  takeStale(): HeldSource[] {
    if (!this.staleAfterReload) return [];
    this.staleAfterReload = false;
    const stale: HeldSource[] = [];
    for (const sources of this.held.values()) {
      for (const entry of sources.values()) if (entry.generation !== this.generation) stale.push(entry);
    }
    return stale;
  }
}
