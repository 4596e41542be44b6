import type { CreateSettings, Exporter, Extension, Host, Processor, Receiver, TelemetryEndpointFactory } from './component.js';
import type { ResolvedConfig } from './config/resolve.js';
import type { Logger } from './logger.js';
import type { SelfTelemetry } from './telemetry.js';

/**
 * Creates, starts and stops the components of the running configuration, in one order: the self-telemetry
 * endpoint, extensions, exporters, then processors and receivers (the pipelines); shutdown goes the other way, so
 * no batch is produced into a stopped exporter and no extension loses the service under it. A component that fails
 * to start is shut down and the error names it; failures to shut down are logged, never thrown.
 */
export class Lifecycle {
  private telemetryServer: Exporter | undefined;
  private readonly extensions = new Map<string, Extension>();
  private readonly runningExporters = new Map<string, Exporter>();
  private readonly receivers: Receiver[] = [];
  private readonly processors: Processor[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly telemetry: SelfTelemetry,
  ) {}

  /** What a component gets at creation; `context` goes into its log lines (e.g. its pipeline). */
  settings(id: string, context: Record<string, string> = {}): CreateSettings {
    return { id, logger: this.logger.child({ component: id, ...context }), telemetry: this.telemetry, extension: (wanted) => this.extensions.get(wanted) };
  }

  /** `service.telemetry.metrics.address`: the agent's own metrics on an endpoint of their own, started first. */
  async startTelemetryEndpoint(address: string, endpoint: TelemetryEndpointFactory | undefined): Promise<void> {
    if (!endpoint) throw new Error('service::telemetry::metrics: this build has no telemetry endpoint');
    const server = endpoint({ ...this.settings('telemetry'), exportsSelfTelemetry: true }, address);
    try {
      await server.start();
    } catch (error) {
      await this.stopAll([server]);
      throw new Error(`service::telemetry::metrics: ${messageOf(error)}`);
    }
    this.telemetryServer = server;
  }

  /** Every extension of `service.extensions`, in order; they keep running across reloads. */
  async startExtensions(config: ResolvedConfig, host: Host): Promise<void> {
    for (const id of config.service.extensions) {
      const { factory, config: extensionConfig } = config.extensions.get(id)!;
      const extension = factory.createExtension(this.settings(id), extensionConfig);
      this.extensions.set(id, extension);
      await startComponent('extension', id, () => extension.start(host));
    }
  }

  /** Creates and starts exporters `ids` of `config`, in order; the first that fails to start is shut down and thrown. */
  async startExporters(config: ResolvedConfig, ids: readonly string[], exportsSelfTelemetry: boolean): Promise<void> {
    for (const id of ids) {
      const { factory, config: exporterConfig } = config.exporters.get(id)!;
      const exporter = factory.createExporter({ ...this.settings(id), exportsSelfTelemetry }, exporterConfig);
      try {
        await startComponent('exporter', id, () => exporter.start());
      } catch (error) {
        await this.stopAll([exporter]);
        throw error;
      }
      this.runningExporters.set(id, exporter);
    }
  }

  /** Stops the running exporters `ids` (all at once: their order does not matter once nothing feeds them). */
  async stopExporters(ids: readonly string[]): Promise<void> {
    const stopping = ids.flatMap((id) => this.runningExporters.get(id) ?? []);
    for (const id of ids) this.runningExporters.delete(id);
    await this.stopAll(stopping);
  }

  exporter(id: string): Exporter | undefined {
    return this.runningExporters.get(id);
  }

  /** The ids of the exporters that run now. */
  exporterIds(): string[] {
    return [...this.runningExporters.keys()];
  }

  extensionsRunning(): Iterable<Extension> {
    return this.extensions.values();
  }

  /** A receiver of the pipelines about to start; stopped by `stopPipelineComponents`. */
  createReceiver(config: ResolvedConfig, id: string): Receiver {
    const { factory, config: receiverConfig } = config.receivers.get(id)!;
    const receiver = factory.createReceiver(this.settings(id), receiverConfig);
    this.receivers.push(receiver);
    return receiver;
  }

  /** A processor of pipeline `pipeline` about to start (one per pipeline naming it); stopped by `stopPipelineComponents`. */
  createProcessor(config: ResolvedConfig, id: string, pipeline: string): Processor {
    const { factory, config: processorConfig } = config.processors.get(id)!;
    const processor = factory.createProcessor(this.settings(id, { pipeline }), processorConfig);
    this.processors.push(processor);
    return processor;
  }

  /** Once the pipelines are unsubscribed (probes cancelled): receivers, then processors. */
  async stopPipelineComponents(): Promise<void> {
    await this.stopAll(this.receivers.splice(0));
    await this.stopAll(this.processors.splice(0));
  }

  /** Everything, in reverse order of start. Call once the pipelines are unsubscribed. */
  async shutdown(): Promise<void> {
    await this.stopPipelineComponents();
    await this.stopExporters(this.exporterIds().reverse());
    await this.stopAll([...this.extensions.values()].reverse());
    if (this.telemetryServer) await this.stopAll([this.telemetryServer]);
  }

  private async stopAll(components: Iterable<{ shutdown?(): Promise<void> }>): Promise<void> {
    const results = await Promise.allSettled([...components].map((component) => component.shutdown?.()));
    for (const result of results) if (result.status === 'rejected') this.logger.error('component failed to shut down', { error: result.reason });
  }
}

async function startComponent(kind: string, id: string, start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (error) {
    throw new Error(`${kind} "${id}": ${messageOf(error)}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
