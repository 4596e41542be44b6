/**
 * Prometheus `file_sd_configs` files, read as Prometheus reads them: a list of target groups
 * `[{targets: ["host:port", …], labels: {name: value}}]` in JSON (`.json`) or YAML (`.yml`, `.yaml`).
 */
import path from 'node:path';
import { z } from 'zod';
import type { Attributes } from '../../core/batch.js';
import { formatProblem } from '../../core/config/errors.js';
import { parseHostPort, schemaProblems, type SchemaProblem } from '../../core/config/schema.js';
import { readYamlFile } from '../../core/config/yaml-file.js';
import { META_LABELS, reservedAttributeClash, uniqueTargets, type Target } from './target.js';

/** Prometheus's own rule: wildcards (`*`, `?`) only in the last path element, and a .json/.yml/.yaml extension. */
export const FILE_SD_PATTERN = /^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$/;
export const FILE_SD_PATTERN_HINT = 'expected a path ending in .json, .yml or .yaml, with wildcards only in its last element (e.g. targets/zk_*.yaml)';

/** Prometheus label names; those starting with `__` are meta labels and do not become attributes. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const targetGroupsSchema = z.array(
  z.strictObject({
    targets: z.array(z.string()),
    labels: z
      .record(z.string(), z.string())
      .superRefine((labels, ctx) => {
        for (const name of Object.keys(labels)) {
          if (!LABEL_NAME.test(name))
            ctx.addIssue({ code: 'custom', path: [name], message: `invalid label name ${JSON.stringify(name)}: expected [a-zA-Z_][a-zA-Z0-9_]*` });
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
  const glob = new RegExp(
    `^${base
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.')}$`,
  );
  return { directory: path.dirname(pattern), matches: (name) => glob.test(name) };
}

/**
 * A file's usable targets with what was dropped from it (`problems`: a bad target, a reserved label), or, when the
 * file cannot be read as target groups at all, only an `error`. Problems and errors are `FILE:LINE:COL: path: message`.
 */
export type FileSdResult =
  | { readonly targets: readonly Target[]; readonly problems: readonly string[]; readonly error?: undefined }
  | { readonly targets?: undefined; readonly problems?: undefined; readonly error: string };

/** The targets of one file, or every problem in it as `FILE:LINE:COL: path: message` lines. */
export function readFileSdFile(file: string, receiverAttributes?: ReadonlySet<string>): FileSdResult {
  const yaml = readYamlFile(file);
  if (yaml.problems.length > 0) return { error: yaml.problems.map(formatProblem).join('\n') };
  // An empty file is most likely one being rewritten: an error, so the file's last good targets are kept.
  if (yaml.value === null || yaml.value === undefined) return { error: `${file}: the file is empty: expected a list of target groups` };
  if (!Array.isArray(yaml.value))
    return { error: formatProblem(yaml.problemsAt([{ path: [], message: 'expected a list of target groups [{targets: [host:port, …], labels: {…}}]' }])[0]!) };
  const parsed = targetGroupsSchema.safeParse(yaml.value, { reportInput: true });
  if (!parsed.success) return { error: yaml.problemsAt(schemaProblems(parsed.error)).map(formatProblem).join('\n') };
  const dropped: SchemaProblem[] = [];
  const targets = parsed.data.flatMap((group, index) => {
    const attributes = attributesOf(group.labels, (name, message) => dropped.push({ path: [index, 'labels', name], message }), receiverAttributes);
    const meta = metaOf(group.labels, file);
    return group.targets.flatMap((endpoint, at) => {
      if (parseHostPort(endpoint) !== undefined) return [Object.freeze({ endpoint, attributes, meta })];
      dropped.push({
        path: [index, 'targets', at],
        message: `invalid endpoint ${JSON.stringify(endpoint)}: expected host:port (port 1-65535); target dropped`,
      });
      return [];
    });
  });
  return { targets: uniqueTargets(targets), problems: yaml.problemsAt(dropped).map(formatProblem) };
}

/** The label that sets a target's cluster (`zk.cluster`): the one identity label a target group may give. */
export const CLUSTER_LABEL = 'zk_cluster';

/**
 * The labels that become attributes: not the `__` meta labels, and not a label that would be exported as the same
 * Prometheus label as an attribute the receiver sets (identity wins; Prometheus refuses reserved labels likewise).
 * `zk_cluster` is the exception: it is the target's cluster, so it becomes the `zk.cluster` attribute.
 */
function attributesOf(
  labels: Readonly<Record<string, string>>,
  drop: (name: string, message: string) => void,
  receiverAttributes: ReadonlySet<string> | undefined,
): Attributes {
  const kept = Object.entries(labels).flatMap(([name, value]): [string, string][] => {
    if (name.startsWith('__')) return [];
    if (name === CLUSTER_LABEL) return value === '' ? [] : [['zk.cluster', value]];
    const clash = reservedAttributeClash(name, receiverAttributes);
    if (clash !== undefined)
      drop(
        name,
        `label ${JSON.stringify(name)} is reserved: it would be exported as the same Prometheus label as the attribute ${clash} that zkotel sets; label dropped (rename it)`,
      );
    return clash === undefined ? [[name, value]] : [];
  });
  return Object.freeze(Object.fromEntries(kept));
}

/** What relabel_configs see beyond the attributes: the source, the file, and the group's own `__` labels. */
function metaOf(labels: Readonly<Record<string, string>>, file: string): Readonly<Record<string, string>> {
  const meta = Object.entries(labels).filter(([name]) => name.startsWith('__'));
  return Object.freeze({ ...Object.fromEntries(meta), [META_LABELS.source]: 'file_sd', [META_LABELS.filePath]: file });
}
