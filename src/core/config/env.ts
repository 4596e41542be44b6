/**
 * Environment expansion with the OpenTelemetry Collector's semantics:
 * `${env:NAME}`, `${env:NAME:-default}` (default only when NAME is unset) and `$$` for a literal `$`.
 */
const REFERENCE = /\$\$|\$\{([^}]*)\}/g;
const ENV_REFERENCE = /^env:([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

export interface Expansion {
  readonly value: string;
  /** True when the whole input was one `${...}` reference, so the result may be re-typed as YAML. */
  readonly wholeReference: boolean;
  readonly problems: readonly string[];
  readonly unsetVariables: readonly string[];
}

export function expandEnv(input: string, env: NodeJS.ProcessEnv = process.env): Expansion {
  if (!input.includes('$')) return { value: input, wholeReference: false, problems: [], unsetVariables: [] };
  const problems: string[] = [];
  const unsetVariables: string[] = [];
  let references = 0;
  const value = input.replace(REFERENCE, (match, body: string | undefined) => {
    if (body === undefined) return '$';
    references++;
    const parsed = ENV_REFERENCE.exec(body);
    if (!parsed) {
      problems.push(`invalid reference "${match}": expected \${env:NAME} or \${env:NAME:-default}`);
      return match;
    }
    const [, name, fallback] = parsed;
    const found = env[name!];
    if (found !== undefined) return found;
    if (fallback !== undefined) return fallback;
    unsetVariables.push(name!);
    return '';
  });
  const wholeReference = references === 1 && /^\$\{[^}]*\}$/.test(input);
  return { value, wholeReference, problems, unsetVariables };
}
