import type { Observable, OperatorFunction } from 'rxjs';
import type { z } from 'zod';
import type { Batch } from './batch.js';
import type { Logger } from './logger.js';
import type { SelfTelemetry } from './telemetry.js';

export type ComponentKind = 'receiver' | 'processor' | 'exporter';

/** What every component gets at creation besides its own config. */
export interface CreateSettings {
  /** The component id as written in the config: `type` or `type/name`. */
  readonly id: string;
  readonly logger: Logger;
  /** The agent's own metrics: count what the component does here (`zkotel.*`). */
  readonly telemetry: SelfTelemetry;
}

/**
 * A receiver is a cold Observable: subscribing starts probing, unsubscribing cancels every probe in flight.
 * The core shares it between the pipelines that name it.
 */
export interface Receiver {
  readonly batches: Observable<Batch>;
  shutdown?(): Promise<void>;
}

/** A processor is a pure stage; per-subscription state lives inside the operator. */
export interface Processor {
  readonly operator: OperatorFunction<Batch, Batch>;
  shutdown?(): Promise<void>;
}

/** An exporter is the sink at the end of pipelines. `shutdown` is safe without `start` and twice. */
export interface Exporter {
  start(): Promise<void>;
  consume(batch: Batch): void;
  shutdown(): Promise<void>;
}

interface FactoryBase<TKind extends ComponentKind, TConfig> {
  readonly kind: TKind;
  readonly type: string;
  /** Parses user YAML laid over the defaults: fills every default, rejects unknown keys, checks types. */
  readonly configSchema: z.ZodType<TConfig>;
  createDefaultConfig(): TConfig;
}

export interface ReceiverFactory<TConfig = unknown> extends FactoryBase<'receiver', TConfig> {
  createReceiver(settings: CreateSettings, config: TConfig): Receiver;
}
export interface ProcessorFactory<TConfig = unknown> extends FactoryBase<'processor', TConfig> {
  createProcessor(settings: CreateSettings, config: TConfig): Processor;
}
export interface ExporterFactory<TConfig = unknown> extends FactoryBase<'exporter', TConfig> {
  createExporter(settings: CreateSettings, config: TConfig): Exporter;
}

export type ComponentFactory = ReceiverFactory<any> | ProcessorFactory<any> | ExporterFactory<any>;

type Definition<F extends FactoryBase<ComponentKind, unknown>> = Omit<F, 'kind' | 'createDefaultConfig'>;

// The default config is whatever the schema makes of an empty section, so defaults are written once.
export function defineReceiver<T>(def: Definition<ReceiverFactory<T>>): ReceiverFactory<T> {
  return { kind: 'receiver', createDefaultConfig: () => def.configSchema.parse({}), ...def };
}
export function defineProcessor<T>(def: Definition<ProcessorFactory<T>>): ProcessorFactory<T> {
  return { kind: 'processor', createDefaultConfig: () => def.configSchema.parse({}), ...def };
}
export function defineExporter<T>(def: Definition<ExporterFactory<T>>): ExporterFactory<T> {
  return { kind: 'exporter', createDefaultConfig: () => def.configSchema.parse({}), ...def };
}
