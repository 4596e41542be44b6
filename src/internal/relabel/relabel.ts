/**
 * Prometheus relabeling (model/relabel/relabel.go, Prometheus 3.7 and later), as a pure function over label sets.
 *
 * `compileRelabelConfigs(configs)` validates Prometheus `relabel_config` entries (field names unchanged:
 * source_labels, separator, regex, modulus, target_label, replacement, action) with the errors Prometheus raises, and
 * returns `(labels) => labels | null` (null: dropped). Rules run in order on a copy of the label set, with:
 *
 * - defaults: action `replace`, separator `;`, regex `(.*)`, replacement `$1`; actions are case-insensitive.
 * - regexes in Go's RE2 dialect (re2js, linear time), anchored as Prometheus does: `^(?s:` + regex + `)$`, so `.`
 *   matches newlines and a regex must match the whole value. Templates expand as Go's `Regexp.Expand` (internal/goregexp/regexp.ts).
 * - a label set to "" is removed; a label with an empty value counts as missing.
 * - `replace` does nothing when the regex does not match, or when the expanded target_label is not a valid label name
 *   under the rule's scheme (empty; not well-formed; under `legacy`, outside `[a-zA-Z_][a-zA-Z0-9_]*`): it neither
 *   writes nor deletes. An empty replacement deletes the expanded target. The other actions write no names from
 *   templates: lowercase, uppercase and hashmod write target_label as given (checked when compiled), labelmap writes
 *   the names it makes unchecked (even ""), keepequal/dropequal/labeldrop/labelkeep write nothing.
 *   Older Prometheus differs here: 3.0–3.6 checked expanded targets as UTF-8 whatever the scrape's scheme, 2.x
 *   always as legacy names, and before 2.50 an empty replacement deleted the label named by the unexpanded template
 *   (so nothing, for a templated target_label).
 * - `hashmod`: MD5 of the joined values, bytes 8..15 as a big-endian uint64, modulo `modulus` (hashmod.ts).
 * - `lowercase`/`uppercase` map each character on its own, as Go's strings.ToLower/ToUpper (`ß` stays `ß`).
 * - label names are validated as UTF-8 (Prometheus 3's default) or, with `nameValidationScheme: 'legacy'`, as
 *   `[a-zA-Z_][a-zA-Z0-9_]*`.
 * - the result is sorted by label name. `__`-labels are ordinary labels here, as in relabel.go; the relabel processor
 *   drops them after the rules (processor.ts), as Prometheus's scrape loop does after target relabeling.
 *
 * YAML null in a field means what it means to Prometheus (Go's zero value): `replacement: null` is "" (delete the
 * target), `regex: null` is "" (matches only the empty string), `action: null` is an error.
 */
import { RE2JS } from 're2js';
import { hashMod } from './hashmod.js';
import { GoRegexp, RegexSyntaxError, type Template } from '../goregexp/regexp.js';

export const RELABEL_ACTIONS = [
  'replace',
  'keep',
  'drop',
  'keepequal',
  'dropequal',
  'hashmod',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'lowercase',
  'uppercase',
] as const;
export type RelabelAction = (typeof RELABEL_ACTIONS)[number];

/** `utf8`: any non-empty well-formed name (Prometheus 3's default); `legacy`: `[a-zA-Z_][a-zA-Z0-9_]*`. */
export type NameValidationScheme = 'utf8' | 'legacy';

/** One Prometheus `relabel_config`. `null` is YAML null: Go's zero value for the field. */
export interface RelabelConfig {
  readonly source_labels?: readonly string[] | null;
  readonly separator?: string | null;
  readonly regex?: string | null;
  readonly modulus?: number | bigint | null;
  readonly target_label?: string | null;
  readonly replacement?: string | null;
  readonly action?: string | null;
}

export const RELABEL_CONFIG_FIELDS = ['source_labels', 'separator', 'regex', 'modulus', 'target_label', 'replacement', 'action'] as const;

export interface RelabelOptions {
  readonly nameValidationScheme?: NameValidationScheme;
}

/** Relabels a label set: a new object sorted by name, or null when a rule dropped it. */
export type Relabel = (labels: Readonly<Record<string, string>>) => Record<string, string> | null;

/** What is wrong with a rule: `path` is relative to the rule (`['regex']`), empty for the rule as a whole. */
export interface RelabelProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Compiles relabel configs into one function; throws an Error naming the rule and field for an invalid config. */
export function compileRelabelConfigs(configs: readonly RelabelConfig[], options: RelabelOptions = {}): Relabel {
  const scheme = options.nameValidationScheme ?? 'utf8';
  if (!Array.isArray(configs)) throw new Error('relabel configs: expected a list of relabel_config entries');
  const rules = configs.map((config, index) => {
    const checked = checkRule(config, scheme);
    if (!checked.rule) {
      const { path, message } = checked.problems[0]!;
      throw new Error(`relabel rule ${index}${path.length > 0 ? ` ${path.join('.')}` : ''}: ${message}`);
    }
    return checked.rule;
  });
  return (labels) => {
    const builder = new LabelBuilder(labels);
    for (const rule of rules) if (!applyRule(rule, builder, scheme)) return null;
    return builder.labels();
  };
}

/** Every problem of one rule, in the order Prometheus would find them: decoding (all), then `Validate` (the first). */
export function relabelConfigProblems(config: unknown, options: RelabelOptions = {}): RelabelProblem[] {
  return checkRule(config, options.nameValidationScheme ?? 'utf8').problems;
}

export function isValidLabelName(name: string, scheme: NameValidationScheme): boolean {
  return scheme === 'legacy' ? LEGACY_NAME.test(name) : name.length > 0 && !LONE_SURROGATE.test(name);
}

// ---------------------------------------------------------------------------------------------------------------
// Validation: Prometheus's decoding (UnmarshalYAML) and Config.Validate.

interface Rule {
  readonly action: RelabelAction;
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  readonly regex: GoRegexp;
  readonly modulus: bigint;
  readonly targetLabel: string;
  readonly target: Template;
  readonly replacement: Template;
  /** `replace` with the default regex and no `$` in target or replacement: an empty value sets the label as is. */
  readonly literalReplace: string | undefined;
  /** The default `(.*)`: it matches every value whole, so the match is known without running it. */
  readonly defaultRegex: boolean;
}

const LEGACY_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const DEFAULT_REGEX = GoRegexp.compile('(.*)');
const MAX_UINT64 = (1n << 64n) - 1n;
let relabelTargetLegacy: RE2JS | undefined;

/** relabel.go's relabelTargetLegacy: a legacy name in which `$1`, `${1}`, `$name` stand for characters. */
function isValidLabelNameWithRegexVar(value: string, scheme: NameValidationScheme): boolean {
  if (scheme === 'utf8') return isValidLabelName(value, scheme);
  relabelTargetLegacy ??= RE2JS.compile('^(?:(?:[a-zA-Z_]|\\$(?:\\{\\w+\\}|\\w+))+\\w*)+$');
  return relabelTargetLegacy.test(value);
}

const TARGET_REQUIRED: ReadonlySet<RelabelAction> = new Set(['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal']);
const TARGET_ONLY: ReadonlySet<RelabelAction> = new Set(['lowercase', 'uppercase', 'keepequal', 'dropequal']);

function checkRule(config: unknown, scheme: NameValidationScheme): { rule?: Rule; problems: RelabelProblem[] } {
  if (config === null || config === undefined) return { problems: [{ path: [], message: 'empty or null relabeling rule' }] };
  if (typeof config !== 'object' || Array.isArray(config)) return { problems: [{ path: [], message: 'expected a mapping with relabel_config fields' }] };
  const raw = config as Record<string, unknown>;
  const problems: RelabelProblem[] = [];
  const problem = (path: readonly (string | number)[], message: string) => void problems.push({ path, message });
  const given = (field: (typeof RELABEL_CONFIG_FIELDS)[number]) => raw[field] !== undefined;

  for (const key of Object.keys(raw)) {
    if (!(RELABEL_CONFIG_FIELDS as readonly string[]).includes(key))
      problem([key], `unknown field ${goQuote(key)} (valid fields: ${[...RELABEL_CONFIG_FIELDS].sort().join(', ')})`);
  }
  const text = (field: 'separator' | 'regex' | 'target_label' | 'replacement' | 'action', fallback: string): string => {
    const value = raw[field];
    if (value === undefined) return fallback;
    if (value === null) return '';
    if (typeof value !== 'string') {
      problem([field], `expected a string, got ${describe(value)}`);
      return fallback;
    }
    return value;
  };

  // Decoding: an unknown action, source label or regex fails the whole config.
  const actionText = text('action', 'replace');
  const action = actionText.toLowerCase() as RelabelAction;
  if (raw.action !== null && !RELABEL_ACTIONS.includes(action)) problem(['action'], `unknown relabel action ${goQuote(actionText)}`);

  const sourceLabels: string[] = [];
  if (raw.source_labels !== undefined && raw.source_labels !== null) {
    if (!Array.isArray(raw.source_labels)) problem(['source_labels'], `expected a list of label names, got ${describe(raw.source_labels)}`);
    else {
      raw.source_labels.forEach((name: unknown, index) => {
        if (typeof name !== 'string') problem(['source_labels', index], `expected a label name, got ${describe(name)}`);
        else if (!isValidLabelName(name, 'utf8')) problem(['source_labels', index], `${goQuote(name)} is not a valid label name`);
        else sourceLabels.push(name);
      });
    }
  }

  const separator = text('separator', ';');
  const regexText = text('regex', '(.*)');
  let regex = DEFAULT_REGEX;
  if (given('regex')) {
    try {
      regex = GoRegexp.compile(regexText);
    } catch (error) {
      if (!(error instanceof RegexSyntaxError)) throw error;
      problem(['regex'], `invalid regex ${goQuote(regexText)}: ${error.message}`);
    }
  }
  const modulus = toModulus(raw.modulus, problem);
  const targetLabel = text('target_label', '');
  const replacementText = text('replacement', '$1');
  if (problems.length > 0) return { problems };

  // Config.Validate: the first problem only, in Prometheus's order.
  const first = (path: readonly (string | number)[], message: string) => ({ problems: [{ path, message }] });
  const at = (field: (typeof RELABEL_CONFIG_FIELDS)[number]): (string | number)[] => (given(field) ? [field] : []);
  const invalidTarget = () => first(['target_label'], `${goQuote(targetLabel)} is invalid 'target_label' for ${action} action`);
  if (actionText === '') return first(at('action'), 'relabel action cannot be empty');
  if (modulus === 0n && action === 'hashmod') return first(at('modulus'), 'relabel configuration for hashmod requires non-zero modulus');
  if (TARGET_REQUIRED.has(action) && targetLabel === '')
    return first(at('target_label'), `relabel configuration for ${action} action requires 'target_label' value`);
  if (action === 'replace' && !targetLabel.includes('$') && !isValidLabelName(targetLabel, scheme)) return invalidTarget();
  if (action === 'replace' && targetLabel.includes('$') && !isValidLabelNameWithRegexVar(targetLabel, scheme)) return invalidTarget();
  if (TARGET_ONLY.has(action) && !isValidLabelName(targetLabel, scheme)) return invalidTarget();
  if (TARGET_ONLY.has(action) && replacementText !== '$1') return first(['replacement'], `'replacement' can not be set for ${action} action`);
  if (action === 'labelmap' && !isValidLabelNameWithRegexVar(replacementText, scheme)) {
    return first(at('replacement'), `${goQuote(replacementText)} is invalid 'replacement' for ${action} action`);
  }
  if (action === 'hashmod' && !isValidLabelName(targetLabel, scheme)) return invalidTarget();
  if (action === 'keepequal' || action === 'dropequal') {
    // Prometheus compares the regex by identity: any regex given, even `(.*)`, is a change.
    const changed = [given('regex'), modulus !== 0n, separator !== ';', replacementText !== '$1'];
    const index = changed.indexOf(true);
    if (index >= 0)
      return first(
        [(['regex', 'modulus', 'separator', 'replacement'] as const)[index]!],
        `${action} action requires only 'source_labels' and \`target_label\`, and no other fields`,
      );
  }
  if (action === 'labeldrop' || action === 'labelkeep') {
    // `source_labels: []` counts as given, as in Prometheus (a non-nil list).
    const changed = [Array.isArray(raw.source_labels), targetLabel !== '', modulus !== 0n, separator !== ';', replacementText !== '$1'];
    const index = changed.indexOf(true);
    if (index >= 0)
      return first(
        [(['source_labels', 'target_label', 'modulus', 'separator', 'replacement'] as const)[index]!],
        `${action} action requires only 'regex', and no other fields`,
      );
  }

  const literal = action === 'replace' && !given('regex') && !targetLabel.includes('$') && !replacementText.includes('$');
  return {
    problems: [],
    rule: {
      action,
      sourceLabels,
      separator,
      regex,
      modulus,
      targetLabel,
      target: regex.template(targetLabel),
      replacement: regex.template(replacementText),
      literalReplace: literal ? replacementText : undefined,
      defaultRegex: !given('regex'),
    },
  };
}

function toModulus(value: unknown, problem: (path: readonly (string | number)[], message: string) => void): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'bigint') {
    if (value >= 0n && value <= MAX_UINT64) return value;
    problem(['modulus'], `invalid modulus ${value}: expected a whole number from 0 to ${MAX_UINT64}`);
    return 0n;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    problem(['modulus'], `invalid modulus ${typeof value === 'number' ? value : describe(value)}: expected a whole number from 0 to ${MAX_UINT64}`);
    return 0n;
  }
  if (!Number.isSafeInteger(value)) {
    problem(['modulus'], `modulus ${value} is not exact as a number: the largest supported is ${Number.MAX_SAFE_INTEGER}`);
    return 0n;
  }
  return BigInt(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${typeof value === 'bigint' ? String(value) : JSON.stringify(value)}`;
}

/** Go's `%q` (strconv.Quote), so messages read exactly as Prometheus's. */
export function goQuote(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    const escape = GO_ESCAPES[char];
    if (escape) out += escape;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code !== 0x20 && NON_PRINTABLE.test(char))
      out += code > 0xffff ? `\\U${code.toString(16).padStart(8, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return out + '"';
}

const GO_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};
const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

// ---------------------------------------------------------------------------------------------------------------
// Applying rules.

/**
 * Prometheus's labels.Builder: the input as a sorted base, plus additions (in the order first set) and deletions.
 * The order matters where Prometheus's does: `labelmap` visits base labels by name, then added labels by age.
 */
class LabelBuilder {
  private readonly add = new Map<string, string>();
  private readonly del = new Set<string>();
  private sortedBase: string[] | undefined;

  constructor(private readonly base: Readonly<Record<string, string>>) {
    for (const name in base) if (Object.hasOwn(base, name) && base[name] === '') this.del.add(name);
  }

  get(name: string): string {
    const added = this.add.get(name);
    if (added !== undefined) return added;
    if (this.del.has(name) || !Object.hasOwn(this.base, name)) return '';
    return this.base[name]!;
  }

  set(name: string, value: string): void {
    if (value === '') this.delete(name);
    else this.add.set(name, value);
  }

  delete(name: string): void {
    this.add.delete(name);
    this.del.add(name);
  }

  /** A snapshot: changes made while iterating it do not change what it yields. */
  snapshot(): [string, string][] {
    const labels: [string, string][] = [];
    for (const name of this.baseNames()) if (!this.del.has(name) && !this.add.has(name)) labels.push([name, this.base[name]!]);
    for (const entry of this.add) labels.push(entry);
    return labels;
  }

  labels(): Record<string, string> {
    let names: string[] = [];
    for (const name of this.baseNames()) if (!this.del.has(name) && !this.add.has(name)) names.push(name);
    if (this.add.size > 0) names = sortByCodePoint([...names, ...this.add.keys()]);
    const labels: Record<string, string> = {};
    for (const name of names) {
      const value = this.add.get(name) ?? this.base[name]!;
      if (name === '__proto__') Object.defineProperty(labels, name, { value, enumerable: true, writable: true, configurable: true });
      else labels[name] = value;
    }
    return labels;
  }

  private baseNames(): string[] {
    return (this.sortedBase ??= sortByCodePoint(Object.keys(this.base)));
  }
}

/** Sorts as Go's strings.Compare: by code point (UTF-8 byte order), which differs from UTF-16 order above U+D7FF. */
function sortByCodePoint(names: string[]): string[] {
  names.sort();
  return names.some((name) => ABOVE_D7FF.test(name)) ? names.sort(compareNames) : names;
}

const ABOVE_D7FF = /[\uD800-\uFFFF]/;

function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrder(x) - codePointOrder(y);
  }
  return a.length - b.length;
}

function codePointOrder(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

function applyRule(rule: Rule, builder: LabelBuilder, scheme: NameValidationScheme): boolean {
  let value = '';
  for (let i = 0; i < rule.sourceLabels.length; i++) value += (i > 0 ? rule.separator : '') + builder.get(rule.sourceLabels[i]!);

  switch (rule.action) {
    case 'drop':
      return !rule.regex.matchString(value);
    case 'keep':
      return rule.regex.matchString(value);
    case 'dropequal':
      return builder.get(rule.targetLabel) !== value;
    case 'keepequal':
      return builder.get(rule.targetLabel) === value;
    case 'replace': {
      if (value === '' && rule.literalReplace !== undefined) {
        builder.set(rule.targetLabel, rule.literalReplace);
        return true;
      }
      const groups = rule.defaultRegex ? [value, value] : rule.regex.findSubmatch(value);
      if (!groups) return true;
      const target = rule.regex.expand(rule.target, groups);
      if (!isValidLabelName(target, scheme)) return true;
      builder.set(target, rule.regex.expand(rule.replacement, groups));
      return true;
    }
    case 'lowercase':
      builder.set(rule.targetLabel, goToLower(value));
      return true;
    case 'uppercase':
      builder.set(rule.targetLabel, goToUpper(value));
      return true;
    case 'hashmod':
      builder.set(rule.targetLabel, hashMod(value, rule.modulus));
      return true;
    case 'labelmap':
      for (const [name, labelValue] of builder.snapshot()) {
        if (rule.regex.matchString(name)) builder.set(rule.regex.replaceAll(name, rule.replacement), labelValue);
      }
      return true;
    case 'labeldrop':
      for (const [name] of builder.snapshot()) if (rule.regex.matchString(name)) builder.delete(name);
      return true;
    case 'labelkeep':
      for (const [name] of builder.snapshot()) if (!rule.regex.matchString(name)) builder.delete(name);
      return true;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Go's strings.ToLower / strings.ToUpper: Unicode simple case mapping, one character at a time. JavaScript's full
// mapping differs where one character maps to several (`ß` → `SS`, `İ` → `i̇`) and for the final sigma.

const ASCII = /^[\x00-\x7f]*$/;

export function goToLower(text: string): string {
  if (ASCII.test(text)) return text.toLowerCase();
  let out = '';
  for (const char of text) {
    const mapped = char.toLowerCase();
    out += isOneCodePoint(mapped) ? mapped : char === '\u0130' ? 'i' : char;
  }
  return out;
}

export function goToUpper(text: string): string {
  if (ASCII.test(text)) return text.toUpperCase();
  let out = '';
  for (const char of text) {
    const mapped = char.toUpperCase();
    out += isOneCodePoint(mapped) ? mapped : simpleUpper(char);
  }
  return out;
}

function isOneCodePoint(text: string): boolean {
  return text.length === 1 || (text.length === 2 && text.codePointAt(0)! > 0xffff);
}

/** The simple uppercase of the characters whose full uppercase is several characters (UnicodeData.txt). */
function simpleUpper(char: string): string {
  const code = char.codePointAt(0)!;
  // Greek with ypogegrammeni: ᾀ → ᾈ, ᾳ → ᾼ, ...; the rest (ß, ŉ, ǰ, ﬁ, ᾈ, ...) have no simple uppercase.
  if ((code >= 0x1f80 && code <= 0x1f87) || (code >= 0x1f90 && code <= 0x1f97) || (code >= 0x1fa0 && code <= 0x1fa7)) return String.fromCodePoint(code + 8);
  if (code === 0x1fb3 || code === 0x1fc3 || code === 0x1ff3) return String.fromCodePoint(code + 9);
  return char;
}
