import { z } from 'zod';
import type { ComponentFactory, ComponentKind, ExporterFactory, ExtensionFactory, ProcessorFactory, ReceiverFactory } from '../component.js';
import { LOG_LEVELS, type LogLevel } from '../logger.js';
import type { Registry } from '../registry.js';
import type { ConfigPath, ConfigProblem } from './errors.js';
import { configObject, hostPort, schemaProblems } from './schema.js';
import { isPlainObject, loadConfigSource, type ConfigSource } from './source.js';

export interface ResolvedComponent<F extends ComponentFactory> {
  readonly id: string;
  readonly factory: F;
  readonly config: unknown;
}

export interface PipelineConfig {
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
}

export interface ResolvedConfig {
  readonly receivers: ReadonlyMap<string, ResolvedComponent<ReceiverFactory>>;
  readonly processors: ReadonlyMap<string, ResolvedComponent<ProcessorFactory>>;
  readonly exporters: ReadonlyMap<string, ResolvedComponent<ExporterFactory>>;
  readonly extensions: ReadonlyMap<string, ResolvedComponent<ExtensionFactory>>;
  readonly service: {
    readonly logLevel: LogLevel;
    /** Enabled extensions, in order. */
    readonly extensions: readonly string[];
    /** Where the agent's own metrics are served on their own, if anywhere. */
    readonly telemetryMetricsAddress?: string;
    readonly pipelines: ReadonlyMap<string, PipelineConfig>;
  };
}

/** Every problem found, not just the first: `config` is set only when there are none. */
export interface Resolution {
  readonly config?: ResolvedConfig;
  readonly problems: readonly ConfigProblem[];
  readonly warnings: readonly ConfigProblem[];
}

const SECTIONS = { receivers: 'receiver', processors: 'processor', exporters: 'exporter', extensions: 'extension' } as const satisfies Record<
  string,
  ComponentKind
>;
type Section = keyof typeof SECTIONS;
type PipelineSection = Exclude<Section, 'extensions'>;
const PIPELINE_SECTIONS: readonly PipelineSection[] = ['receivers', 'processors', 'exporters'];
const TOP_LEVEL_KEYS = [...Object.keys(SECTIONS), 'service'];
const COMPONENT_ID = /^([a-zA-Z][0-9a-zA-Z_]*)(?:\/(.+))?$/;
const PIPELINE_ID = /^metrics(?:\/.+)?$/;

const idList = z.array(z.string()).default([]);
const serviceSchema = configObject({
  telemetry: configObject({
    logs: configObject({ level: z.enum(LOG_LEVELS).default('info') }).prefault({}),
    /** With `address`, the agent's zkotel_* metrics get their own /metrics there instead of riding along. */
    metrics: configObject({ address: hostPort().optional() }).prefault({}),
  }).prefault({}),
  extensions: idList,
  pipelines: z.record(z.string(), configObject({ receivers: idList, processors: idList, exporters: idList })).default({}),
}).prefault({});

/**
 * Reads, checks and resolves the config files. Never throws: whatever goes wrong, even a bug in a component's
 * schema, ends as a problem located in the files, so start, `validate`, SIGHUP and POST /-/reload report it alike.
 */
export function loadConfig(files: readonly string[], registry: Registry, env: NodeJS.ProcessEnv = process.env): Resolution {
  try {
    const source = loadConfigSource(files, env);
    if (source.problems.length > 0) return { problems: source.problems, warnings: source.warnings };
    return resolveConfig(source, registry);
  } catch (error) {
    const location = files[0] === undefined ? undefined : { file: files[0], line: 1, col: 1 };
    return { problems: [{ ...(location ? { location } : {}), path: [], message: `cannot load the configuration: ${describeError(error)}` }], warnings: [] };
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function resolveConfig(source: ConfigSource, registry: Registry): Resolution {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [...source.warnings];
  const report = (list: ConfigProblem[]) => (path: ConfigPath, message: string) => list.push({ location: source.locate(path), path, message });
  const problem = report(problems);
  const warning = report(warnings);

  for (const key of Object.keys(source.value)) {
    if (!TOP_LEVEL_KEYS.includes(key)) problem([key], `unknown key "${key}" (valid keys: ${TOP_LEVEL_KEYS.join(', ')})`);
  }
  const components = {
    receivers: resolveSection<ReceiverFactory>('receivers', source.value, registry, problem),
    processors: resolveSection<ProcessorFactory>('processors', source.value, registry, problem),
    exporters: resolveSection<ExporterFactory>('exporters', source.value, registry, problem),
    extensions: resolveSection<ExtensionFactory>('extensions', source.value, registry, problem),
  };

  const service = serviceSchema.safeParse(source.value.service ?? {}, { reportInput: true });
  if (!service.success) {
    for (const { path, message } of schemaProblems(service.error)) problem(['service', ...path], message);
    return { problems: byLocation(problems), warnings: byLocation(warnings) };
  }
  const pipelines = new Map<string, PipelineConfig>();
  const used = new Set<string>();
  if (Object.keys(service.data.pipelines).length === 0)
    problem(['service', 'pipelines'], 'no pipeline defined: add at least one under service::pipelines, e.g. metrics: {receivers: [...], exporters: [...]}');
  for (const [pipelineId, pipeline] of Object.entries(service.data.pipelines)) {
    const at: ConfigPath = ['service', 'pipelines', pipelineId];
    if (!PIPELINE_ID.test(pipelineId)) {
      problem(at, `unsupported pipeline "${pipelineId}": zkotel pipelines carry metrics, so the id must be "metrics" or "metrics/<name>"`);
      continue;
    }
    for (const section of PIPELINE_SECTIONS) {
      const ids = pipeline[section];
      if (section !== 'processors' && ids.length === 0) problem(at, `pipeline must have at least one ${SECTIONS[section]}`);
      ids.forEach((id, index) => {
        const configured = components[section];
        if (ids.indexOf(id) !== index) problem([...at, section, index], `"${id}" is listed twice`);
        else if (!configured.has(id) && !configured.invalid.has(id)) {
          const known = [...configured.keys(), ...configured.invalid].sort().join(', ') || 'none';
          problem([...at, section, index], `references ${SECTIONS[section]} "${id}", which is not configured under ${section} (configured: ${known})`);
        }
        used.add(`${section}/${id}`);
      });
    }
    pipelines.set(pipelineId, pipeline);
  }
  service.data.extensions.forEach((id, index) => {
    const configured = components.extensions;
    if (service.data.extensions.indexOf(id) !== index) problem(['service', 'extensions', index], `"${id}" is listed twice`);
    else if (!configured.has(id) && !configured.invalid.has(id)) {
      const known = [...configured.keys(), ...configured.invalid].sort().join(', ') || 'none';
      problem(['service', 'extensions', index], `references extension "${id}", which is not configured under extensions (configured: ${known})`);
    }
    used.add(`extensions/${id}`);
  });
  checkExtensionReferences(components, new Set(service.data.extensions), problem);
  for (const section of Object.keys(SECTIONS) as Section[]) {
    for (const id of components[section].keys()) {
      if (!used.has(`${section}/${id}`)) {
        warning(
          [section, id],
          `${SECTIONS[section]} "${id}" is configured but not ${section === 'extensions' ? 'enabled in service::extensions' : 'used in any pipeline'}`,
        );
      }
    }
  }
  if (problems.length > 0) return { problems: byLocation(problems), warnings: byLocation(warnings) };
  return {
    problems,
    warnings: byLocation(warnings),
    config: {
      ...components,
      service: {
        logLevel: service.data.telemetry.logs.level,
        extensions: service.data.extensions,
        pipelines,
        ...(service.data.telemetry.metrics.address ? { telemetryMetricsAddress: service.data.telemetry.metrics.address } : {}),
      },
    },
  };
}

/** Each config key a factory declares as an extension reference names an enabled extension of the declared type. */
function checkExtensionReferences(
  components: Record<Section, ResolvedSection<ComponentFactory>>,
  enabled: ReadonlySet<string>,
  problem: (path: ConfigPath, message: string) => void,
): void {
  const extensions = components.extensions;
  for (const section of Object.keys(SECTIONS) as Section[]) {
    for (const { id, factory, config } of components[section].values()) {
      for (const [key, wantedType] of Object.entries(factory.extensionReferences ?? {})) {
        const named = isPlainObject(config) ? config[key] : undefined;
        if (typeof named !== 'string') continue;
        const at: ConfigPath = [section, id, key];
        const ofType = [...extensions.keys()].filter((candidate) => COMPONENT_ID.exec(candidate)?.[1] === wantedType);
        const configured = extensions.get(named);
        if (!configured && !extensions.invalid.has(named)) {
          problem(
            at,
            `names extension "${named}", which is not configured under extensions (configured ${wantedType} extensions: ${ofType.sort().join(', ') || 'none'})`,
          );
        } else if (configured && configured.factory.type !== wantedType) {
          problem(
            at,
            `names extension "${named}", of type ${configured.factory.type}; expected an extension of type ${wantedType} (configured: ${ofType.sort().join(', ') || 'none'})`,
          );
        } else if (!enabled.has(named)) {
          problem(at, `names extension "${named}", which is not enabled: add it to service::extensions`);
        }
      }
    }
  }
}

type ResolvedSection<F extends ComponentFactory> = Map<string, ResolvedComponent<F>> & { invalid: Set<string> };

function resolveSection<F extends ComponentFactory>(
  section: Section,
  root: Record<string, unknown>,
  registry: Registry,
  problem: (path: ConfigPath, message: string) => void,
): ResolvedSection<F> {
  const resolved = Object.assign(new Map<string, ResolvedComponent<F>>(), { invalid: new Set<string>() });
  const raw = root[section];
  if (raw === undefined || raw === null) return resolved;
  if (!isPlainObject(raw)) {
    problem([section], `expected a mapping of ${SECTIONS[section]} ids to their settings`);
    return resolved;
  }
  const kind = SECTIONS[section];
  for (const [id, value] of Object.entries(raw)) {
    // Components that fail validation are still known ids, so pipelines naming them get no second error.
    resolved.invalid.add(id);
    const match = COMPONENT_ID.exec(id);
    if (!match) {
      problem([section, id], `invalid id "${id}": expected type or type/name, where type starts with a letter and has only letters, digits and _`);
      continue;
    }
    const factory = registry.get(kind, match[1]!) as F | undefined;
    if (!factory) {
      problem([section, id], `unknown ${kind} type "${match[1]}" (valid types: ${registry.types(kind).join(', ') || 'none'})`);
      continue;
    }
    let parsed: ReturnType<typeof factory.configSchema.safeParse>;
    try {
      parsed = factory.configSchema.safeParse(value ?? {}, { reportInput: true });
    } catch (error) {
      problem([section, id], `cannot check this ${kind}'s settings: ${describeError(error)}`);
      continue;
    }
    if (!parsed.success) {
      for (const { path, message } of schemaProblems(parsed.error)) problem([section, id, ...path], message);
      continue;
    }
    resolved.invalid.delete(id);
    resolved.set(id, { id, factory, config: parsed.data });
  }
  return resolved;
}

/** Problems in reading order: by file (as given), then line, then column; stable for the rest. */
function byLocation(problems: ConfigProblem[]): ConfigProblem[] {
  const files = [...new Set(problems.map((problem) => problem.location?.file))];
  return problems
    .map((problem, index) => ({ problem, index }))
    .sort((a, b) => {
      const [x, y] = [a.problem.location, b.problem.location];
      return files.indexOf(x?.file) - files.indexOf(y?.file) || (x?.line ?? 0) - (y?.line ?? 0) || (x?.col ?? 0) - (y?.col ?? 0) || a.index - b.index;
    })
    .map(({ problem }) => problem);
}
