import { isSourceGone, sourceGone, type PipelineItem } from './batch.js';
import type { Exporter, PipelineObserver } from './component.js';
import type { Logger } from './logger.js';
import type { SourceLedger } from './source-ledger.js';

/**
 * Where every pipeline ends, and the one way into exporters: batches and `SourceGone`s from receivers, and the
 * `SourceGone`s of sources a reload left behind, take the same steps. The source becomes
 * `<pipeline>|<source>` (exporters keep one snapshot per source: the same receiver in two pipelines must not
 * overwrite itself), each exporter consumes or forgets it, the ledger notes who holds what, and observers see what
 * the exporters saw. A failing exporter or observer is logged and never stops the others.
 */
export class PipelineTail {
  private readonly observers = new Set<PipelineObserver>();

  constructor(
    private readonly ledger: SourceLedger,
    private readonly logger: Logger,
  ) {}

  /** Observers see everything delivered from now on; returns the function that stops the observation. */
  observe(observer: PipelineObserver): () => void {
    this.observers.add(observer);
    return () => void this.observers.delete(observer);
  }

  /** `item` as pipeline `pipeline` hands it to `exporters` (its source as the receiver named it). */
  deliver(pipeline: string, exporters: readonly Exporter[], item: PipelineItem): void {
    this.notify(pipeline, this.toExporters(pipeline, exporters, item));
  }

  /**
   * After a reload's first round: every source no receiver reported again is gone from the exporters holding it.
   * Observers hear it once the source is gone from every exporter (an exporter the pipeline no longer sends to may
   * be the only one to forget it).
   */
  forgetStale(timeMs: number): void {
    const byPipelineSource = new Map<string, { pipeline: string; source: string; exporters: Exporter[] }>();
    for (const { exporter, pipeline, source } of this.ledger.takeStale()) {
      const key = `${pipeline}|${source}`;
      let held = byPipelineSource.get(key);
      if (!held) byPipelineSource.set(key, (held = { pipeline, source, exporters: [] }));
      held.exporters.push(exporter);
    }
    for (const { pipeline, source, exporters } of byPipelineSource.values()) {
      const delivered = this.toExporters(pipeline, exporters, sourceGone(source, timeMs));
      if (!this.ledger.isHeld(pipeline, source)) this.notify(pipeline, delivered);
    }
  }

  /** Returns `item` as the exporters got it. */
  private toExporters(pipeline: string, exporters: readonly Exporter[], item: PipelineItem): PipelineItem {
    const delivered = { ...item, source: `${pipeline}|${item.source}` };
    for (const exporter of exporters) {
      try {
        if (isSourceGone(delivered)) {
          exporter.forget(delivered);
          this.ledger.forgot(exporter, pipeline, item.source);
        } else {
          exporter.consume(delivered);
          this.ledger.record(exporter, pipeline, item.source);
        }
      } catch (error) {
        this.logger.error(`exporter failed to ${isSourceGone(delivered) ? 'forget a source' : 'consume a batch'}`, { pipeline, error });
      }
    }
    return delivered;
  }

  private notify(pipeline: string, delivered: PipelineItem): void {
    for (const observer of this.observers) {
      try {
        observer(delivered, pipeline);
      } catch (error) {
        this.logger.error('a pipeline observer failed', { pipeline, error });
      }
    }
  }
}
