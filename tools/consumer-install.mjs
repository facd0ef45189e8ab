#!/usr/bin/env node
// Installs the published packages the way npm users do: `npm pack` of every package that is not
// private, then, in a fresh empty folder per case, `npm install` of the tarballs (the package and
// the @ragbridge packages it depends on; everything else from the registry) and an import of the
// package's entry point. Prints each case's install size and package count.
// Then, in each package's folder (while the next package installs), it runs the README's main
// example (see tools/readme-example.mjs) as a user would: the packages the README's Install
// section names are added from their tarballs (after the size was measured), the example is
// written to example.ts (or example.sh) and run with Node and this workspace's tsx, imports
// resolving from the consumer's node_modules only. Examples reach the fake Hugging Face, TEI and
// Ollama services of @ragbridge/testkit (a process of their own) through the variables a user
// would set (EXAMPLE_ENV below); ./docs holds a small PDF to ingest. It fails when
//   - an install, import or README example fails, or an example's output lacks its `expect` text,
//   - a README has not exactly one example block, names an unknown package to install, or links
//     a file that is not in its tarball (link the repository instead),
//   - a tarball, packed for real (prepack scripts run), lacks LICENSE or ships tests or fixtures
//     (the manifests' ranges and files are checked by tools/workspace-checks/src/package-shape.test.ts),
//   - runtime + adapter-hf (or + adapter-ollama) brings ONNX Runtime or weighs over 150 MB.
// Needs `npm run build` first. ONNXRUNTIME_NODE_INSTALL=skip is set for the installs.
//   node tools/consumer-install.mjs [--keep] [--only <package>,<package>] [--reuse-native]
// --reuse-native (CI): install scripts are skipped and better-sqlite3's compiled binary is copied
// from this workspace (same Node, same version) instead of compiled again in every folder, ~150 s
// each where no prebuilt binary can be downloaded. Without it each install builds its own.
import { execFile, execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeSimplePdf } from '@ragbridge/sample-corpus';
import { readReadme } from './readme-example.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { keep: { type: 'boolean' }, only: { type: 'string' }, 'reuse-native': { type: 'boolean' } },
});
const LEAN_LIMIT_MB = 150;
const EXAMPLE_TIMEOUT_MS = 120_000;
const REPOSITORY = 'https://github.com/ragbridge/ragbridge/blob/main';
/** tsx from this workspace: examples are TypeScript, consumers install no tsx. */
const TSX = import.meta.resolve('tsx');

const say = (line) => console.log(`consumer-install: ${line}`);
const failures = [];
const fail = (line) => {
  failures.push(line);
  console.log(`consumer-install: FAIL ${line}`);
};
const tail = (text, lines = 8) => String(text).trim().split('\n').slice(-lines).join('\n    ');

const manifests = ['packages', 'apps']
  .flatMap((group) => readdirSync(join(ROOT, group)).map((d) => join(ROOT, group, d)))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }));
const published = manifests.filter((m) => !m.manifest.private);
const byName = new Map(published.map((m) => [m.manifest.name, m]));

const work = mkdtempSync(join(tmpdir(), 'rb-consumer-'));
// Node looks for packages in every node_modules above a folder: inside the workspace, consumers
// would import the workspace's packages instead of their own.
if (!relative(ROOT, work).startsWith('..'))
  throw new Error(`${work} is inside ${ROOT}: set TMPDIR to a folder outside it`);
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
const env = {
  ...process.env,
  ONNXRUNTIME_NODE_INSTALL: 'skip',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
  npm_config_update_notifier: 'false',
};

// 1. Pack, and check what each tarball and README holds.
const tarballOf = new Map();
const readmeOf = new Map();
for (const { dir, manifest } of published) {
  const [pack] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', tarballs], {
      cwd: dir,
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  tarballOf.set(manifest.name, join(tarballs, pack.filename));
  const paths = pack.files.map((f) => f.path);
  if (!paths.includes('LICENSE')) fail(`${manifest.name}: no LICENSE in the tarball`);
  const shipped = paths.filter((p) => /(^|\/)__fixtures__\/|\.test\.[cm]?[jt]sx?$|\.test\.d\.ts$/.test(p));
  if (shipped.length > 0) fail(`${manifest.name}: ships tests or fixtures: ${shipped.slice(0, 5).join(', ')}`);
  checkReadme(manifest.name, dir, paths);
  say(`packed ${manifest.name} (${pack.files.length} files, ${(pack.size / 1024).toFixed(0)} kB)`);
}

/** Records the README's example and install list; its links must stay inside the tarball. */
function checkReadme(name, dir, paths) {
  try {
    const readme = readReadme(join(dir, 'README.md'), paths);
    for (const link of readme.badLinks) {
      const target = `${REPOSITORY}/${join(dir.slice(ROOT.length + 1), link)}`;
      fail(`${name}: README links ${link}, which is not in the tarball (link ${target} instead)`);
    }
    for (const extra of readme.installs) {
      if (!byName.has(extra))
        fail(`${name}: README installs ${extra}, which is not a published package of this repository`);
    }
    readmeOf.set(name, { ...readme, installs: readme.installs.filter((n) => byName.has(n)) });
  } catch (error) {
    fail(`${name}: README: ${error.message}`);
  }
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
  if (version(source) !== version(target)) {
    throw new Error(
      `better-sqlite3 ${version(target)} installed, the workspace has ${version(source)}: run without --reuse-native`,
    );
  }
  const binary = join('build', 'Release', 'better_sqlite3.node');
  cpSync(join(source, binary), join(target, binary));
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

/** Runs a command without blocking this process; resolves with its exit code and output, never rejects. */
function run(command, args, options = {}) {
  return new Promise((done) => {
    execFile(command, args, { env, maxBuffer: 64 * 1024 * 1024, ...options }, (error, stdout, stderr) => {
      done({ code: error ? error.code ?? 1 : 0, killed: Boolean(error?.killed), stdout, stderr });
    });
  });
}

/** `npm install` of `names` (with their @ragbridge closure) from the tarballs into `dir`; throws on failure. */
async function npmInstall(dir, names) {
  const flags = values['reuse-native'] ? ['--ignore-scripts'] : [];
  const specs = closure(names).map((n) => tarballOf.get(n));
  const result = await run('npm', ['install', '--no-audit', '--no-fund', ...flags, ...specs], { cwd: dir });
  if (result.code !== 0) throw new Error(tail(result.stderr || result.stdout, 5));
  if (values['reuse-native']) reuseNative(join(dir, 'node_modules'));
}

/**
 * The optional peer dependencies of packages, as npm install arguments: others' from the registry
 * (`vitest@^4`), ours from their tarballs with the @ragbridge packages they depend on
 * (`@ragbridge/postgres-connection`, which brings `pg`), leaving out what `installed` holds.
 */
function optionalPeerSpecs(names, installed) {
  const external = new Set();
  const ours = new Set();
  for (const name of names) {
    const manifest = byName.get(name)?.manifest ?? {};
    for (const [peer, meta] of Object.entries(manifest.peerDependenciesMeta ?? {})) {
      if (!meta?.optional || !manifest.peerDependencies?.[peer]) continue;
      if (peer.startsWith('@ragbridge/')) ours.add(peer);
      else external.add(`${peer}@${manifest.peerDependencies[peer]}`);
    }
  }
  const tarballs = closure([...ours])
    .filter((n) => !installed.includes(n))
    .map((n) => tarballOf.get(n));
  return [...external, ...tarballs];
}

/** Installs `names` (with their @ragbridge closure) in a fresh folder and imports each of `imports`. */
async function install(label, names, imports = names) {
  const dir = join(work, label.replace(/[^a-z0-9]+/gi, '-'));
  mkdirSync(dir);
  const consumer = { name: 'consumer', version: '1.0.0', private: true, type: 'module' };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(consumer, null, 2));
  const t0 = Date.now();
  try {
    await npmInstall(dir, names);
  } catch (error) {
    fail(`${label}: npm install failed: ${error.message}`);
    return undefined;
  }
  const seconds = ((Date.now() - t0) / 1000).toFixed(0);
  // Every entry point of the package (`.` and subpaths such as `@ragbridge/core-interfaces/testing`).
  const entryPoints = imports.flatMap((name) => {
    const exports = byName.get(name)?.manifest.exports;
    const subpaths = exports && typeof exports === 'object' ? Object.keys(exports).filter((k) => k.startsWith('./') && k !== './package.json') : [];
    return [name, ...subpaths.map((k) => `${name}/${k.slice(2)}`)];
  });
  const importAll = async (specs) => {
    for (const name of specs) {
      const spec = JSON.stringify(name);
      const code = `const m = await import(${spec}); if (Object.keys(m).length === 0) throw new Error('no exports');`;
      const result = await run(process.execPath, ['--input-type=module', '-e', code], { cwd: dir });
      if (result.code !== 0)
        fail(`${label}: import("${name}") failed: ${result.stderr.trim().split('\n').slice(0, 3).join(' | ')}`);
    }
  };
  // Main entry points first, as installed; subpaths that need an optional peer (e.g.
  // `@ragbridge/postgres-connection` for `@ragbridge/cost-monitor/postgres`, `vitest` for
  // `@ragbridge/core-interfaces/testing`) after the peers are added, as their README says.
  const subpaths = entryPoints.filter((spec) => !imports.includes(spec));
  const peers = subpaths.length > 0 ? optionalPeerSpecs(imports, closure(names)) : [];
  await importAll(peers.length ? imports : entryPoints);
  const modules = join(dir, 'node_modules');
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
  const packages = Object.keys(lock.packages ?? {}).filter((p) => p.startsWith('node_modules/')).length;
  const mb = sizeOf(modules) / 1024 / 1024;
  const onnx = ['onnxruntime-node', 'onnxruntime-web', 'sharp'].filter((n) => existsSync(join(modules, n)));
  const has = onnx.length ? ` (has ${onnx.join(', ')})` : '';
  say(`${label}: ${mb.toFixed(0)} MB, ${packages} packages, installed in ${seconds} s${has}`);
  if (peers.length) {
    const result = await run('npm', ['install', '--no-audit', '--no-fund', '--no-save', ...peers], { cwd: dir });
    const shown = peers.map((spec) => (spec.startsWith(tarballs) ? relative(tarballs, spec) : spec)).join(' ');
    if (result.code !== 0) fail(`${label}: npm install ${shown} failed: ${tail(result.stderr || result.stdout, 5)}`);
    else {
      const before = failures.length;
      await importAll(subpaths);
      if (failures.length === before) say(`${label}: imported ${subpaths.join(', ')} after adding ${shown}`);
    }
  }
  return { dir, mb, packages, onnx };
}

/** Runs a command in a consumer folder; a failure is recorded with its output's tail. */
async function check(label, dir, command, args, expectOut) {
  const shown = `\`${[command, ...args].join(' ')}\``;
  const { code, stdout, stderr } = await run(command, args, { cwd: dir });
  if (code !== 0) fail(`${label}: ${shown} failed: ${tail(stderr || stdout, 4)}`);
  else if (expectOut && !expectOut.test(stdout))
    fail(`${label}: ${shown} printed ${JSON.stringify(stdout.slice(0, 300))}`);
  else say(`${label}: ok ${shown}${stdout.trim() && stdout.length < 80 ? ` → ${stdout.trim()}` : ''}`);
}

/** What a package must do once installed alone, beyond being importable and running its README example. */
const SMOKE = {
  '@ragbridge/cli': (label, dir) =>
    check(label, dir, 'npx', ['--no-install', 'ragbridge', '--version'], /^\d+\.\d+\.\d+\s*$/),
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

// 2. What README examples find: the fake services (in a process of their own), a document to
// ingest, and the generated Transformers.js models.
const fakes = await startFakes();
const fixtures = join(work, 'fixtures');
writeFixtures(fixtures);
const models = join(fixtures, 'models', 'ragbridge-test');
const EXAMPLE_ENV = {
  ...Object.fromEntries(
    Object.entries(env).filter(
      // DATABASE_URL would move every example's storage to PostgreSQL: only examples that name it get it.
      ([key]) => !/^(HF_|HUGGING_FACE|OLLAMA_|TEI_|RAGBRIDGE_|SPACE_|NODE_OPTIONS|NODE_PATH|DATABASE_URL$)/.test(key),
    ),
  ),
  // A dedicated chat endpoint (the fake's hf-inference route of one model), TEI servers, Ollama.
  HF_ENDPOINT_URL: `${fakes.urls.hf}/hf-inference/models/Qwen/Qwen2.5-7B-Instruct`,
  TEI_URL: fakes.urls.teiEmbed,
  TEI_RERANK_URL: fakes.urls.teiRerank,
  OLLAMA_HOST: fakes.urls.ollama,
  // Model folders for the Transformers.js parts; nothing is downloaded (nor by npx).
  EMBEDDING_MODEL: join(models, 'tiny-bert-embedder'),
  RERANKER_MODEL: join(models, 'tiny-bert-cross-encoder'),
  CHAT_MODEL: join(models, 'tiny-llama-chat'),
  HF_HUB_OFFLINE: '1',
  npm_config_offline: 'true',
};

/** Starts the fake Hugging Face, TEI and Ollama services of @ragbridge/testkit on free ports. */
function startFakes() {
  const cli = join(ROOT, 'packages', 'testkit', 'dist', 'cli.js');
  const ports = ['--hf-port', '0', '--tei-embed-port', '0', '--tei-rerank-port', '0', '--ollama-port', '0'];
  const child = spawn(process.execPath, [cli, ...ports, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  process.once('exit', () => child.kill());
  return new Promise((done, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) done({ urls: JSON.parse(out.split('\n')[0]), stop: () => child.kill() });
    });
    child.once('exit', (code) => reject(new Error(`the fake services exited (${code}) before listening`)));
  });
}

/** ./docs/rv32i.pdf (three pages the examples ask about) and the generated test models. */
function writeFixtures(dir) {
  mkdirSync(join(dir, 'docs'), { recursive: true });
  const pdf = writeSimplePdf({
    title: 'RV32I notes',
    pages: [
      {
        lines: [
          { text: 'Registers', size: 16 },
          'RV32I has 32 general-purpose registers, x0 to x31.',
          'Register x0 is hardwired to the constant zero.',
        ],
      },
      { lines: [{ text: 'Encoding', size: 16 }, 'The funct3 field selects the operation within the major opcode.'] },
      { lines: [{ text: 'Traps', size: 16 }, 'The mtvec register holds the trap vector base address.'] },
    ],
  });
  writeFileSync(join(dir, 'docs', 'rv32i.pdf'), pdf);
  cpSync(join(ROOT, 'packages', 'adapter-transformersjs', 'test-models'), join(dir, 'models'), { recursive: true });
  // The tiny models are fp32 graphs; the adapters' default dtypes (q8, and q4 for chat) load
  // onnx/model_quantized.onnx and onnx/model_q4.onnx, so the fp32 graph stands in where one is missing.
  for (const model of readdirSync(join(dir, 'models', 'ragbridge-test'))) {
    const onnx = join(dir, 'models', 'ragbridge-test', model, 'onnx');
    for (const file of ['model_quantized.onnx', 'model_q4.onnx']) {
      if (!existsSync(join(onnx, file))) copyFileSync(join(onnx, 'model.onnx'), join(onnx, file));
    }
  }
}

/** Adds the packages the README's Install section names, then runs its example in the folder. */
async function runExample(label, name, dir) {
  const readme = readmeOf.get(name);
  if (!readme) return;
  const companions = readme.installs.filter((n) => !closure([name]).includes(n));
  if (companions.length > 0) {
    const t0 = Date.now();
    try {
      await npmInstall(dir, [name, ...companions]);
      say(
        `${label}: added ${companions.join(', ')} for the README example in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
      );
    } catch (error) {
      fail(`${label}: npm install ${companions.join(' ')} failed: ${error.message}`);
      return;
    }
  }
  const { lang, code, expect, line } = readme.example;
  const file = `example.${lang}`;
  writeFileSync(join(dir, file), code);
  cpSync(join(fixtures, 'docs'), join(dir, 'docs'), { recursive: true });
  const [command, args] = lang === 'sh' ? ['bash', ['-e', file]] : [process.execPath, ['--import', TSX, file]];
  const t0 = Date.now();
  const exampleEnv = code.includes('DATABASE_URL') && env.DATABASE_URL ? { ...EXAMPLE_ENV, DATABASE_URL: env.DATABASE_URL } : EXAMPLE_ENV;
  const result = await run(command, args, { cwd: dir, env: exampleEnv, timeout: EXAMPLE_TIMEOUT_MS });
  const ms = Date.now() - t0;
  const what = `README example (line ${line})`;
  if (result.code !== 0) {
    const why = result.killed ? `timed out after ${ms} ms` : `exit ${result.code} after ${ms} ms`;
    fail(`${label}: ${what} failed (${why}):\n    ${tail(result.stderr || result.stdout)}`);
  } else if (expect !== undefined && !result.stdout.includes(expect)) {
    fail(`${label}: ${what} printed no "${expect}":\n    ${tail(result.stdout)}`);
  } else {
    say(`${label}: ${what} ran (${ms} ms)${expect !== undefined ? `, printed "${expect}"` : ''}`);
  }
}

/** What follows a package's install: its smoke check and README example (a lane beside the installs). */
async function afterInstall(label, name, dir) {
  try {
    await SMOKE[name]?.(label, dir);
    await runExample(label, name, dir);
  } catch (error) {
    fail(`${label}: ${error.stack ?? error}`);
  }
}

try {
  // 3. Every package alone; its README example runs in the same folder while the next installs.
  const only = values.only ? new Set(values.only.split(',')) : undefined;
  let examples = Promise.resolve();
  for (const { manifest } of published) {
    if (only && !only.has(manifest.name)) continue;
    const label = `${manifest.name} alone`;
    const result = await install(label, [manifest.name]);
    if (result) examples = examples.then(() => afterInstall(label, manifest.name, result.dir));
  }

  // 4. The lean combinations the runtime's optional peers make possible.
  for (const adapter of ['@ragbridge/adapter-hf', '@ragbridge/adapter-ollama']) {
    if (only && !only.has(adapter) && !only.has('@ragbridge/runtime')) continue;
    const result = await install(`runtime + ${adapter.split('/')[1]}`, ['@ragbridge/runtime', adapter]);
    if (!result) continue;
    if (result.onnx.length > 0) fail(`runtime + ${adapter}: brings ${result.onnx.join(', ')}`);
    if (result.mb > LEAN_LIMIT_MB) fail(`runtime + ${adapter}: ${result.mb.toFixed(0)} MB, over ${LEAN_LIMIT_MB} MB`);
  }

  // For the README's table: the in-process path, which brings ONNX Runtime by design.
  if (!only || only.has('@ragbridge/adapter-transformersjs')) {
    await install('runtime + adapter-transformersjs', ['@ragbridge/runtime', '@ragbridge/adapter-transformersjs']);
  }
  await examples;
} finally {
  fakes.stop();
}

if (!values.keep) rmSync(work, { recursive: true, force: true });
else say(`kept ${work}`);
if (failures.length > 0) {
  say(`${failures.length} failure(s)`);
  process.exit(1);
}
say('passed');
