/**
 * The attributes processor's actions, compiled once into one function from an attribute set to its edited version.
 * zkotel attribute values are strings, so `convert` validates and normalises text instead of changing a type.
 */
import { createHash } from 'node:crypto';
import type { Attributes } from '../../core/batch.js';
import type { Logger } from '../../core/logger.js';
import { compileRegex } from '../../internal/filter/matcher.js';
import type { ActionConfig, ConvertedType } from './config.js';

/** Returns the input object itself when the actions change nothing, else a new frozen object. */
export type AttributesEdit = (attributes: Attributes) => Attributes;

/** Copy-on-write view of one attribute set: nothing is allocated until an action really changes something. */
class Editor {
  private edited: Map<string, string> | undefined;

  constructor(private readonly input: Attributes) {}

  get(key: string): string | undefined {
    if (this.edited !== undefined) return this.edited.get(key);
    return Object.hasOwn(this.input, key) ? this.input[key] : undefined;
  }

  set(key: string, value: string): void {
    if (this.get(key) !== value) this.mutable().set(key, value);
  }

  delete(key: string): void {
    if (this.get(key) !== undefined) this.mutable().delete(key);
  }

  keys(): string[] {
    return this.edited !== undefined ? [...this.edited.keys()] : Object.keys(this.input);
  }

  /** The input itself if the content ended up equal to it (e.g. an upsert of the value already there). */
  result(): Attributes {
    const edited = this.edited;
    if (edited === undefined) return this.input;
    const inputKeys = Object.keys(this.input);
    if (inputKeys.length === edited.size && inputKeys.every((key) => edited.get(key) === this.input[key])) return this.input;
    // fromEntries defines own properties, so even a key named `__proto__` stays an ordinary attribute.
    return Object.freeze(Object.fromEntries(edited));
  }

  private mutable(): Map<string, string> {
    return (this.edited ??= new Map(Object.entries(this.input)));
  }
}

type Step = (editor: Editor) => void;

/** SHA-256 of the value as lowercase hex; an empty value stays empty, as in the Collector. */
export function hashValue(value: string): string {
  return value === '' ? '' : createHash('sha256').update(value, 'utf8').digest('hex');
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY = /^([+-]?)inf(?:inity)?$/i;

/**
 * `value` as the text of `type`, or undefined when it is not one (the Collector then leaves the attribute as it is).
 * int: a base-10 64-bit integer (Go's strconv.ParseInt), printed plainly (`+007` → `7`).
 * double: a decimal float, `inf`/`infinity`/`nan` in any case (Go's strconv.ParseFloat without hex floats); printed
 * in the shortest form that round-trips (`1.50` → `1.5`, `1e3` → `1000`), infinities and NaN as Prometheus writes
 * them (`+Inf`, `-Inf`, `NaN`); out of float64 range fails, as in Go.
 * string: every value already is one.
 */
export function convertValue(value: string, type: ConvertedType): string | undefined {
  switch (type) {
    case 'string':
      return value;
    case 'int': {
      if (!INTEGER.test(value)) return undefined;
      const n = BigInt(value);
      return n < INT64_MIN || n > INT64_MAX ? undefined : n.toString();
    }
    case 'double': {
      const infinity = INFINITY.exec(value);
      if (infinity) return infinity[1] === '-' ? '-Inf' : '+Inf';
      if (value.toLowerCase() === 'nan') return 'NaN';
      if (!DECIMAL.test(value)) return undefined;
      const n = Number(value);
      return Number.isFinite(n) ? String(n) : undefined;
    }
  }
}

function compileStep(action: ActionConfig, logger: Logger): Step {
  switch (action.action) {
    case 'insert':
    case 'update':
    case 'upsert': {
      const { key, value, from_attribute: from } = action;
      const source: (editor: Editor) => string | undefined = value !== undefined ? () => value : (editor) => editor.get(from!);
      const when = action.action;
      return (editor) => {
        const newValue = source(editor);
        if (newValue === undefined) return; // from_attribute absent: no action
        const present = editor.get(key) !== undefined;
        if ((when === 'insert' && present) || (when === 'update' && !present)) return;
        editor.set(key, newValue);
      };
    }
    case 'delete':
    case 'hash': {
      const { key, pattern } = action;
      const regex = pattern === undefined ? undefined : compileRegex(pattern);
      const apply: (editor: Editor, key: string) => void =
        action.action === 'delete'
          ? (editor, k) => editor.delete(k)
          : (editor, k) => {
              const value = editor.get(k);
              if (value !== undefined) editor.set(k, hashValue(value));
            };
      return (editor) => {
        if (key !== undefined) apply(editor, key);
        // A key that is also matched by the pattern is hashed once, not twice.
        if (regex !== undefined) for (const k of editor.keys()) if (k !== key && regex.testExact(k)) apply(editor, k);
      };
    }
    case 'extract': {
      const { key } = action;
      const regex = compileRegex(action.pattern);
      const groups = Object.entries(regex.namedGroups()).sort(([, a], [, b]) => a - b);
      return (editor) => {
        const value = editor.get(key);
        if (value === undefined) return;
        const match = regex.matcher(value);
        if (!match.matches()) return;
        // A group that took no part in the match gives an empty value, as Go's FindStringSubmatch does.
        for (const [name, index] of groups) editor.set(name, match.group(index) ?? '');
      };
    }
    case 'convert': {
      const { key, converted_type: type } = action;
      return (editor) => {
        const value = editor.get(key);
        if (value === undefined) return;
        const converted = convertValue(value, type);
        if (converted === undefined)
          logger.debug(`attribute "${key}" left unchanged: ${JSON.stringify(value)} is not a valid ${type}`, { key, value, converted_type: type });
        else editor.set(key, converted);
      };
    }
  }
}

/** All actions, in order, as one edit. */
export function compileActions(actions: readonly ActionConfig[], logger: Logger): AttributesEdit {
  const steps = actions.map((action) => compileStep(action, logger));
  return (attributes) => {
    const editor = new Editor(attributes);
    for (const step of steps) step(editor);
    return editor.result();
  };
}
