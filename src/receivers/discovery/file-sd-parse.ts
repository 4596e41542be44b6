/**
 * Prometheus `file_sd_configs` files, read as Prometheus reads them: a list of target groups
 * `[{targets: ["host:port", …], labels: {name: value}}]` in JSON (`.json`) or YAML (`.yml`, `.yaml`).
 */
import path from 'node:path';
import { z } from 'zod';
import type { Attributes } from '../../core/batch.js';
import { formatProblem } from '../../core/config/errors.js';
import { hostPort, schemaProblems } from '../../core/config/schema.js';
import { readYamlFile } from '../../core/config/yaml-file.js';
import { uniqueTargets, type Target } from './target.js';

/** Prometheus's own rule: wildcards (`*`, `?`) only in the last path element, and a .json/.yml/.yaml extension. */
export const FILE_SD_PATTERN = /^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$/;
export const FILE_SD_PATTERN_HINT = 'expected a path ending in .json, .yml or .yaml, with wildcards only in its last element (e.g. targets/zk_*.yaml)';

/** Prometheus label names; those starting with `__` are meta labels and do not become attributes. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const targetGroupsSchema = z.array(
  z.strictObject({
    targets: z.array(hostPort()),
    labels: z
      .record(z.string(), z.string())
      .superRefine((labels, ctx) => {
        for (const name of Object.keys(labels)) {
          if (!LABEL_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `invalid label name ${JSON.stringify(name)}: expected [a-zA-Z_][a-zA-Z0-9_]*` });
        }
      })
      .default({}),
  }),
);

/** The directory to watch and a test for the names in it, of one `files:` pattern. */
export interface FilePattern {
  readonly directory: string;
  matches(name: string): boolean;
}

export function filePattern(pattern: string): FilePattern {
  const base = path.basename(pattern);
  const glob = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`);
  return { directory: path.dirname(pattern), matches: (name) => glob.test(name) };
}

export type FileSdResult = { readonly targets: readonly Target[]; readonly error?: undefined } | { readonly targets?: undefined; readonly error: string };

/** The targets of one file, or every problem in it as `FILE:LINE:COL: path: message` lines. */
export function readFileSdFile(file: string): FileSdResult {
  const yaml = readYamlFile(file);
  if (yaml.problems.length > 0) return { error: yaml.problems.map(formatProblem).join('\n') };
  // An empty file is most likely one being rewritten: an error, so the file's last good targets are kept.
  if (yaml.value === null || yaml.value === undefined) return { error: `${file}: the file is empty: expected a list of target groups` };
  if (!Array.isArray(yaml.value)) return { error: formatProblem(yaml.problemsAt([{ path: [], message: 'expected a list of target groups [{targets: [host:port, …], labels: {…}}]' }])[0]!) };
  const parsed = targetGroupsSchema.safeParse(yaml.value, { reportInput: true });
  if (!parsed.success) return { error: yaml.problemsAt(schemaProblems(parsed.error)).map(formatProblem).join('\n') };
  return { targets: uniqueTargets(parsed.data.flatMap((group) => group.targets.map((endpoint) => Object.freeze({ endpoint, attributes: attributesOf(group.labels) })))) };
}

function attributesOf(labels: Readonly<Record<string, string>>): Attributes {
  return Object.freeze(Object.fromEntries(Object.entries(labels).filter(([name]) => !name.startsWith('__'))));
}
