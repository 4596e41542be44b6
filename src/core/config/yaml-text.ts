/**
 * Reading one YAML file safely: every way a file can be unusable (too big, not UTF-8, a syntax error, nested too
 * deeply, an alias bomb, a mapping used as a key, a number out of range) is a located problem, never an exception
 * and never a line on stderr from the yaml library. The agent config and a component's own files (the web config)
 * both go through here.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ConfigProblem, SourceLocation } from './errors.js';
import { describeFsError } from './files.js';

/** Largest config file read: far beyond any real config (a few KB to a few hundred KB), far below what exhausts memory. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** Deepest nesting of mappings and lists; real configs nest under ten levels. */
export const MAX_NESTING_DEPTH = 64;
/**
 * Bound on alias expansion (the yaml library's `maxAliasCount`): how many nodes aliases may bring in, so a
 * "billion laughs" file is refused instead of expanded.
 */
export const MAX_ALIAS_COUNT = 100;

export interface YamlText {
  readonly file: string;
  /** The parsed document, when the file could be read and parsed (its content may still be empty). */
  readonly doc?: Document.Parsed;
  readonly lines?: LineCounter;
  /** True when the file holds no document (empty, or only comments). */
  readonly empty: boolean;
  readonly problems: readonly ConfigProblem[];
  readonly warnings: readonly ConfigProblem[];
}

/**
 * Reads and parses `file`; `problems` empty means `doc` is set and can be turned into data with `toData`.
 * `kind` names the file in a read error ("config file").
 */
export function readYamlText(file: string, kind?: string): YamlText {
  let bytes: Buffer;
  try {
    bytes = readBounded(file, MAX_CONFIG_BYTES);
  } catch (error) {
    return failed(file, { path: [], message: `cannot read ${kind ? `${kind} ` : ''}${file}: ${describeFsError(error)}` });
  }
  const start: SourceLocation = { file, line: 1, col: 1 };
  if (bytes.length > MAX_CONFIG_BYTES) {
    return failed(file, { location: start, path: [], message: `file is larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB, the limit for a config file` });
  }
  const text = decodeUtf8(bytes);
  if (typeof text !== 'string') {
    return failed(file, { location: { file, ...text }, path: [], message: 'not valid UTF-8: config files must be UTF-8 text' });
  }
  return parseYamlText(file, text);
}

/** Parses text already read (tests, stdin-like sources) with the same checks as `readYamlText`. */
export function parseYamlText(file: string, text: string): YamlText {
  const lines = new LineCounter();
  // logLevel 'silent': the library's own warnings would go to stderr; they are reported below, located.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, logLevel: 'silent' });
  const at = (offset: number): SourceLocation => ({ file, ...lines.linePos(offset) });
  const problems: ConfigProblem[] = doc.errors.map((error) => ({ location: at(error.pos[0]), path: [], message: parserMessage(error.message) }));
  // The parser reports its stack overflow once per level it unwinds: once is enough.
  const overflow = problems.findIndex((problem) => problem.message.includes('ran out of stack'));
  if (overflow >= 0)
    problems.splice(0, problems.length, ...problems.filter((problem, index) => index === overflow || !problem.message.includes('ran out of stack')));
  const warnings: ConfigProblem[] = doc.warnings.map((warning) => ({ location: at(warning.pos[0]), path: [], message: firstLine(warning.message) }));
  if (problems.length === 0) problems.push(...structureProblems(doc.contents, at));
  const empty = doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null && !doc.contents.source);
  return { file, doc, lines, empty, problems, warnings };
}

/**
 * The document as plain data, or a located problem when expanding its aliases would exceed MAX_ALIAS_COUNT.
 * Only for a document without problems.
 */
export function toData(text: YamlText): { value: unknown; problem?: undefined } | { value?: undefined; problem: ConfigProblem } {
  const doc = text.doc!;
  try {
    return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    const offset = doc.contents?.range?.[0] ?? 0;
    const message = error instanceof Error ? error.message : String(error);
    const location = { file: text.file, ...text.lines!.linePos(offset) };
    // "Excessive alias count indicates a resource exhaustion attack": say what the limit is.
    return {
      problem: {
        location,
        path: [],
        message: /alias/i.test(message) ? `aliases expand to more than the limit of ${MAX_ALIAS_COUNT} nodes (${message})` : message,
      },
    };
  }
}

/**
 * What the parser accepts but a config cannot use, found without recursion (a deep file must not overflow the
 * stack here either): nesting beyond MAX_NESTING_DEPTH, mappings or lists as keys, numbers YAML reads as infinite.
 */
function structureProblems(root: unknown, at: (offset: number) => SourceLocation): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const stack: { node: unknown; depth: number }[] = [{ node: root, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (isMap(node) || isSeq(node)) {
      if (depth > MAX_NESTING_DEPTH) {
        problems.push({ location: at((node as Node).range?.[0] ?? 0), path: [], message: `nested more than ${MAX_NESTING_DEPTH} levels deep` });
        continue;
      }
      for (const item of node.items) {
        if (isPair(item)) {
          if (item.key !== null && !isScalar(item.key) && !isAlias(item.key)) {
            problems.push({
              location: at((item.key as Node).range?.[0] ?? 0),
              path: [],
              message: 'a mapping or list cannot be a key: keys must be plain text',
            });
          }
          stack.push({ node: item.value, depth: depth + 1 });
        } else {
          stack.push({ node: item, depth: depth + 1 });
        }
      }
    } else if (isScalar(node) && typeof node.value === 'number') {
      const source = node.source ?? '';
      if (!Number.isFinite(node.value) && !/^[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)$/.test(source)) {
        problems.push({
          location: at(node.range?.[0] ?? 0),
          path: [],
          message: `number ${source} is out of range (larger than ${Number.MAX_VALUE.toExponential(3)})`,
        });
      } else if (Number.isInteger(node.value) && !Number.isSafeInteger(node.value)) {
        problems.push({
          location: at(node.range?.[0] ?? 0),
          path: [],
          message: `integer ${source} is too large to be exact (above ${Number.MAX_SAFE_INTEGER})`,
        });
      }
    }
  }
  return problems;
}

/** At most `limit + 1` bytes of `file`, so an oversized file (or an endless one, such as a device) is never read whole. */
function readBounded(file: string, limit: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    while (total <= limit) {
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, limit + 1 - total));
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      chunks.push(chunk.subarray(0, read));
      total += read;
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** The text, or where the first byte that is not UTF-8 is. A leading byte order mark is dropped. */
function decodeUtf8(bytes: Buffer): string | { line: number; col: number } {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Binary search for the longest valid prefix; `stream` accepts a prefix ending inside a character.
    let [good, bad] = [0, bytes.length];
    while (bad - good > 1) {
      const middle = (good + bad) >> 1;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, middle), { stream: true });
        good = middle;
      } catch {
        bad = middle;
      }
    }
    const before = new TextDecoder('utf-8').decode(bytes.subarray(0, good));
    const lineStart = before.lastIndexOf('\n') + 1;
    return { line: before.split('\n').length, col: [...before.slice(lineStart)].length + 1 };
  }
}

function failed(file: string, problem: ConfigProblem): YamlText {
  return { file, empty: false, problems: [problem], warnings: [] };
}

/** The parser's message; its own stack overflow (it catches it) means the nesting is far past the limit. */
function parserMessage(message: string): string {
  const line = firstLine(message);
  return /Maximum call stack/.test(line) ? `nested far more than ${MAX_NESTING_DEPTH} levels deep (the YAML parser ran out of stack)` : line;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!;
}
