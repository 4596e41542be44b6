import { readFileSync } from 'node:fs';
import { LineCounter, parse, parseDocument, visit, type Document } from 'yaml';
import { expandEnv } from './env.js';
import { childOf, describeFsError } from './yaml-file.js';
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
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      problems.push({ path: [], message: `cannot read config file ${file}: ${describeFsError(error)}` });
      continue;
    }
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const at = (offset: number): SourceLocation => ({ file, ...lines.linePos(offset) });
    for (const error of doc.errors) problems.push({ location: at(error.pos[0]), path: [], message: firstLine(error.message) });
    if (doc.errors.length > 0) continue;
    expandScalars(doc, env, (offset, message, isWarning) =>
      (isWarning ? warnings : problems).push({ location: at(offset), path: [], message }),
    );
    let content: unknown;
    try {
      content = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // e.g. "Excessive alias count": an alias bomb must be a config error, not a crash.
      problems.push({ location: at(doc.contents?.range?.[0] ?? 0), path: [], message: error instanceof Error ? error.message : String(error) });
      continue;
    }
    if (content === null || content === undefined) {
      parsed.push({ file, doc, lines });
      continue;
    }
    if (!isPlainObject(content)) {
      problems.push({ location: at(doc.contents?.range?.[0] ?? 0), path: [], message: 'the config must be a mapping (receivers:, exporters:, service:, ...)' });
      continue;
    }
    parsed.push({ file, doc, lines });
    value = mergeDeep(value, content);
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
    return parse(text) ?? text;
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

function firstLine(message: string): string {
  return message.split('\n')[0]!;
}
