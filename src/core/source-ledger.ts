import type { Exporter } from './component.js';

/**
 * Which sources each exporter has been given, and under which configuration generation. After a reload, once
 * every receiver has reported, the sources nobody reported again (a removed endpoint, receiver or pipeline) are
 * forgotten by sending their exporter an empty batch; everyone else's series are never disturbed.
 */
export class SourceLedger {
  private readonly delivered = new Map<Exporter, Map<string, number>>();
  private generation = 0;
  private staleAfterReload = false;

  record(exporter: Exporter, source: string): void {
    let sources = this.delivered.get(exporter);
    if (!sources) this.delivered.set(exporter, (sources = new Map()));
    sources.set(source, this.generation);
  }

  /** A new configuration runs from now on. */
  nextGeneration(keptExporters: Iterable<Exporter>): void {
    const kept = new Set(keptExporters);
    for (const exporter of this.delivered.keys()) if (!kept.has(exporter)) this.delivered.delete(exporter);
    this.generation++;
    this.staleAfterReload = true;
  }

  /** Whether a reload left sources to check: only then is the new round's progress worth looking at. */
  get awaitingRound(): boolean {
    return this.staleAfterReload;
  }

  /** Call once the new configuration's first round is done; cheap to call again. */
  forgetStale(nowMs: number): void {
    if (!this.staleAfterReload) return;
    this.staleAfterReload = false;
    for (const [exporter, sources] of this.delivered) {
      for (const [source, generation] of sources) {
        if (generation === this.generation) continue;
        sources.delete(source);
        exporter.consume({ source, timeMs: nowMs, startTimeMs: nowMs, samples: [] });
      }
    }
  }
}
