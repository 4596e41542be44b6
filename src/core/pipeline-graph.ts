import type { PipelineInfo } from './component.js';
import type { ResolvedConfig } from './config/resolve.js';

/** The exporters some pipeline sends to, in the order they are configured: only these are started (a configured but unused exporter is not). */
export function exportersInUse(config: ResolvedConfig): readonly string[] {
  const used = new Set([...config.service.pipelines.values()].flatMap((pipeline) => pipeline.exporters));
  return [...config.exporters.keys()].filter((id) => used.has(id));
}

/** Each pipeline with the component ids it chains, as extensions show them. */
export function describePipelines(config: ResolvedConfig): PipelineInfo[] {
  return [...config.service.pipelines].map(([id, pipeline]) => ({
    id,
    receivers: [...pipeline.receivers],
    processors: [...pipeline.processors],
    exporters: [...pipeline.exporters],
  }));
}
