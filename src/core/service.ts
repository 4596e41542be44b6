import type { Host, ReloadOutcome, ServiceInfo, ServiceStatus, TelemetryEndpointFactory } from './component.js';
import type { ResolvedConfig } from './config/resolve.js';
import { Lifecycle } from './lifecycle.js';
import type { Logger } from './logger.js';
import { describePipelines, exportersInUse } from './pipeline-graph.js';
import { PipelineTail } from './pipeline-tail.js';
import { Pipelines } from './pipelines.js';
import { RoundTracker } from './readiness.js';
import { planReload } from './reload-plan.js';
import { SourceLedger } from './source-ledger.js';
import { StageTelemetry } from './stage-telemetry.js';
import { SelfTelemetry } from './telemetry.js';

export interface ServiceOptions {
  readonly telemetry?: SelfTelemetry;
  /** Offered to extensions (POST /-/reload); the CLI knows how to re-read the config files. */
  readonly reload?: () => Promise<ReloadOutcome>;
  /** Needed when the config sets `service.telemetry.metrics.address`: what serves the agent's own metrics there. */
  readonly telemetryEndpoint?: TelemetryEndpointFactory;
}

/**
 * Runs a resolved config: the lifecycle runner (`Lifecycle`) starts and stops components in order, `Pipelines`
 * subscribes them, `planReload` decides what a reload keeps; the service coordinates them and answers extensions.
 */
export class Service {
  readonly telemetry: SelfTelemetry;
  private readonly components: Lifecycle;
  private readonly ledger = new SourceLedger();
  private readonly rounds = new RoundTracker();
  private readonly tail: PipelineTail;
  private readonly pipelines: Pipelines;
  private stopped: Promise<void> | undefined;
  private reconfiguring: Promise<void> | undefined;
  private exportersStarted = false;
  private readonly startedAtMs = Date.now();
  private lastReload: ServiceInfo['lastReload'];
  /**
   * The agent's own metrics take one of two paths, fixed at start: on the endpoint of `service.telemetry.metrics.address`,
   * or through every pipeline exporter (`CreateSettings.exportsSelfTelemetry`).
   */
  private readonly exportersExportSelfTelemetry: boolean;

  private constructor(
    private config: ResolvedConfig,
    private readonly logger: Logger,
    private readonly options: ServiceOptions,
  ) {
    this.telemetry = options.telemetry ?? new SelfTelemetry();
    this.components = new Lifecycle(logger, this.telemetry);
    this.tail = new PipelineTail(this.ledger, logger);
    this.pipelines = new Pipelines(this.tail, this.ledger, this.rounds, new StageTelemetry(this.telemetry), logger);
    this.exportersExportSelfTelemetry = config.service.telemetryMetricsAddress === undefined;
  }

  static async start(config: ResolvedConfig, logger: Logger, options: ServiceOptions = {}): Promise<Service> {
    const service = new Service(config, logger, options);
    try {
      await loadImplementations(config);
      const address = config.service.telemetryMetricsAddress;
      if (address !== undefined) await service.components.startTelemetryEndpoint(address, options.telemetryEndpoint);
      await service.components.startExtensions(config, service.host());
      await service.components.startExporters(config, exportersInUse(config), service.exportersExportSelfTelemetry);
      service.exportersStarted = true;
      service.pipelines.start(config, service.components);
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
    const serving = exportersInUse(this.config).every((id) => this.components.exporter(id) !== undefined);
    return { exportersStarted: this.exportersStarted && serving, firstRoundDone: this.rounds.firstRoundDone(this.pipelines.running) };
  }

  /** A reload rejected before it reached the service (an invalid config file) still counts as the last reload. */
  recordRejectedReload(error: string): void {
    this.lastReload = { atMs: Date.now(), ok: false, error };
  }

  info(): ServiceInfo {
    const info = { pipelines: describePipelines(this.config), extensions: [...this.config.service.extensions], startedAtMs: this.startedAtMs };
    return this.lastReload ? { ...info, lastReload: this.lastReload } : info;
  }

  private host(): Host {
    return {
      status: () => this.status(),
      ...(this.options.reload ? { reload: this.options.reload } : {}),
      info: () => this.info(),
      observePipelines: (observer) => this.tail.observe(observer),
    };
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
    // Before anything stops: an implementation that cannot be loaded fails the reload with everything still running.
    await loadImplementations(config);
    const previous = this.config;
    await this.stopPipelines();
    const plan = planReload(previous, config, this.components.exporterIds());
    // Retired exporters go first: a replacement may listen on the same port.
    await this.components.stopExporters(plan.retire);
    this.config = config;
    try {
      if (!this.stopped) await this.components.startExporters(config, plan.start, this.exportersExportSelfTelemetry);
    } catch (error) {
      await this.rollBack(previous, plan.keep);
      throw error;
    }
    for (const id of plan.keep) {
      // A file the exporter reads (its web config) that cannot be applied leaves the running one in place.
      await this.components
        .exporter(id)
        ?.reload?.()
        .catch((error: unknown) => this.logger.error('exporter kept its running settings', { component: id, error }));
    }
    for (const extension of this.components.extensionsRunning()) {
      await extension.reload?.().catch((error: unknown) => this.logger.error('extension kept its running settings', { error }));
    }
    this.startPipelines(plan.keep);
  }

  /** Back to `previous` after a failed reload; what cannot be started again leaves the agent not ready. */
  private async rollBack(previous: ResolvedConfig, keep: readonly string[]): Promise<void> {
    await this.components.stopExporters(this.components.exporterIds().filter((id) => !keep.includes(id)));
    this.config = previous;
    try {
      const retired = exportersInUse(previous).filter((id) => !keep.includes(id));
      if (!this.stopped) await this.components.startExporters(previous, retired, this.exportersExportSelfTelemetry);
    } catch (error) {
      this.logger.error('the previous configuration could not be restored either; /readyz reports not ready until a reload succeeds', { error });
    }
    // Collection goes on with the exporters that run: a failed reload never leaves the agent idle.
    this.startPipelines(keep);
  }

  /** Pipelines under the current config; only `kept` exporters still hold sources from before. */
  private startPipelines(kept: readonly string[]): void {
    this.ledger.nextGeneration(kept.flatMap((id) => this.components.exporter(id) ?? []));
    if (!this.stopped) this.pipelines.start(this.config, this.components);
  }

  /** Cancels every probe, then stops processors, exporters and extensions. Safe to call twice. */
  shutdown(): Promise<void> {
    this.stopped ??= this.stop();
    return this.stopped;
  }

  private async stop(): Promise<void> {
    await this.reconfiguring;
    this.pipelines.stop();
    await this.components.shutdown();
  }

  /** Unsubscribes every pipeline (probes in flight are cancelled), then stops receivers and processors. */
  private async stopPipelines(): Promise<void> {
    this.pipelines.stop();
    await this.components.stopPipelineComponents();
  }
}

/** Imports what the configuration's components need (lazy-module.ts) before any of them is created. */
async function loadImplementations(config: ResolvedConfig): Promise<void> {
  const components = [config.receivers, config.processors, config.exporters, config.extensions].flatMap((byId) => [...byId.values()]);
  await Promise.all(components.map(({ factory }) => factory.load?.()));
}
