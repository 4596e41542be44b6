/**
 * Environment expansion with the OpenTelemetry Collector's semantics:
 * `${env:NAME}`, `${env:NAME:-default}` (default only when NAME is unset) and `$$` for a literal `$`.
 * A `${...}` without a scheme is left as it is: relabel rules copied from Prometheus use `${1}` and `${name}`
 * as Go templates. When it names a set environment variable, a warning suggests `${env:NAME}`.
 */
const REFERENCE = /\$\$|\$\{([^}]*)\}/g;
/** `${env:NAME` with no closing brace before the end of the value. */
const UNTERMINATED = /\$\{([A-Za-z][A-Za-z0-9+.-]*:[^}]*)$/;
const ENV_REFERENCE = /^env:([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface Expansion {
  readonly value: string;
  /** True when the whole input was one `${...}` reference, so the result may be re-typed as YAML. */
  readonly wholeReference: boolean;
  readonly problems: readonly string[];
  readonly unsetVariables: readonly string[];
  readonly warnings: readonly string[];
}

export function expandEnv(input: string, env: NodeJS.ProcessEnv = process.env): Expansion {
  if (!input.includes('$')) return { value: input, wholeReference: false, problems: [], unsetVariables: [], warnings: [] };
  const problems: string[] = [];
  const warnings: string[] = [];
  const unsetVariables: string[] = [];
  let references = 0;
  const value = input.replace(REFERENCE, (match, body: string | undefined) => {
    if (body === undefined) return '$';
    if (!SCHEME.test(body)) {
      if (VARIABLE_NAME.test(body) && env[body] !== undefined)
        warnings.push(`"${match}" is kept as written; for the environment variable write \${env:${body}}`);
      return match;
    }
    references++;
    const parsed = ENV_REFERENCE.exec(body);
    if (!parsed) {
      problems.push(`invalid reference "${match}": only the env scheme is supported, e.g. \${env:NAME} or \${env:NAME:-default}`);
      return match;
    }
    const [, name, fallback] = parsed;
    const found = env[name!];
    if (found !== undefined) return found;
    if (fallback !== undefined) return fallback;
    unsetVariables.push(name!);
    return '';
  });
  // `${env:NAME` left open would otherwise stay in the value as literal text.
  const unterminated = UNTERMINATED.exec(input.replace(REFERENCE, ''));
  if (unterminated) problems.push(`unterminated reference "${unterminated[0]}": missing the closing "}"`);
  const wholeReference = references === 1 && /^\$\{[^}]*\}$/.test(input);
  return { value, wholeReference, problems, unsetVariables, warnings };
}
