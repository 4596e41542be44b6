/**
 * Writes the rendered alerting files under deploy/ (src/alerting/render.ts deployFiles). Run after changing the
 * definition: `npm run build && node dist/scripts/render-alerting.js`. A test fails while they differ.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deployFiles } from '../src/alerting/render.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
for (const [file, text] of Object.entries(deployFiles())) {
  mkdirSync(path.dirname(path.join(ROOT, file)), { recursive: true });
  writeFileSync(path.join(ROOT, file), text);
  console.log(`wrote ${file}`);
}
