/**
 * One YAML file that is not part of the merged agent config (a component's own file, such as the prometheus
 * exporter's web config), read with positions so its problems are reported as `FILE:LINE:COL: path: message`
 * like every config error. No `${env:…}` expansion: such files keep the meaning they have for other tools.
 */
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { z } from 'zod';
import type { ConfigPath, ConfigProblem, SourceLocation } from './errors.js';
import { schemaProblems, type SchemaProblem } from './schema.js';
import { readYamlText, toData } from './yaml-text.js';

export { describeFsError } from './files.js';

export interface YamlFile {
  readonly file: string;
  /** The content as plain data; undefined when the file could not be read or parsed (see `problems`). */
  readonly value: unknown;
  /** Read and syntax problems, located. */
  readonly problems: readonly ConfigProblem[];
  /** Where `path` was written: the deepest key (or list item) along it that exists, else the document start. */
  locate(path: ConfigPath): SourceLocation | undefined;
  /** Located problems from path-relative ones. */
  problemsAt(problems: readonly SchemaProblem[]): ConfigProblem[];
}

export function readYamlFile(file: string): YamlFile {
  const text = readYamlText(file);
  if (text.problems.length > 0 || !text.doc) return yamlFile(file, undefined, undefined, text.problems);
  const data = toData(text);
  if (data.problem) return yamlFile(file, undefined, undefined, [data.problem]);
  return yamlFile(file, data.value, { doc: text.doc, lines: text.lines! }, []);
}

/**
 * Parses a YAML file with a zod schema: the data, or every problem located in the file.
 * `check` may add problems zod cannot find (files named in the file that do not exist, …).
 */
export function parseYamlFile<S extends z.ZodType, R>(
  file: string,
  schema: S,
  check: (data: z.output<S>, problems: SchemaProblem[]) => R,
): { readonly data: R; readonly problems?: undefined } | { readonly data?: undefined; readonly problems: readonly ConfigProblem[] } {
  const yaml = readYamlFile(file);
  if (yaml.problems.length > 0) return { problems: yaml.problems };
  const parsed = schema.safeParse(yaml.value ?? {}, { reportInput: true });
  if (!parsed.success) return { problems: yaml.problemsAt(schemaProblems(parsed.error)) };
  const problems: SchemaProblem[] = [];
  const data = check(parsed.data, problems);
  return problems.length > 0 ? { problems: yaml.problemsAt(problems) } : { data };
}

function yamlFile(
  file: string,
  value: unknown,
  parsed: { doc: Document.Parsed; lines: LineCounter } | undefined,
  problems: readonly ConfigProblem[],
): YamlFile {
  const locate = (path: ConfigPath): SourceLocation | undefined => {
    if (!parsed) return undefined;
    let node: unknown = parsed.doc.contents;
    let offset = parsed.doc.contents?.range?.[0] ?? 0;
    for (const segment of path) {
      const step = childOf(node, segment);
      if (!step) break;
      node = step.node;
      offset = step.offset ?? offset;
    }
    return { file, ...parsed.lines.linePos(offset) };
  };
  return {
    file,
    value,
    problems,
    locate,
    problemsAt: (list) => list.map(({ path, message }) => ({ location: locate(path) ?? { file, line: 1, col: 1 }, path, message })),
  };
}

/** One step down a YAML node along a config path: map entries point at their key, list items at the item. */
export function childOf(node: unknown, segment: string | number): { node: unknown; offset: number | undefined } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
    return pair ? { node: pair.value, offset: (pair.key as Node).range?.[0] } : undefined;
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment] as Node | undefined;
    return item ? { node: item, offset: item.range?.[0] } : undefined;
  }
  return undefined;
}
