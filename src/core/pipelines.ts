import { connect, filter, merge, Observable, retry, share, tap, timer, type OperatorFunction, type Subscription } from 'rxjs';
import { isBatch, isSourceGone, type Batch, type PipelineItem } from './batch.js';
import type { Exporter, Processor, Receiver } from './component.js';
import type { ResolvedConfig } from './config/resolve.js';
import type { Logger } from './logger.js';
import { stripMetaAttributes } from './meta-attributes.js';
import type { PipelineTail } from './pipeline-tail.js';
import type { RoundTracker } from './readiness.js';
import type { SourceLedger } from './source-ledger.js';
import { instrumentStage, type StageTelemetry } from './stage-telemetry.js';

const PIPELINE_RESTART_DELAY_MS = 1000;

/** What the pipelines take from the lifecycle runner: components created for them, and the exporters that run. */
export interface PipelineComponents {
  createReceiver(config: ResolvedConfig, id: string): Receiver;
  createProcessor(config: ResolvedConfig, id: string, pipeline: string): Processor;
  exporter(id: string): Exporter | undefined;
}

/**
 * The subscriptions of the configured pipelines: `merge(receivers) → instrumented stages → stripMetaAttributes →
 * tail`. A receiver named by several pipelines is created once and shared. `SourceGone`s pass around the stages,
 * in order with the batches (stages are synchronous), so processors see batches only. A pipeline whose stage throws
 * is logged and resubscribed after a second.
 */
export class Pipelines {
  private subscriptions: Subscription[] = [];

  constructor(
    private readonly tail: PipelineTail,
    private readonly ledger: SourceLedger,
    private readonly rounds: RoundTracker,
    private readonly stageTelemetry: StageTelemetry,
    private readonly logger: Logger,
  ) {}

  get running(): boolean {
    return this.subscriptions.length > 0;
  }

  start(config: ResolvedConfig, components: PipelineComponents): void {
    const shared = new Map<string, Observable<PipelineItem>>();
    const receiverItems = (id: string): Observable<PipelineItem> => {
      let items = shared.get(id);
      if (!items) {
        const receiver = components.createReceiver(config, id);
        const delivered = this.rounds.track(id, receiver);
        items = receiver.batches.pipe(
          tap((item) => {
            // A gone source delivered nothing of a round.
            if (!isSourceGone(item)) delivered(item.source);
          }),
          share(),
        );
        shared.set(id, items);
      }
      return items;
    };
    const pipelines = [...config.service.pipelines].map(([pipelineId, pipeline]) => {
      const stages = pipeline.processors.map((id) =>
        instrumentStage(components.createProcessor(config, id, pipelineId).operator, this.stageTelemetry.forStage(id, pipelineId)),
      );
      const sinks = pipeline.exporters.flatMap((id) => components.exporter(id) ?? []);
      return { pipelineId, receivers: pipeline.receivers, stages, sinks };
    });
    // Receivers are subscribed last, once every pipeline's stages and sinks exist.
    for (const { pipelineId, receivers, stages, sinks } of pipelines) {
      const log = this.logger.child({ pipeline: pipelineId });
      const subscription = merge(...receivers.map(receiverItems))
        .pipe(
          batchesThrough([...stages, stripMetaAttributes()]),
          retry({
            delay: (error: unknown) => {
              log.error('pipeline failed; restarting it', { error });
              return timer(PIPELINE_RESTART_DELAY_MS);
            },
          }),
        )
        .subscribe((item) => {
          this.tail.deliver(pipelineId, sinks, item);
          if (this.ledger.awaitingRound && this.rounds.roundDone()) this.tail.forgetStale(item.timeMs);
        });
      this.subscriptions.push(subscription);
    }
  }

  /** Unsubscribes every pipeline: probes in flight are cancelled. The next start begins a round of its own. */
  stop(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
    this.rounds.clear();
  }
}

/**
 * Batches through `stages`, one after another; `SourceGone`s around them, in their place in the stream (as long as
 * the stages answer each batch synchronously, as every processor does).
 */
export function batchesThrough(stages: readonly OperatorFunction<Batch, Batch>[]): OperatorFunction<PipelineItem, PipelineItem> {
  return connect((items) =>
    merge(
      stages.reduce((stream, stage) => stream.pipe(stage), items.pipe(filter(isBatch))),
      items.pipe(filter(isSourceGone)),
    ),
  );
}
