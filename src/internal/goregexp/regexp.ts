/**
 * The part of Go's `regexp` package that Prometheus relabeling (model/relabel/relabel.go) uses, on re2js, a port of
 * Go's RE2 engine: the same syntax, leftmost-first matching and linear-time guarantee. Never JavaScript RegExp.
 *
 * - `GoRegexp.compile(regex)`: `relabel.NewRegexp`, i.e. Go's `regexp.Compile("^(?s:" + regex + ")$")`. The
 *   anchors are glued on as text, exactly as Prometheus does, so `a)|(b` compiles (to `^(?s:a)|(b)$`).
 * - `matchString`: `Regexp.MatchString`, an unanchored search (the pattern carries its own anchors).
 * - `findSubmatch`: `Regexp.FindStringSubmatchIndex`, as the text of each group (null: did not take part).
 * - `template` + `expand`: `Regexp.ExpandString`: `$1`, `${1}`, `$name`, `${name}`, `$$`. A name is the longest run
 *   of Unicode letters, digits and `_` (so `$1x` names the group `1x`); numbers with a leading zero are names;
 *   an unknown or non-participating group expands to ""; a `$` that starts no reference is kept as text.
 * - `replaceAll`: `Regexp.ReplaceAllString`, with Go's rules for empty matches.
 *
 * Go accepts duplicate group names (`(?P<h>a)|(?P<h>b)`; `${h}` is the first of them that took part); re2js rejects
 * them, so such patterns are compiled with the duplicates renamed and the names mapped back.
 */
import { RE2JS, RE2JSSyntaxException } from 're2js';

/** The text of each group of a match, group 0 being the whole match; null for a group that took no part. */
export type Groups = readonly (string | null)[];

/** A parsed replacement template: literal text, or the groups a reference may take its text from, in order. */
export type Template = readonly (string | readonly number[])[];

/** A regex that did not compile; the message is Go's error code and, when informative, the offending part. */
export class RegexSyntaxError extends Error {
  override readonly name = 'RegexSyntaxError';
}

export class GoRegexp {
  /** re2js's port of Go's Regexp API: findSubmatch is Go's FindStringSubmatch, twice as fast as a Matcher. */
  private readonly engine: ReturnType<RE2JS['re2']>;

  private constructor(
    /** The pattern as the user wrote it, without the anchors. */
    readonly source: string,
    private readonly re: RE2JS,
    /** Group names to group numbers, ascending (more than one only for duplicate names). */
    private readonly names: ReadonlyMap<string, readonly number[]>,
  ) {
    this.engine = re.re2();
  }

  static compile(regex: string): GoRegexp {
    const anchored = `^(?s:${regex})$`;
    try {
      const re = RE2JS.compile(anchored);
      return new GoRegexp(regex, re, groupNames(re, new Map()));
    } catch (error) {
      if (error instanceof RE2JSSyntaxException && error.getDescription() === DUPLICATE_NAME) {
        const renamed = renameDuplicateGroups(anchored);
        try {
          const re = RE2JS.compile(renamed.pattern);
          return new GoRegexp(regex, re, groupNames(re, renamed.originals));
        } catch (retried) {
          throw syntaxError(retried, regex);
        }
      }
      throw syntaxError(error, regex);
    }
  }

  get groupCount(): number {
    return this.re.groupCount();
  }

  matchString(text: string): boolean {
    return this.re.test(text);
  }

  findSubmatch(text: string): Groups | null {
    return this.engine.findSubmatch(text) as (string | null)[] | null;
  }

  /** Parses a template for this regex, resolving group numbers and names once. */
  template(text: string): Template {
    const parts: (string | readonly number[])[] = [];
    let literal = '';
    let rest = text;
    for (;;) {
      const dollar = rest.indexOf('$');
      if (dollar < 0) break;
      literal += rest.slice(0, dollar);
      rest = rest.slice(dollar + 1);
      if (rest.startsWith('$')) {
        literal += '$';
        rest = rest.slice(1);
        continue;
      }
      const reference = extractReference(rest);
      if (!reference) {
        literal += '$';
        continue;
      }
      rest = reference.rest;
      if (literal) parts.push(literal);
      literal = '';
      parts.push(this.groupsFor(reference));
    }
    literal += rest;
    if (literal) parts.push(literal);
    return parts;
  }

  private groupsFor(reference: Reference): readonly number[] {
    if (reference.number >= 0) return reference.number <= this.groupCount ? [reference.number] : [];
    return this.names.get(reference.name) ?? [];
  }

  /** `Regexp.ExpandString` of a template from `template()` over a match from `findSubmatch()`. */
  expand(template: Template, groups: Groups): string {
    let out = '';
    for (const part of template) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      for (const index of part) {
        const text = groups[index];
        if (text !== null && text !== undefined) {
          out += text;
          break;
        }
      }
    }
    return out;
  }

  /** `Regexp.ReplaceAllString(text, template)`. */
  replaceAll(text: string, template: Template): string {
    const matcher = this.re.matcher(text);
    const groupCount = this.re.groupCount();
    let out = '';
    let lastMatchEnd = 0;
    let searchPos = 0;
    while (searchPos <= text.length && matcher.find(searchPos)) {
      const start = matcher.start();
      const end = matcher.end();
      out += text.slice(lastMatchEnd, start);
      // No replacement for an empty match right after another match (Go avoids replacing twice).
      if (end > lastMatchEnd || start === 0) out += this.expand(template, groupsOf(matcher, groupCount));
      lastMatchEnd = end;
      // Advance past the match, and always by at least one character (a whole code point).
      const width = searchPos < text.length ? (text.codePointAt(searchPos)! > 0xffff ? 2 : 1) : 0;
      if (searchPos + width > end) searchPos += width;
      else if (searchPos + 1 > end) searchPos++;
      else searchPos = end;
    }
    return out + text.slice(lastMatchEnd);
  }
}

const DUPLICATE_NAME = 'duplicate capture group name';

type Matcher = ReturnType<RE2JS['matcher']>;

function groupsOf(matcher: Matcher, groupCount: number): Groups {
  const groups: (string | null)[] = [];
  for (let i = 0; i <= groupCount; i++) groups.push(matcher.group(i));
  return groups;
}

function groupNames(re: RE2JS, originals: ReadonlyMap<string, string>): Map<string, number[]> {
  const names = new Map<string, number[]>();
  const entries = Object.entries(re.namedGroups()).sort((a, b) => a[1] - b[1]);
  for (const [compiledName, index] of entries) {
    const name = originals.get(compiledName) ?? compiledName;
    const list = names.get(name);
    if (list) list.push(index);
    else names.set(name, [index]);
  }
  return names;
}

function syntaxError(error: unknown, regex: string): Error {
  if (!(error instanceof RE2JSSyntaxException)) return error instanceof Error ? error : new Error(String(error));
  // Go names the offending part; leave it out when it is (or reaches into) the anchors Prometheus adds.
  const part = error.getPattern();
  return new RegexSyntaxError(part && regex.includes(part) ? `${error.getDescription()}: \`${part}\`` : error.getDescription());
}

interface Reference {
  /** The group number, or -1 for a name. */
  readonly number: number;
  readonly name: string;
  readonly rest: string;
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/** Go's `extract`: a leading `name` or `{name}` after a `$`, or undefined when there is none (the `$` is text). */
function extractReference(text: string): Reference | undefined {
  let rest = text;
  const brace = rest.startsWith('{');
  if (brace) rest = rest.slice(1);
  let end = 0;
  for (const char of rest) {
    if (!NAME_CHAR.test(char)) break;
    end += char.length;
  }
  if (end === 0) return undefined;
  const name = rest.slice(0, end);
  if (brace) {
    if (rest[end] !== '}') return undefined;
    end++;
  }
  let number = 0;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 48 || code > 57 || number >= 1e8) {
      number = -1;
      break;
    }
    number = number * 10 + code - 48;
  }
  if (name.startsWith('0') && name.length > 1) number = -1;
  return { number, name, rest: rest.slice(end) };
}

const NAMED_GROUP = /^\(\?P?<([^>]*)>/;

/** Gives every repeated `(?P<name>` / `(?<name>` a fresh name; returns the pattern and fresh name → original name. */
function renameDuplicateGroups(pattern: string): { pattern: string; originals: Map<string, string> } {
  const groups: { at: number; length: number; name: string }[] = [];
  for (let i = 0; i < pattern.length;) {
    const char = pattern[i];
    if (char === '\\') {
      if (pattern[i + 1] === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        i = end < 0 ? pattern.length : end + 2;
      } else i += 2;
    } else if (char === '[') {
      i = endOfClass(pattern, i);
    } else {
      const match = char === '(' ? NAMED_GROUP.exec(pattern.slice(i, i + 1024)) : null;
      if (match) groups.push({ at: i, length: match[0].length, name: match[1]! });
      i += match ? match[0].length : 1;
    }
  }
  const taken = new Set(groups.map((group) => group.name));
  const seen = new Set<string>();
  const originals = new Map<string, string>();
  let out = '';
  let copied = 0;
  let counter = 0;
  for (const group of groups) {
    if (!seen.has(group.name)) {
      seen.add(group.name);
      continue;
    }
    let fresh: string;
    do fresh = `zkotel_dup${++counter}_${group.name}`;
    while (taken.has(fresh));
    taken.add(fresh);
    originals.set(fresh, group.name);
    out += pattern.slice(copied, group.at) + `(?P<${fresh}>`;
    copied = group.at + group.length;
  }
  return { pattern: out + pattern.slice(copied), originals };
}

/** The index just past the character class opening at `start` (`]` first is literal; `[:alpha:]` nests). */
function endOfClass(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  while (i < pattern.length && pattern[i] !== ']') {
    if (pattern[i] === '\\') i += 2;
    else if (pattern.startsWith('[:', i) && pattern.indexOf(':]', i + 2) >= 0) i = pattern.indexOf(':]', i + 2) + 2;
    else i++;
  }
  return i + 1;
}
