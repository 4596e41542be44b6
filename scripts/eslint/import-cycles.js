/**
 * ESLint rule `zkotel/no-import-cycle`: reports an import that leads, through relative imports, back to the file
 * that makes it. Type-only imports count: a cycle of types still ties two modules into one. The import graph of
 * other files is read from their source text (static `import`/`export ... from` of relative `.js` specifiers,
 * which resolve to the `.ts` file beside them, as TypeScript's NodeNext resolution does here).
 */
import fs from 'node:fs';
import path from 'node:path';

const STATIC_IMPORT = /^\s*(?:import|export)\b[^'"`;]*?(?:\bfrom\s*)?['"](\.{1,2}\/[^'"]+)['"]/gm;

/** file → the files it imports; kept for one lint run. */
const edges = new Map();

function resolve(fromFile, specifier) {
  const target = path.resolve(path.dirname(fromFile), specifier);
  for (const candidate of [target.replace(/\.js$/, '.ts'), target]) if (candidate.endsWith('.ts') && fs.existsSync(candidate)) return candidate;
  return undefined;
}

function importsOf(file) {
  let found = edges.get(file);
  if (found) return found;
  found = [];
  edges.set(file, found);
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return found;
  }
  for (const match of text.matchAll(STATIC_IMPORT)) {
    const target = resolve(file, match[1]);
    if (target && !found.includes(target)) found.push(target);
  }
  return found;
}

/** A path of files from `start` to `goal` (both included), or undefined. */
function pathBetween(start, goal) {
  const previous = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    if (file === goal) {
      const route = [];
      for (let at = goal; at !== undefined; at = previous.get(at)) route.unshift(at);
      return route;
    }
    for (const next of importsOf(file)) {
      if (previous.has(next)) continue;
      previous.set(next, file);
      queue.push(next);
    }
  }
  return undefined;
}

export const noImportCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid relative imports that lead back to the importing file' },
    schema: [],
    messages: { cycle: 'import cycle: {{route}}' },
  },
  create(context) {
    const file = context.filename;
    const check = (node) => {
      const specifier = node.source?.value;
      if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
      const target = resolve(file, specifier);
      if (!target) return;
      const route = pathBetween(target, file);
      if (!route) return;
      const cwd = context.cwd;
      context.report({ node: node.source, messageId: 'cycle', data: { route: [file, ...route].map((f) => path.relative(cwd, f)).join(' → ') } });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check };
  },
};

export default { rules: { 'no-import-cycle': noImportCycle } };
