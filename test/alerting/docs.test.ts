/** docs/runbooks.md has a full section for every alert, and README's Alerting table agrees with the definition. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ALERTS } from '../../src/alerting/definition.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

describe('alerting docs', () => {
  const runbooks = read('docs/runbooks.md');
  const sections = new Map(
    runbooks
      .split(/^## /m)
      .slice(1)
      .map((section) => [section.split('\n')[0]!.trim(), section]),
  );

  it('docs/runbooks.md: one section per alert, each with meaning, impact, how to confirm and what to do', () => {
    assert.deepEqual(
      [...sections.keys()],
      ALERTS.map((alert) => alert.name),
    );
    for (const [name, section] of sections) {
      for (const part of ['**Meaning**', '**Impact**', '**Confirm**', '**Act**']) assert.ok(section.includes(part), `${name}: ${part}`);
    }
  });

  it("README's Alerting table lists every alert with its severity, for and default parameters", () => {
    const readme = read('README.md');
    for (const alert of ALERTS) {
      const row = readme.split('\n').find((line) => line.startsWith(`| [\`${alert.name}\`](docs/runbooks.md#${alert.name.toLowerCase()})`));
      assert.ok(row, `${alert.name}: a row`);
      const cells = row.split(' | ');
      assert.equal(cells[1], alert.severity, alert.name);
      assert.equal(cells[4], `${alert.for} |`, alert.name);
      for (const [name, param] of Object.entries(alert.params ?? {}))
        assert.ok(cells[3]!.includes(`\`${name}\` ${param.value.toLocaleString('en-US')} `), `${alert.name}.${name}`);
    }
  });
});
