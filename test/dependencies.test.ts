import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { it } from 'node:test';
import { repoRoot } from './harness/fixtures.js';

interface NpmTree {
  version?: string;
  dependencies?: Record<string, NpmTree>;
}

it('installs exactly one copy of each OpenTelemetry SDK package', () => {
  const tree = JSON.parse(execFileSync('npm', ['ls', '--all', '--json'], { cwd: repoRoot(), encoding: 'utf8' })) as NpmTree;
  const versions = new Map<string, Set<string>>();
  const walk = (node: NpmTree) => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      if (name.startsWith('@opentelemetry/') && child.version) versions.set(name, (versions.get(name) ?? new Set()).add(child.version));
      walk(child);
    }
  };
  walk(tree);
  for (const name of ['@opentelemetry/sdk-metrics', '@opentelemetry/core', '@opentelemetry/resources', '@opentelemetry/api']) {
    assert.equal(versions.get(name)?.size, 1, `${name}: ${[...(versions.get(name) ?? [])].join(', ')}`);
  }
});
