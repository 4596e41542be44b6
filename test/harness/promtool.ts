/**
 * `promtool check metrics` as tests use it: zkotel's default output must lint clean.
 */
import { spawnSync } from 'node:child_process';

/** promtool's complaints about an exposition; throws on a parse error. */
export function promtoolLint(exposition: string): string[] {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (result.error) throw result.error;
  // 0: clean; 3: lint problems only (printed on stderr); anything else: the exposition did not parse.
  if (result.status !== 0 && result.status !== 3) throw new Error(`promtool check metrics exited ${result.status}: ${result.stderr}${result.stdout}`);
  return `${result.stdout}\n${result.stderr}`
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}
