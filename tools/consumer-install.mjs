#!/usr/bin/env node
// Installs the published packages the way npm users do: `npm pack` of every package that is not
// private, then, in a fresh empty folder per case, `npm install` of the tarballs (the package and
// the @ragbridge packages it depends on; everything else from the registry) and an import of the
// package's entry point. Prints each case's install size and package count, and fails when
//   - an install or import fails,
//   - a tarball, packed for real (prepack scripts run), lacks LICENSE or ships tests or fixtures
//     (the manifests' ranges and files are checked by tools/workspace-checks/src/package-shape.test.ts),
//   - runtime + adapter-hf (or + adapter-ollama) brings ONNX Runtime or weighs over 150 MB.
// Needs `npm run build` first. ONNXRUNTIME_NODE_INSTALL=skip is set for the installs.
//   node tools/consumer-install.mjs [--keep] [--only <package>,<package>] [--reuse-native]
// --reuse-native (CI): install scripts are skipped and better-sqlite3's compiled binary is copied
// from this workspace (same Node, same version) instead of compiled again in every folder, ~150 s
// each where no prebuilt binary can be downloaded. Without it each install builds its own.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { keep: { type: 'boolean' }, only: { type: 'string' }, 'reuse-native': { type: 'boolean' } } });
const LEAN_LIMIT_MB = 150;

const say = (line) => console.log(`consumer-install: ${line}`);
const failures = [];
const fail = (line) => {
  failures.push(line);
  console.log(`consumer-install: FAIL ${line}`);
};

const manifests = ['packages', 'apps']
  .flatMap((group) => readdirSync(join(ROOT, group)).map((d) => join(ROOT, group, d)))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }));
const published = manifests.filter((m) => !m.manifest.private);
const byName = new Map(published.map((m) => [m.manifest.name, m]));

const work = mkdtempSync(join(tmpdir(), 'rb-consumer-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };

// 1. Pack, and check what each tarball holds.
const tarballOf = new Map();
for (const { dir, manifest } of published) {
  const [pack] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', tarballs], { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  tarballOf.set(manifest.name, join(tarballs, pack.filename));
  const paths = pack.files.map((f) => f.path);
  if (!paths.includes('LICENSE')) fail(`${manifest.name}: no LICENSE in the tarball`);
  const shipped = paths.filter((p) => /(^|\/)__fixtures__\/|\.test\.[cm]?[jt]sx?$|\.test\.d\.ts$/.test(p));
  if (shipped.length > 0) fail(`${manifest.name}: ships tests or fixtures: ${shipped.slice(0, 5).join(', ')}`);
  say(`packed ${manifest.name} (${pack.files.length} files, ${(pack.size / 1024).toFixed(0)} kB)`);
}

/** The package and the @ragbridge packages it needs (dependencies; peers only when asked for). */
function closure(names) {
  const out = new Set();
  const visit = (name) => {
    if (out.has(name)) return;
    const entry = byName.get(name);
    if (!entry) throw new Error(`${name} is not a published package of this repository`);
    out.add(name);
    for (const dep of Object.keys(entry.manifest.dependencies ?? {})) if (dep.startsWith('@ragbridge/')) visit(dep);
  };
  names.forEach(visit);
  return [...out];
}

/** Copies the workspace's compiled better-sqlite3 binary into a consumer's copy of the same version. */
function reuseNative(modules) {
  const target = join(modules, 'better-sqlite3');
  if (!existsSync(target)) return;
  const source = join(ROOT, 'node_modules', 'better-sqlite3');
  const version = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
  if (version(source) !== version(target)) throw new Error(`better-sqlite3 ${version(target)} installed, the workspace has ${version(source)}: run without --reuse-native`);
  cpSync(join(source, 'build', 'Release', 'better_sqlite3.node'), join(target, 'build', 'Release', 'better_sqlite3.node'));
}

function sizeOf(path) {
  let total = 0;
  const walk = (p) => {
    const s = statSync(p, { throwIfNoEntry: false });
    if (!s) return;
    if (s.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else total += s.size;
  };
  walk(path);
  return total;
}

/** Installs `names` (with their @ragbridge closure) in a fresh folder and imports each of `imports`. */
function install(label, names, imports = names) {
  const dir = join(work, label.replace(/[^a-z0-9]+/gi, '-'));
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2));
  const all = closure(names);
  const t0 = Date.now();
  try {
    const flags = values['reuse-native'] ? ['--ignore-scripts'] : [];
    execFileSync('npm', ['install', '--no-audit', '--no-fund', ...flags, ...all.map((n) => tarballOf.get(n))], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (values['reuse-native']) reuseNative(join(dir, 'node_modules'));
  } catch (error) {
    fail(`${label}: npm install failed: ${String(error.stderr ?? error.message).trim().split('\n').slice(-5).join(' | ')}`);
    return undefined;
  }
  const seconds = ((Date.now() - t0) / 1000).toFixed(0);
  for (const name of imports) {
    try {
      execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(name)}); if (Object.keys(m).length === 0) throw new Error('no exports');`], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      fail(`${label}: import("${name}") failed: ${String(error.stderr ?? error.message).trim().split('\n').slice(0, 3).join(' | ')}`);
    }
  }
  const modules = join(dir, 'node_modules');
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
  const packages = Object.keys(lock.packages ?? {}).filter((p) => p.startsWith('node_modules/')).length;
  const mb = sizeOf(modules) / 1024 / 1024;
  const onnx = ['onnxruntime-node', 'onnxruntime-web', 'sharp'].filter((n) => existsSync(join(modules, n)));
  say(`${label}: ${mb.toFixed(0)} MB, ${packages} packages, installed in ${seconds} s${onnx.length ? ` (has ${onnx.join(', ')})` : ''}`);
  return { dir, mb, packages, onnx };
}

/** Runs a command in a consumer folder; a failure is recorded with its output's tail. */
function check(label, dir, command, args, expectOut) {
  try {
    const out = execFileSync(command, args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (expectOut && !expectOut.test(out)) fail(`${label}: \`${[command, ...args].join(' ')}\` printed ${JSON.stringify(out.slice(0, 300))}`);
    else say(`${label}: ok \`${[command, ...args].join(' ')}\`${out.trim() && out.length < 80 ? ` → ${out.trim()}` : ''}`);
  } catch (error) {
    fail(`${label}: \`${[command, ...args].join(' ')}\` failed: ${String(error.stderr || error.stdout || error.message).trim().split('\n').slice(-4).join(' | ')}`);
  }
}

/** What a package must do once installed alone, beyond being importable. */
const SMOKE = {
  '@ragbridge/cli': (label, dir) => {
    check(label, dir, 'npx', ['--no-install', 'ragbridge', '--version'], /^\d+\.\d+\.\d+\s*$/);
    // The main job, from the tarball alone: the sample corpus shipped in @ragbridge/sample-corpus.
    check(label, dir, 'npx', ['--no-install', 'ragbridge', 'demo'], /\[1\]/);
  },
  '@ragbridge/sample-corpus': (label, dir) =>
    check(
      label,
      dir,
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const { prepareSampleCorpus } = await import('@ragbridge/sample-corpus'); const files = await prepareSampleCorpus('sample'); const { resolve } = await import('node:path'); if (!files.every((f) => resolve(f).startsWith(process.cwd()))) throw new Error('read outside the package: ' + files[0]); console.log(files.length + ' files');",
      ],
      /^\d+ files/,
    ),
};

// 2. Every package alone.
const only = values.only ? new Set(values.only.split(',')) : undefined;
for (const { manifest } of published) {
  if (only && !only.has(manifest.name)) continue;
  const label = `${manifest.name} alone`;
  const result = install(label, [manifest.name]);
  if (result && SMOKE[manifest.name]) SMOKE[manifest.name](label, result.dir);
}

// 3. The lean combinations the runtime's optional peers make possible.
for (const adapter of ['@ragbridge/adapter-hf', '@ragbridge/adapter-ollama']) {
  if (only && !only.has(adapter) && !only.has('@ragbridge/runtime')) continue;
  const result = install(`runtime + ${adapter.split('/')[1]}`, ['@ragbridge/runtime', adapter]);
  if (!result) continue;
  if (result.onnx.length > 0) fail(`runtime + ${adapter}: brings ${result.onnx.join(', ')}`);
  if (result.mb > LEAN_LIMIT_MB) fail(`runtime + ${adapter}: ${result.mb.toFixed(0)} MB, over ${LEAN_LIMIT_MB} MB`);
}

// For the README's table: the in-process path, which brings ONNX Runtime by design.
if (!only || only.has('@ragbridge/adapter-transformersjs')) install('runtime + adapter-transformersjs', ['@ragbridge/runtime', '@ragbridge/adapter-transformersjs']);

if (!values.keep) rmSync(work, { recursive: true, force: true });
else say(`kept ${work}`);
if (failures.length > 0) {
  say(`${failures.length} failure(s)`);
  process.exit(1);
}
say('passed');
