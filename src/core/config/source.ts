import { parse, visit, type Document, type LineCounter } from 'yaml';
import { expandEnv } from './env.js';
import { childOf } from './yaml-file.js';
import { readYamlText, toData } from './yaml-text.js';
import type { ConfigPath, ConfigProblem, SourceLocation } from './errors.js';

/** One parsed config file, kept as a YAML document so every value can be traced to its line and column. */
interface ParsedFile {
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
}

/** The config files merged in order, plus the way back from a config path to where it was written. */
export interface ConfigSource {
  readonly value: Record<string, unknown>;
  readonly problems: readonly ConfigProblem[];
  readonly warnings: readonly ConfigProblem[];
  locate(path: ConfigPath): SourceLocation | undefined;
}

/** Reads, env-expands and merges config files; later files override earlier ones, maps merge deeply, lists are replaced. */
export function loadConfigSource(files: readonly string[], env: NodeJS.ProcessEnv = process.env): ConfigSource {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const parsed: ParsedFile[] = [];
  let value: Record<string, unknown> = {};
  for (const file of files) {
    const text = readYamlText(file, 'config file');
    warnings.push(...text.warnings);
    if (text.problems.length > 0 || !text.doc) {
      problems.push(...text.problems);
      continue;
    }
    const { doc, lines } = text as { doc: Document.Parsed; lines: LineCounter };
    const at = (offset: number): SourceLocation => ({ file, ...lines.linePos(offset) });
    if (text.empty) {
      problems.push({
        location: at(0),
        path: [],
        message: 'the file is empty (or only comments): expected a mapping with receivers:, exporters: and service:',
      });
      continue;
    }
    expandScalars(doc, env, (offset, message, isWarning) => (isWarning ? warnings : problems).push({ location: at(offset), path: [], message }));
    const data = toData(text);
    if (data.problem) {
      problems.push(data.problem);
      continue;
    }
    if (!isPlainObject(data.value)) {
      problems.push({ location: at(doc.contents?.range?.[0] ?? 0), path: [], message: 'the config must be a mapping (receivers:, exporters:, service:, ...)' });
      continue;
    }
    parsed.push({ file, doc, lines });
    value = mergeDeep(value, data.value);
  }
  return { value, problems, warnings, locate: (path) => locate(parsed, path) };
}

type Report = (offset: number, message: string, isWarning: boolean) => void;

function expandScalars(doc: Document.Parsed, env: NodeJS.ProcessEnv, report: Report): void {
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string') return;
      const offset = node.range?.[0] ?? 0;
      const expansion = expandEnv(node.value, env);
      for (const problem of expansion.problems) report(offset, problem, false);
      for (const warning of expansion.warnings) report(offset, warning, true);
      for (const name of expansion.unsetVariables) report(offset, `environment variable ${name} is not set; using an empty value`, true);
      // A plain `${env:X}` takes the YAML type of what X holds (a port stays a number), as in the Collector.
      node.value = expansion.wholeReference && node.type === 'PLAIN' ? retype(expansion.value) : expansion.value;
    },
  });
}

function retype(text: string): unknown {
  try {
    const value: unknown = parse(text, { logLevel: 'silent' });
    // 1e400 would become Infinity: keep what the variable holds as text, and let the schema say what it expected.
    return value === null || value === undefined || (typeof value === 'number' && !Number.isFinite(value)) ? text : value;
  } catch {
    return text;
  }
}

/** The deepest node along `path` in the last file that has it: keys point at the key, list items at the item. */
function locate(files: readonly ParsedFile[], path: ConfigPath): SourceLocation | undefined {
  let best: { depth: number; location: SourceLocation } | undefined;
  for (let i = files.length - 1; i >= 0; i--) {
    const { file, doc, lines } = files[i]!;
    let node: unknown = doc.contents;
    let offset = doc.contents?.range?.[0];
    let depth = 0;
    for (const segment of path) {
      const step = childOf(node, segment);
      if (!step) break;
      ({ node, offset } = step);
      depth++;
    }
    if (offset !== undefined && (!best || depth > best.depth)) best = { depth, location: { file, ...lines.linePos(offset) } };
    if (depth === path.length) break;
  }
  return best?.location;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergeDeep(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const previous = merged[key];
    merged[key] = isPlainObject(previous) && isPlainObject(value) ? mergeDeep(previous, value) : value;
  }
  return merged;
}
