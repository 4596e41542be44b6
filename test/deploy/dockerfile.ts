/**
 * A small Dockerfile reader for tests: instructions with their flags and arguments, build stages, and where a
 * path of a stage's filesystem comes from (the build context, another stage, the build itself, or the base image).
 * It covers what deploy/Dockerfile uses; anything it does not understand is an error, never silently ignored.
 */
import path from 'node:path';

export interface Instruction {
  /** Upper case: FROM, RUN, COPY, ... */
  readonly keyword: string;
  /** Leading `--name=value` options (`--from=build`, `--interval=30s`, ...). */
  readonly flags: ReadonlyMap<string, string>;
  /** Exec form (JSON array) or whitespace-split shell words; for RUN in shell form, the whole command as one item. */
  readonly args: readonly string[];
  /** True when the arguments were written as a JSON array. */
  readonly execForm: boolean;
  /** HEALTHCHECK only: the check's own flags and command. */
  readonly healthcheck?: { readonly command: readonly string[]; readonly execForm: boolean } | 'NONE';
  /** 1-based line of the instruction's first line. */
  readonly line: number;
}

export interface Stage {
  readonly index: number;
  readonly name: string | undefined;
  readonly image: string;
  readonly instructions: readonly Instruction[];
}

const FLAG = /^--([a-z-]+)(?:=(.*))?$/;
const PARSER_DIRECTIVE = /^#\s*([a-z]+)\s*=\s*(.*)$/i;

/** Splits text into instructions: comments dropped, `\` continuations joined. */
export function parseDockerfile(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  const instructions: Instruction[] = [];
  let inDirectives = true;
  let pending: { text: string; line: number } | undefined;
  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    if (inDirectives) {
      const directive = PARSER_DIRECTIVE.exec(trimmed);
      if (directive && directive[1]!.toLowerCase() === 'escape' && directive[2]!.trim() !== '\\') {
        throw new Error(`line ${index + 1}: escape=${directive[2]} is not supported by this reader`);
      }
      if (!directive) inDirectives = false;
    }
    // Comment lines are removed before continuations are joined, even inside a continued instruction.
    if (trimmed.startsWith('#')) return;
    if (trimmed === '' && pending === undefined) return;
    const continued = /\\\s*$/.test(raw);
    const body = continued ? raw.replace(/\\\s*$/, '') : raw;
    pending = pending ? { text: `${pending.text} ${body.trim()}`, line: pending.line } : { text: body.trim(), line: index + 1 };
    if (!continued) {
      if (pending.text !== '') instructions.push(parseInstruction(pending.text, pending.line));
      pending = undefined;
    }
  });
  if (pending) throw new Error(`line ${pending.line}: the last instruction ends with a line continuation`);
  return instructions;
}

function parseInstruction(text: string, line: number): Instruction {
  const match = /^(\S+)\s*(.*)$/s.exec(text);
  if (!match) throw new Error(`line ${line}: cannot parse "${text}"`);
  const keyword = match[1]!.toUpperCase();
  let rest = match[2]!.trim();
  const flags = new Map<string, string>();
  const takeFlags = () => {
    for (;;) {
      const word = /^(\S+)\s*/.exec(rest);
      const flag = word ? FLAG.exec(word[1]!) : null;
      if (!word || !flag) return;
      flags.set(flag[1]!, flag[2] ?? 'true');
      rest = rest.slice(word[0].length);
    }
  };
  if (['FROM', 'COPY', 'ADD', 'RUN', 'HEALTHCHECK'].includes(keyword)) takeFlags();
  if (keyword === 'HEALTHCHECK') {
    if (/^NONE$/i.test(rest)) return { keyword, flags, args: [], execForm: false, healthcheck: 'NONE', line };
    const cmd = /^CMD\s+(.*)$/is.exec(rest);
    if (!cmd) throw new Error(`line ${line}: HEALTHCHECK needs NONE or CMD ...`);
    const command = commandForm(cmd[1]!.trim(), line);
    return { keyword, flags, args: command.args, execForm: command.execForm, healthcheck: { command: command.args, execForm: command.execForm }, line };
  }
  if (['RUN', 'CMD', 'ENTRYPOINT', 'SHELL'].includes(keyword)) {
    const command = commandForm(rest, line);
    return { keyword, flags, args: command.args, execForm: command.execForm, line };
  }
  if (['COPY', 'ADD', 'VOLUME'].includes(keyword) && rest.startsWith('[')) {
    return { keyword, flags, args: jsonArray(rest, line), execForm: true, line };
  }
  return { keyword, flags, args: rest === '' ? [] : rest.split(/\s+/), execForm: false, line };
}

function commandForm(text: string, line: number): { args: string[]; execForm: boolean } {
  if (text.startsWith('[')) return { args: jsonArray(text, line), execForm: true };
  return { args: [text], execForm: false };
}

function jsonArray(text: string, line: number): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`line ${line}: invalid JSON array ${text}: ${(error as Error).message}`);
  }
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw new Error(`line ${line}: expected a JSON array of strings: ${text}`);
  return value;
}

/** Groups instructions by FROM. Instructions before the first FROM may only be ARG. */
export function stagesOf(instructions: readonly Instruction[]): Stage[] {
  const stages: { index: number; name: string | undefined; image: string; instructions: Instruction[] }[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image, as, name, ...extra] = instruction.args;
      if (!image || (as !== undefined && (as.toUpperCase() !== 'AS' || !name)) || extra.length > 0) {
        throw new Error(`line ${instruction.line}: expected FROM image [AS name]`);
      }
      stages.push({ index: stages.length, name: name?.toLowerCase(), image, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) {
      if (instruction.keyword !== 'ARG') throw new Error(`line ${instruction.line}: ${instruction.keyword} before the first FROM`);
      continue;
    }
    stage.instructions.push(instruction);
  }
  return stages;
}

export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

/** The last instruction of a kind in a stage, which is the one that counts for USER, ENTRYPOINT, CMD, ... */
export function lastOf(stage: Stage, keyword: string): Instruction | undefined {
  return instructionsOf(stage, keyword).at(-1);
}

/** The working directory in effect before the instruction at `position` (exclusive) of the stage. */
export function workdirAt(stage: Stage, position = stage.instructions.length): string {
  let dir = '/';
  for (const instruction of stage.instructions.slice(0, position)) {
    if (instruction.keyword === 'WORKDIR') dir = path.posix.resolve(dir, instruction.args.join(' '));
  }
  return dir;
}

export interface CopyRule {
  readonly instruction: Instruction;
  /** Name of the stage copied from, or undefined for the build context. */
  readonly from: string | undefined;
  /** Context-relative (from context) or absolute (from a stage) source paths, as written resolved. */
  readonly sources: readonly string[];
  /** Absolute destination, as written resolved against the working directory (ends in / when written so). */
  readonly destination: string;
}

/** Every COPY of a stage with sources and destination resolved. ADD is refused: COPY says what it does. */
export function copiesOf(stage: Stage, stages: readonly Stage[]): CopyRule[] {
  return stage.instructions.flatMap((instruction, position) => {
    if (instruction.keyword === 'ADD') throw new Error(`line ${instruction.line}: use COPY, not ADD`);
    if (instruction.keyword !== 'COPY') return [];
    if (instruction.args.length < 2) throw new Error(`line ${instruction.line}: COPY needs a source and a destination`);
    const workdir = workdirAt(stage, position);
    const fromFlag = instruction.flags.get('from');
    const from = fromFlag === undefined ? undefined : (stageByRef(stages, fromFlag, instruction.line).name ?? fromFlag);
    const written = instruction.args.slice(0, -1);
    const target = instruction.args.at(-1)!;
    const destination = path.posix.resolve(workdir, target) + (target.endsWith('/') && target !== '/' ? '/' : '');
    if (written.length > 1 && !destination.endsWith('/'))
      throw new Error(`line ${instruction.line}: COPY with several sources needs a destination ending in /`);
    const sources = written.map((source) => {
      if (/[*?[]/.test(source)) throw new Error(`line ${instruction.line}: wildcards in COPY sources are not supported by this reader: ${source}`);
      if (from === undefined) {
        const normalized = path.posix.normalize(source).replace(/^\/+/, '').replace(/\/+$/, '');
        return normalized === '' ? '.' : normalized;
      }
      // Sources from a stage are relative to that stage's root, not its WORKDIR.
      return path.posix.resolve('/', source);
    });
    return [{ instruction, from, sources, destination }];
  });
}

export function stageByRef(stages: readonly Stage[], ref: string, line = 0): Stage {
  const stage = /^\d+$/.test(ref) ? stages[Number(ref)] : stages.find((candidate) => candidate.name === ref.toLowerCase());
  if (!stage) throw new Error(`line ${line}: no build stage "${ref}"`);
  return stage;
}

/** Where a file of a stage comes from. */
export type Origin =
  | { readonly kind: 'context'; readonly path: string }
  /** Not copied into the stage: made by its RUN instructions or present in its base image. */
  | { readonly kind: 'stage'; readonly stage: string; readonly path: string };

/**
 * Follows COPY instructions backwards: where does `file` (absolute) of `stage` come from? A context source is a
 * directory when `isContextDir` says so; a source from another stage is a directory unless it resolves to a
 * context file there. The last COPY that covers the path wins. COPY --from chains are followed to the end: the
 * result is the build context, or the stage that made the file itself (RUN) or got it from its base image.
 */
export function originOf(stages: readonly Stage[], stage: Stage, file: string, isContextDir: (relative: string) => boolean): Origin {
  const copies = copiesOf(stage, stages).reverse();
  for (const copy of copies) {
    for (const source of copy.sources) {
      const sourceIsDir = copy.from === undefined ? isContextDir(source) : !isContextFileIn(stages, copy.from, source, isContextDir);
      // A directory's contents land in the destination; a file lands in it when it ends in /, else becomes it.
      let target = copy.destination;
      if (sourceIsDir) target = copy.destination.replace(/(.)\/$/, '$1');
      else if (copy.destination.endsWith('/')) target = path.posix.join(copy.destination, path.posix.basename(source));
      let remainder: string | undefined;
      if (file === target) remainder = '';
      else if (sourceIsDir && file.startsWith(target === '/' ? '/' : `${target}/`)) remainder = file.slice(target === '/' ? 1 : target.length + 1);
      if (remainder === undefined) continue;
      if (copy.from === undefined) return { kind: 'context', path: remainder === '' ? source : path.posix.join(source, remainder) };
      const fromStage = stageByRef(stages, copy.from, copy.instruction.line);
      return originOf(stages, fromStage, remainder === '' ? source : path.posix.join(source, remainder), isContextDir);
    }
  }
  return { kind: 'stage', stage: stage.name ?? String(stage.index), path: file };
}

function isContextFileIn(stages: readonly Stage[], stageRef: string, file: string, isContextDir: (relative: string) => boolean): boolean {
  const origin = originOf(stages, stageByRef(stages, stageRef), file, isContextDir);
  return origin.kind === 'context' && !isContextDir(origin.path);
}

/** The shell commands a stage runs, in order (exec-form RUN joined with spaces). */
export function runCommands(stage: Stage): string[] {
  return instructionsOf(stage, 'RUN').map((instruction) => instruction.args.join(' '));
}
