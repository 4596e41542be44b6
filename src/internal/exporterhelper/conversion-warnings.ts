/**
 * The warnings of turning a snapshot into OpenTelemetry metric data, shared by every exporter that converts one
 * (Prometheus at each scrape, OTLP at each push): each problem is logged once per metric for the life of the
 * exporter, not at every conversion.
 */
import type { ScopeMetrics } from '@opentelemetry/sdk-metrics';
import type { Batch } from '../../core/batch.js';
import type { Logger } from '../../core/logger.js';
import { snapshotToScopeMetrics, type ConversionIssues } from './snapshot.js';

export const CONFLICTING_KINDS_WARNING = 'metric produced with two different types; keeping the first one seen';
export const DUPLICATE_SERIES_WARNING = 'the same series came from two sources (is an endpoint configured twice?); keeping one';

export class ConversionWarnings {
  private readonly reported = new Set<string>();

  constructor(private readonly logger: Logger) {}

  /** `snapshotToScopeMetrics`, warning about what it left out. */
  toScopeMetrics(batches: Iterable<Batch>, scopeName: string, constantAttributes?: Readonly<Record<string, string>>): ScopeMetrics {
    const issues: ConversionIssues = { conflictingKinds: new Set(), duplicateSeries: new Set() };
    const scopeMetrics = snapshotToScopeMetrics(batches, scopeName, issues, constantAttributes);
    this.reportOnce(issues.conflictingKinds, CONFLICTING_KINDS_WARNING);
    this.reportOnce(issues.duplicateSeries, DUPLICATE_SERIES_WARNING);
    return scopeMetrics;
  }

  private reportOnce(names: Set<string>, message: string): void {
    for (const name of names) {
      const key = `${message}|${name}`;
      if (this.reported.has(key)) continue;
      this.reported.add(key);
      this.logger.warn(message, { metric: name });
    }
  }
}
