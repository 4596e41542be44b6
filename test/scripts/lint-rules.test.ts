import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { repoRoot } from '../harness/fixtures.js';

type CyclePlugin = typeof import('../../scripts/eslint/import-cycles.js');
const plugin = ((await import(pathToFileURL(path.join(repoRoot(), 'scripts/eslint/import-cycles.js')).href)) as CyclePlugin).default;

describe('lint rule zkotel/no-import-cycle', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkotel-cycles-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  };
  const cycleMessages = (name: string): string[] =>
    new Linter({ cwd: dir })
      .verify(
        fs.readFileSync(path.join(dir, name), 'utf8'),
        [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, plugins: { zkotel: plugin }, rules: { 'zkotel/no-import-cycle': 'error' } }],
        {
          filename: path.join(dir, name),
        },
      )
      .map((message) => message.message);

  it('reports an import that leads back to its file, through type-only imports and re-exports too', () => {
    write('a.ts', "import { b } from './b.js';\nexport const a = b;\n");
    write('b.ts', "export { c as b } from './sub/c.js';\n");
    write('sub/c.ts', "import type { a } from '../a.js';\nexport const c = 1 as unknown as typeof a;\n");
    assert.deepEqual(cycleMessages('a.ts'), ['import cycle: a.ts → b.ts → sub/c.ts → a.ts']);
    assert.deepEqual(cycleMessages('sub/c.ts'), ['import cycle: sub/c.ts → a.ts → b.ts → sub/c.ts']);
  });

  it('says nothing about imports that only go down', () => {
    write('top.ts', "import { leaf } from './mid.js';\nimport fs from 'node:fs';\nexport const top = [leaf, fs];\n");
    write('mid.ts', "export { leaf } from './leaf.js';\n");
    write('leaf.ts', 'export const leaf = 1;\n');
    assert.deepEqual(cycleMessages('top.ts'), []);
  });
});

describe("the repository's lint configuration", () => {
  const eslint = new ESLint({ cwd: repoRoot() });
  const problems = async (filePath: string, code: string): Promise<string[]> =>
    (await eslint.lintText(code, { filePath })).flatMap((result) => result.messages.map((message) => `${message.ruleId}: ${message.message}`));

  it('forbids src/core/ to import a component, a helper of components or the component list', async () => {
    for (const specifier of [
      '../receivers/zookeeper/factory.js',
      '../../exporters/otlp/exporter.js',
      '../internal/exporterhelper/queued-retry.js',
      '../components.js',
    ]) {
      const found = await problems('src/core/example.ts', `import * as x from '${specifier}';\nexport const y = x;\n`);
      assert.equal(found.length, 1, `${specifier}: ${found.join('; ')}`);
      assert.match(found[0]!, /^no-restricted-imports: /);
    }
    assert.deepEqual(await problems('src/core/example.ts', "import { parseDuration } from './duration.js';\nexport const y = parseDuration;\n"), []);
  });

  it('forbids src/internal/ to import a component, and lets components use it', async () => {
    const found = await problems('src/internal/example.ts', "import { x } from '../../exporters/otlp/config.js';\nexport const y = x;\n");
    assert.match(found.join(), /no-restricted-imports: /);
    assert.deepEqual(
      await problems('src/exporters/example.ts', "import { queuedRetry } from '../internal/exporterhelper/queued-retry.js';\nexport const y = queuedRetry;\n"),
      [],
    );
  });

  it('forbids src/cli.ts to import a component: it gets them from src/components.ts', async () => {
    const found = await problems(
      'src/cli.ts',
      "import { PrometheusExporter } from './exporters/prometheus/exporter.js';\nexport const y = PrometheusExporter;\n",
    );
    assert.match(found.join(), /no-restricted-imports: /);
    assert.deepEqual(await problems('src/cli.ts', "import { telemetryEndpoint } from './components.js';\nexport const y = telemetryEndpoint;\n"), []);
  });

  it('forbids every src/internal/ helper to import a component, the relabel processor included', async () => {
    const engine = "import { compileRelabelConfigs } from '../relabel/relabel.js';\nexport const y = compileRelabelConfigs;\n";
    assert.deepEqual(await problems('src/internal/targets/example.ts', engine), []);
    const processor = "import { x } from '../../processors/relabel/processor.js';\nexport const y = x;\n";
    assert.match((await problems('src/internal/targets/example.ts', processor)).join(), /no-restricted-imports: /);
    assert.match((await problems('src/internal/zkclient/example.ts', processor)).join(), /no-restricted-imports: /);
  });
});
