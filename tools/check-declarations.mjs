#!/usr/bin/env node
// The published type declarations must compile with what installing the package brings. Walks the
// .d.ts files reachable from each published package's `exports` types, and fails when one imports a
// package that is not among its dependencies or required peers: an optional peer (the runtime's
// adapters) or an undeclared package makes `tsc` fail for a user without `skipLibCheck` who did not
// install it. One exception: an entry point whose JavaScript imports an optional peer statically
// (`@ragbridge/caches/postgres` imports `@ragbridge/postgres-connection`) cannot be used without
// that peer, so its declarations may name it too: `tsc` reads them only where that entry is imported.
// Needs `npm run build` first.
//   node tools/check-declarations.mjs
import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
const packageOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** The file an exports target names under `condition` (`types`, `import`), looking into nested conditions. */
function conditionFile(target, condition) {
  if (typeof target === 'string') return condition === 'types' ? (target.endsWith('.d.ts') ? target : undefined) : target;
  if (!target || typeof target !== 'object') return undefined;
  if (typeof target[condition] === 'string') return target[condition];
  for (const value of Object.values(target)) {
    const file = conditionFile(value, condition);
    if (file !== undefined) return file;
  }
  return undefined;
}

/** The entry points of an exports map: `{ types, js }` files of each (`.`, `./postgres`, …). */
function entryPoints(exports) {
  const subpaths = exports && typeof exports === 'object' && Object.keys(exports).some((k) => k.startsWith('.')) ? exports : { '.': exports };
  return Object.values(subpaths)
    .map((target) => ({ types: conditionFile(target, 'types'), js: conditionFile(target, 'import') }))
    .filter((entry) => entry.types !== undefined);
}

/**
 * Bare specifiers imported by the declarations (or, with `js`, the JavaScript's static imports)
 * reachable from `entries`, with the file importing each.
 */
function bareImports(dir, entries, { js = false } = {}) {
  const seen = new Set();
  const found = [];
  const stack = entries.map((e) => normalize(join(dir, e)));
  const pattern = js ? /(?:from\s+|import\s+)['"]([^'"]+)['"]/g : /(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g;
  while (stack.length > 0) {
    const file = stack.pop();
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    // Comments may show imports in examples; only code counts.
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1];
      if (specifier.startsWith('.')) stack.push(normalize(join(dirname(file), js ? specifier : specifier.replace(/\.js$/, '.d.ts'))));
      else found.push({ specifier, file: relative(dir, file) });
    }
  }
  return found;
}

const problems = new Set();
for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(join(ROOT, group))) {
    const dir = join(ROOT, group, name);
    const manifestPath = join(dir, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (manifest.private) continue;
    const optional = new Set(Object.entries(manifest.peerDependenciesMeta ?? {}).filter(([, meta]) => meta?.optional).map(([peer]) => peer));
    const installed = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {}).filter((p) => !optional.has(p))]);
    for (const entry of entryPoints(manifest.exports)) {
      const loads = new Set(entry.js === undefined ? [] : bareImports(dir, [entry.js], { js: true }).map((i) => packageOf(i.specifier)));
      for (const { specifier, file } of bareImports(dir, [entry.types])) {
        const pkg = packageOf(specifier);
        if (BUILTINS.has(specifier) || pkg === manifest.name || installed.has(pkg) || pkg === 'vitest') continue;
        if (optional.has(pkg) && loads.has(pkg)) continue;
        const why = optional.has(pkg) ? 'an optional peer dependency its entry point does not need' : 'not a dependency';
        problems.add(`${manifest.name}: ${file} imports ${specifier}, ${why}`);
      }
    }
  }
}
for (const problem of problems) console.log(`check-declarations: FAIL ${problem}`);
console.log(`check-declarations: ${problems.size === 0 ? 'every published declaration imports only what its package installs' : `${problems.size} problem(s)`}`);
process.exit(problems.size === 0 ? 0 : 1);
