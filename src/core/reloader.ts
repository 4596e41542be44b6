import type { ReloadOutcome } from './component.js';
import { formatProblem } from './config/errors.js';
import { loadConfig } from './config/resolve.js';
import type { Logger } from './logger.js';
import type { Registry } from './registry.js';
import type { Service } from './service.js';
import type { GaugeHandle, SelfTelemetry } from './telemetry.js';

/**
 * Re-reads every config file and applies it to the running service (SIGHUP, POST /-/reload). An invalid new config
 * is rejected with its errors logged, and the running one keeps working. Reloads run one at a time.
 */
export class ConfigReloader {
  private service: Service | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly successful: GaugeHandle;
  private readonly successTime: GaugeHandle;

  constructor(
    private readonly files: readonly string[],
    private readonly registry: Registry,
    private readonly logger: Logger,
    telemetry: SelfTelemetry,
  ) {
    this.successful = telemetry.gauge('zkotel.config.last_reload_successful', {
      valueType: 'int',
      description: 'Whether the last configuration reload attempt succeeded (as prometheus_config_last_reload_successful).',
    });
    this.successTime = telemetry.gauge('zkotel.config.last_reload_success_timestamp_seconds', {
      unit: 's',
      description: 'When the configuration was last loaded successfully, in seconds since the epoch.',
    });
    this.record(true);
  }

  attach(service: Service): void {
    this.service = service;
  }

  /** Never rejects: every failure is logged, counted in zkotel_config_last_reload_successful and returned. */
  reload(): Promise<ReloadOutcome> {
    const next = this.queue.then(() => this.apply()).catch((error: unknown) => this.failed('reload failed', error));
    this.queue = next.catch(() => {});
    return next;
  }

  private async apply(): Promise<ReloadOutcome> {
    if (!this.service) return { ok: false, errors: ['the agent is still starting; try again in a moment'] };
    const resolution = loadConfig(this.files, this.registry);
    if (!resolution.config) {
      const errors = resolution.problems.map(formatProblem);
      for (const error of errors) this.logger.error('reload rejected: invalid configuration; the running one keeps working', { problem: error });
      this.record(false);
      this.service.recordRejectedReload(errors.join('; '));
      return { ok: false, errors };
    }
    for (const warning of resolution.warnings) this.logger.warn(formatProblem(warning));
    try {
      await this.service.reconfigure(resolution.config);
    } catch (error) {
      return this.failed('reload failed while applying the configuration; the previous one keeps running', error);
    }
    this.logger.info('configuration reloaded', { config: this.files });
    this.record(true);
    return { ok: true };
  }

  private failed(what: string, error: unknown): ReloadOutcome {
    const message = error instanceof Error ? error.message : String(error);
    this.logger.error(what, { error: message });
    this.record(false);
    return { ok: false, errors: [message] };
  }

  private record(ok: boolean): void {
    this.successful({}, ok ? 1 : 0);
    if (ok) this.successTime({}, Date.now() / 1000);
  }
}
