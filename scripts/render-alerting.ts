/**
 * Writes the rendered alerting files (src/alerting/render.ts deployFiles): the rule files, the PrometheusRule and the
 * example Alertmanager config.
 *
 *   node dist/scripts/render-alerting.js                                   rewrites the committed files under deploy/
 *                                                                          (run after changing the definition; a test
 *                                                                          fails while they differ)
 *   node dist/scripts/render-alerting.js --runbook-base URL --out DIR      your own set, under DIR/deploy/…, with
 *                                                                          runbook_url links to where you serve
 *                                                                          docs/runbooks.md
 *
 * The committed files carry no runbook_url: zkotel cannot know where your copy of the runbooks is served.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { deployFiles, runbookBaseProblem } from '../src/alerting/render.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const { values } = parseArgs({ options: { 'runbook-base': { type: 'string' }, out: { type: 'string' } } });
const runbookBase = values['runbook-base'];
const problem = runbookBase === undefined ? undefined : runbookBaseProblem(runbookBase);
if (problem) {
  console.error(`--runbook-base: ${problem}`);
  process.exit(2);
}
const out = path.resolve(values.out ?? ROOT);
for (const [file, text] of Object.entries(deployFiles({ runbookBase }))) {
  mkdirSync(path.dirname(path.join(out, file)), { recursive: true });
  writeFileSync(path.join(out, file), text);
  console.log(`wrote ${path.relative(process.cwd(), path.join(out, file)) || file}`);
}
