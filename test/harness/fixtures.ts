import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: tests run from dist/test/..., fixtures stay in test/fixtures. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

export function readFixture(relative: string): string {
  return readFileSync(path.join(repoRoot(), 'test/fixtures', relative), 'utf8');
}

/** The real mntr replies in test/fixtures/mntr, by file name (see SOURCES.md there). */
export function mntrFixtureNames(): string[] {
  return readdirSync(path.join(repoRoot(), 'test/fixtures/mntr'))
    .filter((name) => /^mntr-.+\.txt$/.test(name))
    .sort();
}

export const readMntrFixture = (name: string): string => readFixture(`mntr/${name}`);
