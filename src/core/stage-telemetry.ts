import { tap, type OperatorFunction } from 'rxjs';
import type { Attributes, Batch } from './batch.js';
import type { CounterHandle, SelfTelemetry } from './telemetry.js';

/** The `zkotel.processor.*` counters every stage gets, whatever it does. */
export class StageTelemetry {
  private readonly samplesIn: CounterHandle;
  private readonly samplesOut: CounterHandle;
  private readonly samplesDropped: CounterHandle;
  private readonly seconds: CounterHandle;

  constructor(telemetry: SelfTelemetry) {
    this.samplesIn = telemetry.counter('zkotel.processor.samples.in', { description: 'Samples that entered the processor.' });
    this.samplesOut = telemetry.counter('zkotel.processor.samples.out', { description: 'Samples the processor passed on.' });
    this.samplesDropped = telemetry.counter('zkotel.processor.samples.dropped', { description: 'Samples the processor dropped (in minus out).' });
    this.seconds = telemetry.counter('zkotel.processor.cpu_seconds', {
      unit: 's',
      valueType: 'double',
      description: 'Time spent processing batches, synchronously, in seconds.',
    });
  }

  forStage(processor: string, pipeline: string): StageCounters {
    const attributes: Attributes = Object.freeze({ processor, pipeline });
    return {
      in: (count) => this.samplesIn(attributes, count),
      out: (count, dropped, seconds) => {
        this.samplesOut(attributes, count);
        this.samplesDropped(attributes, dropped);
        this.seconds(attributes, seconds);
      },
    };
  }
}

export interface StageCounters {
  in(count: number): void;
  out(count: number, dropped: number, seconds: number): void;
}

/**
 * Counts a stage's samples in and out and times it. Stages run synchronously per batch, so the time from a
 * batch entering to its result leaving is the stage's own work; a batch the stage swallows whole counts as
 * dropped when the next one enters.
 */
export function instrumentStage(stage: OperatorFunction<Batch, Batch>, counters: StageCounters): OperatorFunction<Batch, Batch> {
  return (source) => {
    let pending: { count: number; startedAt: number } | undefined;
    const settle = (out: number) => {
      if (!pending) return;
      counters.out(out, Math.max(0, pending.count - out), (performance.now() - pending.startedAt) / 1000);
      pending = undefined;
    };
    return source.pipe(
      tap((batch) => {
        settle(0);
        counters.in(batch.samples.length);
        pending = { count: batch.samples.length, startedAt: performance.now() };
      }),
      stage,
      tap((batch) => settle(batch.samples.length)),
    );
  };
}
