#!/usr/bin/env node
// The published type declarations must compile with what installing the package brings. Walks the
// .d.ts files reachable from each published package's `exports` types, and fails when one imports a
// package that is not among its dependencies or required peers: an optional peer (the runtime's
// adapters) or an undeclared package makes `tsc` fail for a user without `skipLibCheck` who did not
// install it. Needs `npm run build` first.
//   node tools/check-declarations.mjs
import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
const packageOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** Every `types` file of an exports map. */
function typesEntries(exports) {
  if (typeof exports === 'string') return exports.endsWith('.d.ts') ? [exports] : [];
  if (!exports || typeof exports !== 'object') return [];
  return Object.entries(exports).flatMap(([key, value]) => (key === 'types' && typeof value === 'string' ? [value] : typesEntries(value)));
}

/** Bare specifiers imported by the declarations reachable from `entries`, with the file importing each. */
function bareImports(dir, entries) {
  const seen = new Set();
  const found = [];
  const stack = entries.map((e) => normalize(join(dir, e)));
  while (stack.length > 0) {
    const file = stack.pop();
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    // Comments may show imports in examples; only code counts.
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)) {
      const specifier = match[1];
      if (specifier.startsWith('.')) stack.push(normalize(join(dirname(file), specifier.replace(/\.js$/, '.d.ts'))));
      else found.push({ specifier, file: relative(dir, file) });
    }
  }
  return found;
}

const problems = [];
for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(join(ROOT, group))) {
    const dir = join(ROOT, group, name);
    const manifestPath = join(dir, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (manifest.private) continue;
    const optional = new Set(Object.entries(manifest.peerDependenciesMeta ?? {}).filter(([, meta]) => meta?.optional).map(([peer]) => peer));
    const installed = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {}).filter((p) => !optional.has(p))]);
    const entries = typesEntries(manifest.exports);
    if (entries.length === 0) continue;
    for (const { specifier, file } of bareImports(dir, entries)) {
      const pkg = packageOf(specifier);
      if (BUILTINS.has(specifier) || pkg === manifest.name || installed.has(pkg) || pkg === 'vitest') continue;
      const why = optional.has(pkg) ? 'an optional peer dependency' : 'not a dependency';
      problems.push(`${manifest.name}: ${file} imports ${specifier}, ${why}`);
    }
  }
}
for (const problem of problems) console.log(`check-declarations: FAIL ${problem}`);
console.log(`check-declarations: ${problems.length === 0 ? 'every published declaration imports only what its package installs' : `${problems.length} problem(s)`}`);
process.exit(problems.length === 0 ? 0 : 1);
