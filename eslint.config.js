// Lint: the architecture's import rules, import cycles, and typescript-eslint's recommended rules.
// Formatting is Prettier's (npm run format:check), not ESLint's.
import tseslint from 'typescript-eslint';
import zkotel from './scripts/eslint/import-cycles.js';

const COMPONENTS = ['receivers', 'processors', 'exporters', 'extensions'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/fixtures/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { zkotel },
    rules: {
      'zkotel/no-import-cycle': 'error',
      // `_name` marks what is left out on purpose (a destructured key dropped from a rest, an argument a signature needs).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // `self` is the outer `this` beside a callback's own `this` (library hooks that are called with one).
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
    },
  },
  {
    // The runtime knows components only through the registry: src/components.ts is the one file that names them.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(\\.\\./)+(${COMPONENTS.join('|')}|internal)/`,
              message: 'src/core/ is the runtime: it imports no component and no helper of components (see docs/ARCHITECTURE.md).',
            },
            { regex: '^(\\.\\./)+components\\.js$', message: 'only the entry points import src/components.ts.' },
          ],
        },
      ],
    },
  },
  {
    // The CLI starts the service with the registry of src/components.ts; it names no component itself.
    files: ['src/cli.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: `^\\./(${COMPONENTS.join('|')})/`, message: 'src/components.ts is the only file that names components.' }] },
      ],
    },
  },
  {
    // Helpers shared by components (exporterhelper, scraperhelper, targets, zkclient, …) sit below them.
    files: ['src/internal/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: `^(\\.\\./)+(${COMPONENTS.join('|')})/`, message: 'src/internal/ holds helpers for components: it imports no component.' },
            { regex: '^(\\.\\./)+components\\.js$', message: 'only the entry points import src/components.ts.' },
          ],
        },
      ],
    },
  },
);
