import type { Observable, OperatorFunction, SchedulerLike } from 'rxjs';
import type { z } from 'zod';
import type { Batch, PipelineItem, SourceGone } from './batch.js';
import type { Logger } from './logger.js';
import type { SelfTelemetry } from './telemetry.js';

export type ComponentKind = 'receiver' | 'processor' | 'exporter' | 'extension';

/** What every component gets at creation besides its own config. */
export interface CreateSettings {
  /** The component id as written in the config: `type` or `type/name`. */
  readonly id: string;
  readonly logger: Logger;
  /** The agent's own metrics: count what the component does here (`zkotel.*`). */
  readonly telemetry: SelfTelemetry;
  /** A running extension by id (extensions start first), e.g. the agent_group a receiver shards its targets by. */
  readonly extension?: (id: string) => Extension | undefined;
  /**
   * Where the component takes its time from: timers, intervals, backoff, debounce and `now()`. Absent means
   * `asyncScheduler` (wall-clock time); tests pass an RxJS `TestScheduler` to run them in virtual time.
   */
  readonly scheduler?: SchedulerLike;
  /**
   * Receivers only: the attributes that the agent's receivers set on their samples, the union of their factories'
   * `attributes` (filled in by the registry). Discovery refuses target labels that would be exported like one of them.
   */
  readonly receiverAttributes?: ReadonlySet<string>;
  /**
   * Exporters only: whether to export the agent's own metrics (`telemetry.snapshot()`) beside the pipelines' data.
   * The service decides: false when `service.telemetry.metrics.address` gives them an endpoint of their own. Absent
   * means true.
   */
  readonly exportsSelfTelemetry?: boolean;
}

/** Serves the agent's own metrics on `address` (`service.telemetry.metrics.address`); src/components.ts provides it. */
export type TelemetryEndpointFactory = (settings: CreateSettings, address: string) => Exporter;

/**
 * A receiver is a cold Observable: subscribing starts probing, unsubscribing cancels every probe in flight.
 * The core shares it between the pipelines that name it.
 */
export interface Receiver {
  /**
   * A batch per probe of a source, and a `SourceGone` once a source it delivered will deliver no more (a removed
   * target): that is what makes exporters drop the source's series. An empty batch never does.
   */
  readonly batches: Observable<PipelineItem>;
  /** How many sources one collection round covers (e.g. endpoints); readiness waits for a batch from each. */
  readonly sourcesPerRound?: number;
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
  /** The latest snapshot of `batch.source`: it replaces the previous one whole (an empty batch exports nothing). */
  consume(batch: Batch): void;
  /** The source is gone: drop everything kept of it. A source the exporter never had is no error. */
  forget(gone: SourceGone): void;
  shutdown(): Promise<void>;
  /** On a config reload that keeps the exporter: re-read the files its config names (certificates, users). */
  reload?(): Promise<void>;
}

/** What the running agent looks like from an extension. */
export interface ServiceStatus {
  /** Every exporter started (listening, for servers). */
  readonly exportersStarted: boolean;
  /** Every receiver delivered a batch for each of its sources at least once. */
  readonly firstRoundDone: boolean;
}

export type ReloadOutcome = { readonly ok: true } | { readonly ok: false; readonly errors: readonly string[] };

/** One pipeline as configured: the component ids it chains. */
export interface PipelineInfo {
  readonly id: string;
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
}

/** What the agent is running, for extensions that show it to people. */
export interface ServiceInfo {
  readonly pipelines: readonly PipelineInfo[];
  readonly extensions: readonly string[];
  /** When the service started, in ms since the epoch. */
  readonly startedAtMs: number;
  /** The last configuration reload the service applied or failed to apply; undefined before the first one. */
  readonly lastReload?: { readonly atMs: number; readonly ok: boolean; readonly error?: string };
}

/**
 * Called with everything a pipeline hands to its exporters, after its processors: what the exporters see, each
 * batch and each `SourceGone`. Observers must not keep or modify a batch's samples beyond the call's own reading,
 * and must be quick.
 */
export type PipelineObserver = (item: PipelineItem, pipeline: string) => void;

/** What the core offers extensions. */
export interface Host {
  status(): ServiceStatus;
  /** Re-reads the configuration and applies it; absent where the agent cannot reload. */
  readonly reload?: () => Promise<ReloadOutcome>;
  info(): ServiceInfo;
  /** Read-only view of what the pipelines deliver; returns the function that stops the observation. */
  observePipelines(observer: PipelineObserver): () => void;
}

/** An extension runs beside the pipelines (health checks, ...). `shutdown` is safe without `start` and twice. */
export interface Extension {
  start(host: Host): Promise<void>;
  shutdown(): Promise<void>;
  /** On a config reload (extensions keep running): re-read the files its config names (certificates, users). */
  reload?(): Promise<void>;
}

interface FactoryBase<TKind extends ComponentKind, TConfig> {
  readonly kind: TKind;
  readonly type: string;
  /** Parses user YAML laid over the defaults: fills every default, rejects unknown keys, checks types. */
  readonly configSchema: z.ZodType<TConfig>;
  createDefaultConfig(): TConfig;
  /**
   * Top-level config keys whose value is the id of an extension, with the extension type it must be, e.g. a
   * receiver's `{ agent_group: 'agent_group' }`. The config is refused unless each id set names an extension of
   * that type enabled in `service.extensions` (as the Collector checks an `auth: authenticator:` reference).
   */
  readonly extensionReferences?: Readonly<Record<string, string>>;
  /**
   * Imports what creating its components needs, when that is heavy (see lazy-module.ts); the service awaits it for
   * every component of a configuration before creating any. Absent: ready as imported.
   */
  readonly load?: () => Promise<void>;
}

export interface ReceiverFactory<TConfig = unknown> extends FactoryBase<'receiver', TConfig> {
  /** Every attribute its receivers set on the samples they produce, besides the identity of their targets (`zk.endpoint`, …). */
  readonly attributes: readonly string[];
  createReceiver(settings: CreateSettings, config: TConfig): Receiver;
}
export interface ProcessorFactory<TConfig = unknown> extends FactoryBase<'processor', TConfig> {
  createProcessor(settings: CreateSettings, config: TConfig): Processor;
}
export interface ExporterFactory<TConfig = unknown> extends FactoryBase<'exporter', TConfig> {
  createExporter(settings: CreateSettings, config: TConfig): Exporter;
}

export interface ExtensionFactory<TConfig = unknown> extends FactoryBase<'extension', TConfig> {
  createExtension(settings: CreateSettings, config: TConfig): Extension;
}

// One registry holds factories of every config type: `unknown` would make createReceiver(settings, config) uncallable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ComponentFactory = ReceiverFactory<any> | ProcessorFactory<any> | ExporterFactory<any> | ExtensionFactory<any>;

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
export function defineExtension<T>(def: Definition<ExtensionFactory<T>>): ExtensionFactory<T> {
  return { kind: 'extension', createDefaultConfig: () => def.configSchema.parse({}), ...def };
}
