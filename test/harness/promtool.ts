/**
 * `promtool check metrics` as tests use it: zkotel's output must lint clean, except for the lines listed in
 * ACCEPTED_LINT, each kept on purpose and explained in README.md.
 */
import { spawnSync } from 'node:child_process';

/**
 * - `zookeeper_zxid_counter`: issue #4 and the Collector-style catalog name the low half of the zxid
 *   `zookeeper.zxid.counter`; promtool flags any name containing "counter", whatever its type (README, receivers.zookeeper).
 */
export const ACCEPTED_LINT: readonly string[] = ["zookeeper_zxid_counter metric name should not include type 'counter'"];

/** promtool's complaints about an exposition, minus the accepted ones; throws on a parse error. */
export function promtoolLint(exposition: string): string[] {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (result.error) throw result.error;
  // 0: clean; 3: lint problems only (printed on stderr); anything else: the exposition did not parse.
  if (result.status !== 0 && result.status !== 3) throw new Error(`promtool check metrics exited ${result.status}: ${result.stderr}${result.stdout}`);
  return `${result.stdout}\n${result.stderr}`
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !ACCEPTED_LINT.includes(line));
}
