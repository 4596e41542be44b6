import { map, merge, Observable, share, tap, timer, retry, type OperatorFunction, type Subscription } from 'rxjs';
import type { Batch } from './batch.js';
import type {
  BatchObserver,
  CreateSettings,
  Exporter,
  Extension,
  Host,
  Processor,
  Receiver,
  ReloadOutcome,
  ServiceInfo,
  ServiceStatus,
  TelemetryEndpointFactory,
} from './component.js';
import type { ResolvedConfig } from './config/resolve.js';
import type { Logger } from './logger.js';
import { stripMetaAttributes } from './meta-attributes.js';
import { exportersInUse, planExporterReload } from './pipeline-graph.js';
import { RoundTracker } from './readiness.js';
import { SourceLedger } from './source-ledger.js';
import { instrumentStage, StageTelemetry } from './stage-telemetry.js';
import { SelfTelemetry } from './telemetry.js';

const PIPELINE_RESTART_DELAY_MS = 1000;

export interface ServiceOptions {
  readonly telemetry?: SelfTelemetry;
  /** Offered to extensions (POST /-/reload); the CLI knows how to re-read the config files. */
  readonly reload?: () => Promise<ReloadOutcome>;
  /** Needed when the config sets `service.telemetry.metrics.address`: what serves the agent's own metrics there. */
  readonly telemetryEndpoint?: TelemetryEndpointFactory;
}

/**
 * Builds the pipeline graph from a resolved config and runs it: extensions first, then exporters, receivers last;
 * shutdown goes the other way, so no batch is produced into a stopped exporter.
 */
export class Service {
  readonly telemetry: SelfTelemetry;
  private readonly extensions: Extension[] = [];
  private readonly extensionsById = new Map<string, Extension>();
  private exporters = new Map<string, Exporter>();
  private readonly receivers = new Map<string, Receiver>();
  private processors: Processor[] = [];
  private subscriptions: Subscription[] = [];
  private readonly ledger = new SourceLedger();
  private stopped: Promise<void> | undefined;
  private reconfiguring: Promise<void> | undefined;
  private exportersStarted = false;
  private readonly rounds = new RoundTracker();
  private readonly observers = new Set<BatchObserver>();
  private readonly startedAtMs = Date.now();
  private lastReload: ServiceInfo['lastReload'];

  private readonly stageTelemetry: StageTelemetry;
  /**
   * The agent's own metrics take one of two paths, fixed at start: on the endpoint of `service.telemetry.metrics.address`
   * (this server), or through every pipeline exporter (`CreateSettings.exportsSelfTelemetry`).
   */
  private readonly telemetryAddress: string | undefined;
  private telemetryServer: Exporter | undefined;

  private constructor(
    private config: ResolvedConfig,
    private readonly logger: Logger,
    private readonly options: ServiceOptions,
  ) {
    this.telemetry = options.telemetry ?? new SelfTelemetry();
    this.stageTelemetry = new StageTelemetry(this.telemetry);
    this.telemetryAddress = config.service.telemetryMetricsAddress;
  }

  static async start(config: ResolvedConfig, logger: Logger, options: ServiceOptions = {}): Promise<Service> {
    const service = new Service(config, logger, options);
    try {
      await service.startTelemetryEndpoint();
      await service.startExtensions();
      await service.startExporters();
      service.exportersStarted = true;
      service.startPipelines();
    } catch (error) {
      await service.shutdown();
      throw error;
    }
    return service;
  }

  /**
   * The first round is latched: a reload that rebuilds receivers does not make a serving agent unready. Exporters
   * are checked every time: one the config names that does not run (a reload could not restore it) is not ready.
   */
  status(): ServiceStatus {
    const used = exportersInUse(this.config);
    const serving = [...this.config.exporters.keys()].every((id) => !used.has(id) || this.exporters.has(id));
    return { exportersStarted: this.exportersStarted && serving, firstRoundDone: this.rounds.firstRoundDone(this.subscriptions.length > 0) };
  }

  /** A reload rejected before it reached the service (an invalid config file) still counts as the last reload. */
  recordRejectedReload(error: string): void {
    this.lastReload = { atMs: Date.now(), ok: false, error };
  }

  info(): ServiceInfo {
    const pipelines = [...this.config.service.pipelines].map(([id, pipeline]) => ({
      id,
      receivers: [...pipeline.receivers],
      processors: [...pipeline.processors],
      exporters: [...pipeline.exporters],
    }));
    return { pipelines, extensions: [...this.config.service.extensions], startedAtMs: this.startedAtMs, ...(this.lastReload ? { lastReload: this.lastReload } : {}) };
  }

  private async startTelemetryEndpoint(): Promise<void> {
    if (!this.telemetryAddress) return;
    if (!this.options.telemetryEndpoint) throw new Error('service::telemetry::metrics: this build has no telemetry endpoint');
    const server = this.options.telemetryEndpoint({ ...this.settings('telemetry'), exportsSelfTelemetry: true }, this.telemetryAddress);
    try {
      await server.start();
    } catch (error) {
      await this.stopAll([server]);
      throw new Error(`service::telemetry::metrics: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.telemetryServer = server;
  }

  private async startExtensions(): Promise<void> {
    const host: Host = {
      status: () => this.status(),
      ...(this.options.reload ? { reload: this.options.reload } : {}),
      info: () => this.info(),
      observeBatches: (observer) => {
        this.observers.add(observer);
        return () => void this.observers.delete(observer);
      },
    };
    for (const id of this.config.service.extensions) {
      const { factory, config } = this.config.extensions.get(id)!;
      const extension = factory.createExtension(this.settings(id), config);
      this.extensions.push(extension);
      this.extensionsById.set(id, extension);
      await startComponent('extension', id, () => extension.start(host));
    }
  }

  /** Starts the exporters the pipelines use; `keep` are already running. One that fails to start is shut down. */
  private async startExporters(keep: ReadonlyMap<string, Exporter> = new Map()): Promise<void> {
    for (const [id, exporter] of keep) this.exporters.set(id, exporter);
    const used = exportersInUse(this.config);
    for (const [id, { factory, config }] of this.config.exporters) {
      if (!used.has(id) || this.exporters.has(id)) continue;
      const exporter = factory.createExporter({ ...this.settings(id), exportsSelfTelemetry: !this.telemetryAddress }, config);
      try {
        await startComponent('exporter', id, () => exporter.start());
      } catch (error) {
        await this.stopAll([exporter]);
        throw error;
      }
      this.exporters.set(id, exporter);
    }
  }

  /**
   * Applies a new configuration without a restart: pipelines and receivers are rebuilt, exporters whose config did
   * not change keep running (and serving: no scrape fails), and series of sources that no longer exist are dropped
   * once every receiver has reported under the new configuration. Extensions keep running.
   */
  async reconfigure(config: ResolvedConfig): Promise<void> {
    if (this.stopped) throw new Error('the agent is shutting down');
    const running = this.applyConfig(config).then(
      () => void (this.lastReload = { atMs: Date.now(), ok: true }),
      (error: unknown) => {
        this.lastReload = { atMs: Date.now(), ok: false, error: error instanceof Error ? error.message : String(error) };
        throw error;
      },
    );
    this.reconfiguring = running.catch(() => {});
    return running;
  }

  /**
   * All or nothing: when a new exporter cannot start (its port is taken, its web config is broken), the exporters
   * started for the new config are stopped, the retired ones are started again from the previous config, and
   * collection resumes under the previous config; the error is then thrown for the reload to report.
   */
  private async applyConfig(config: ResolvedConfig): Promise<void> {
    const previous = this.config;
    await this.stopPipelines();
    const plan = planExporterReload(previous, config, this.exporters.keys());
    const keep = new Map(plan.keep.map((id) => [id, this.exporters.get(id)!]));
    const retired = plan.retire.map((id) => this.exporters.get(id)!);
    // Retired exporters go first: a replacement may listen on the same port.
    await this.stopAll(retired);
    this.config = config;
    this.exporters = new Map(keep);
    try {
      if (!this.stopped) await this.startExporters(keep);
    } catch (error) {
      await this.rollBack(previous, keep);
      throw error;
    }
    for (const [id, exporter] of keep) {
      // A file the exporter reads (its web config) that cannot be applied leaves the running one in place.
      await exporter.reload?.().catch((error: unknown) => this.logger.error('exporter kept its running settings', { component: id, error }));
    }
    for (const extension of this.extensions) {
      await extension.reload?.().catch((error: unknown) => this.logger.error('extension kept its running settings', { error }));
    }
    this.ledger.nextGeneration(keep.values());
    if (!this.stopped) this.startPipelines();
  }

  /** Back to `previous` after a failed reload; what cannot be started again leaves the agent not ready. */
  private async rollBack(previous: ResolvedConfig, keep: ReadonlyMap<string, Exporter>): Promise<void> {
    await this.stopAll([...this.exporters].filter(([id]) => !keep.has(id)).map(([, exporter]) => exporter));
    this.config = previous;
    this.exporters = new Map(keep);
    this.ledger.nextGeneration(keep.values());
    try {
      if (!this.stopped) await this.startExporters(keep);
    } catch (error) {
      this.logger.error('the previous configuration could not be restored either; /readyz reports not ready until a reload succeeds', { error });
    }
    // Collection goes on with the exporters that run: a failed reload never leaves the agent idle.
    if (!this.stopped) this.startPipelines();
  }

  private startPipelines(): void {
    const shared = new Map<string, Observable<Batch>>();
    const receiverBatches = (id: string): Observable<Batch> => {
      let batches = shared.get(id);
      if (!batches) {
        const { factory, config } = this.config.receivers.get(id)!;
        const receiver = factory.createReceiver(this.settings(id), config);
        this.receivers.set(id, receiver);
        const delivered = this.rounds.track(id, receiver);
        batches = receiver.batches.pipe(
          tap((batch) => delivered(batch.source)),
          share(),
        );
        shared.set(id, batches);
      }
      return batches;
    };
    const pipelines = [...this.config.service.pipelines].map(([pipelineId, pipeline]) => {
      const stages = pipeline.processors.map((id) => {
        const { factory, config } = this.config.processors.get(id)!;
        const processor = factory.createProcessor(this.settings(id, { pipeline: pipelineId }), config);
        this.processors.push(processor);
        return instrumentStage(processor.operator, this.stageTelemetry.forStage(id, pipelineId));
      });
      const sinks = pipeline.exporters.flatMap((id) => this.exporters.get(id) ?? []);
      return { pipelineId, receivers: pipeline.receivers, stages, sinks };
    });
    // Receivers are subscribed last, once every pipeline's stages and sinks exist.
    for (const { pipelineId, receivers, stages, sinks } of pipelines) {
      const log = this.logger.child({ pipeline: pipelineId });
      const subscription = merge(...receivers.map(receiverBatches))
        .pipe(
          applyStages(stages),
          stripMetaAttributes(),
          // Exporters keep one snapshot per source: the same receiver in two pipelines must not overwrite itself.
          map((batch): Batch => ({ ...batch, source: `${pipelineId}|${batch.source}` })),
          retry({
            delay: (error: unknown) => {
              log.error('pipeline failed; restarting it', { error });
              return timer(PIPELINE_RESTART_DELAY_MS);
            },
          }),
        )
        .subscribe((batch) => {
          for (const sink of sinks) {
            try {
              sink.consume(batch);
              this.ledger.record(sink, batch.source);
            } catch (error) {
              log.error('exporter failed to consume a batch', { error });
            }
          }
          for (const observer of this.observers) {
            try {
              observer(batch, pipelineId);
            } catch (error) {
              log.error('a batch observer failed', { error });
            }
          }
          if (this.ledger.awaitingRound && this.rounds.roundDone()) this.ledger.forgetStale(batch.timeMs);
        });
      this.subscriptions.push(subscription);
    }
  }

  private settings(id: string, context: Record<string, string> = {}): CreateSettings {
    return { id, logger: this.logger.child({ component: id, ...context }), telemetry: this.telemetry, extension: (wanted) => this.extensionsById.get(wanted) };
  }

  /** Cancels every probe, then stops processors and exporters. Safe to call twice. */
  shutdown(): Promise<void> {
    this.stopped ??= this.stop();
    return this.stopped;
  }

  private async stop(): Promise<void> {
    await this.reconfiguring;
    await this.stopPipelines();
    await this.stopAll([...this.exporters.values()].reverse());
    await this.stopAll([...this.extensions].reverse());
    if (this.telemetryServer) await this.stopAll([this.telemetryServer]);
  }

  /** Unsubscribes every pipeline (probes in flight are cancelled), then stops receivers and processors. */
  private async stopPipelines(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
    await this.stopAll(this.receivers.values());
    this.receivers.clear();
    this.rounds.clear();
    await this.stopAll(this.processors);
    this.processors = [];
  }

  private async stopAll(components: Iterable<{ shutdown?(): Promise<void> }>): Promise<void> {
    const results = await Promise.allSettled([...components].map((component) => component.shutdown?.()));
    for (const result of results) if (result.status === 'rejected') this.logger.error('component failed to shut down', { error: result.reason });
  }
}

function applyStages(stages: readonly OperatorFunction<Batch, Batch>[]): OperatorFunction<Batch, Batch> {
  return (source) => stages.reduce((stream, stage) => stream.pipe(stage), source);
}

async function startComponent(kind: string, id: string, start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (error) {
    throw new Error(`${kind} "${id}": ${error instanceof Error ? error.message : String(error)}`);
  }
}
