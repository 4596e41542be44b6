/** Where a config value was written. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export type ConfigPath = readonly (string | number)[];

/** One problem found in the config; `validate` collects all of them before reporting. */
export interface ConfigProblem {
  readonly location?: SourceLocation;
  readonly path: ConfigPath;
  readonly message: string;
}

/** `receivers::zookeeper::timeout`, the Collector's way of writing a config path. */
export function formatPath(path: ConfigPath): string {
  return path.map(String).join('::');
}

/** `FILE:LINE:COL: path::to::field: message`. */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.location ? `${problem.location.file}:${problem.location.line}:${problem.location.col}: ` : '';
  const path = problem.path.length > 0 ? `${formatPath(problem.path)}: ` : '';
  return `${where}${path}${problem.message}`;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}
