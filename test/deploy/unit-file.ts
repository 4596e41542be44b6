/** A small reader for systemd unit files (systemd.syntax(7)), enough to check deploy/zkotel.service. */

export interface UnitFile {
  /** Every section, in order, with every assignment of each key in order (an empty assignment resets a list). */
  readonly sections: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
  /** The last value of a key, as systemd uses for single-valued settings. */
  get(section: string, key: string): string | undefined;
  /** Every value of a list setting since its last reset (`Key=`), split on whitespace. */
  list(section: string, key: string): string[];
}

export function parseUnitFile(text: string): UnitFile {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  let pending = '';
  let pendingLine = 0;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = pending === '' ? raw.trim() : raw.trimEnd();
    if (pending === '' && (line === '' || line.startsWith('#') || line.startsWith(';'))) return;
    // Comment lines inside a continuation are skipped, as systemd does.
    if (pending !== '' && /^\s*[#;]/.test(line)) return;
    if (line.endsWith('\\')) {
      if (pending === '') pendingLine = index + 1;
      pending += line.slice(0, -1) + ' ';
      return;
    }
    const full = (pending + line).trim();
    const at = pending === '' ? index + 1 : pendingLine;
    pending = '';
    const section = /^\[([^\]]+)\]$/.exec(full);
    if (section) {
      if (sections.has(section[1]!)) throw new Error(`line ${at}: section [${section[1]}] appears twice`);
      current = new Map();
      sections.set(section[1]!, current);
      return;
    }
    const assignment = /^([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(full);
    if (!assignment) throw new Error(`line ${at}: expected Key=Value or [Section]: ${full}`);
    if (!current) throw new Error(`line ${at}: assignment before the first section`);
    const values = current.get(assignment[1]!) ?? [];
    values.push(assignment[2]!);
    current.set(assignment[1]!, values);
  });
  if (pending !== '') throw new Error(`line ${pendingLine}: the file ends inside a line continuation`);
  return {
    sections,
    get: (section, key) => sections.get(section)?.get(key)?.at(-1),
    list: (section, key) => {
      const values = sections.get(section)?.get(key) ?? [];
      const lastReset = values.lastIndexOf('');
      return values.slice(lastReset + 1).flatMap((value) => value.split(/\s+/).filter((word) => word !== ''));
    },
  };
}

/** ExecStart= and friends: the prefixes (@, -, :, +, !) and the command line split into words, with quotes. */
export function splitCommandLine(value: string): { prefixes: string; words: string[] } {
  const prefix = /^[@\-:+!]*/.exec(value)![0];
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  const text = value.slice(prefix.length);
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"' && i + 1 < text.length) word += text[++i]!;
      else word += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      word ??= '';
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (char === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i]!;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (quote) throw new Error(`unterminated quote in: ${value}`);
  if (word !== undefined) words.push(word);
  return { prefixes: prefix, words };
}

const TIME_UNITS: Readonly<Record<string, number>> = {
  us: 1e-6,
  usec: 1e-6,
  ms: 1e-3,
  msec: 1e-3,
  '': 1,
  s: 1,
  sec: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hour: 3600,
  hours: 3600,
  d: 86400,
  day: 86400,
  days: 86400,
  w: 604800,
  week: 604800,
  weeks: 604800,
};

/** A systemd time span (`15s`, `1min 30s`, `90`, `infinity`) in seconds, per systemd.time(7). */
export function parseTimespan(value: string): number {
  const text = value.trim();
  if (text === 'infinity') return Infinity;
  let total = 0;
  let rest = text;
  if (rest === '') throw new Error('empty time span');
  while (rest !== '') {
    const part = /^(\d+(?:\.\d+)?)\s*([a-z]*)\s*/.exec(rest);
    const factor = part ? TIME_UNITS[part[2]!] : undefined;
    if (!part || factor === undefined) throw new Error(`invalid time span "${value}"`);
    total += Number(part[1]) * factor;
    rest = rest.slice(part[0].length);
  }
  return total;
}
