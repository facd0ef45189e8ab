#!/usr/bin/env bash
# Builds the demo the way the Space image does (apps/demo/Dockerfile runs exactly this script, and
# CI runs it on a fresh clone), so a broken build fails here instead of producing an image whose
# CMD cannot start:
#   1. npm ci (no CUDA download for onnxruntime-node),
#   2. nx builds @ragbridge/demo and, through targetDefaults build.dependsOn ^build, every
#      workspace package it depends on,
#   3. checks that apps/demo/dist/main.js and each runtime workspace dependency's exported files exist,
#   4. npm prune --omit=dev, then imports the built app's module graph (without starting it), so a
#      runtime import that only a devDependency satisfied fails the build.
#
#   tools/space-build.sh               build, check, prune (the image)
#   tools/space-build.sh --no-prune    build and check only; also SPACE_BUILD_PRUNE=0
# Run it in a clone you do not mind pruning: without --no-prune, dev tools (nx, tsc, eslint) are gone
# afterwards (`npm ci` brings them back).
set -euo pipefail
cd "$(dirname "$0")/.."

prune="${SPACE_BUILD_PRUNE:-1}"
for arg in "$@"; do
  case "$arg" in
    --no-prune) prune=0 ;;
    --prune) prune=1 ;;
    *)
      echo "space-build: unknown argument '$arg' (expected --no-prune or --prune)" >&2
      exit 2
      ;;
  esac
done

# onnxruntime-node would download CUDA libraries at install time; the Space runs on CPU.
export ONNXRUNTIME_NODE_INSTALL="${ONNXRUNTIME_NODE_INSTALL:-skip}"
export NX_DAEMON="${NX_DAEMON:-false}"
export NX_NO_CLOUD="${NX_NO_CLOUD:-true}"
export NX_TUI="${NX_TUI:-false}"
# Compile for real: outputs restored from this machine's Nx cache (~/.nx) would not prove that a
# clean checkout builds, and the Docker build has no cache anyway.
export NX_SKIP_NX_CACHE="${NX_SKIP_NX_CACHE:-true}"

current=""
step() {
  current="$*"
  echo "space-build: $*"
}
trap 'echo "space-build: FAILED (exit $?) at: $current. The image would not have a working app; see the output above." >&2' ERR
started=$SECONDS

step "npm ci"
npm ci --no-audit --no-fund

step "nx build @ragbridge/demo and its workspace dependencies"
npx nx run @ragbridge/demo:build --outputStyle=static

# The files the image needs, read from package.json (no second list to keep in sync): the app's
# entry point, and for @ragbridge/demo and every workspace package it depends on at run time
# (dependencies and optionalDependencies, transitively), each file its exports map points at.
step "checking build outputs"
node --input-type=module - <<'EOF'
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const workspaces = new Map();
for (const pattern of readJson('package.json').workspaces) {
  const parent = pattern.replace(/\/\*$/, '');
  for (const name of readdirSync(parent)) {
    const file = join(parent, name, 'package.json');
    if (existsSync(file)) workspaces.set(readJson(file).name, join(parent, name));
  }
}

// What Node loads for each export: the `import` (else `default`) condition, or a plain string.
const runtimeTarget = (target) => (typeof target === 'string' ? target : (target.import ?? target.default));

const missing = [];
const seen = new Set();
const queue = ['@ragbridge/demo'];
while (queue.length > 0) {
  const name = queue.shift();
  if (seen.has(name)) continue;
  seen.add(name);
  const dir = workspaces.get(name);
  const manifest = readJson(join(dir, 'package.json'));
  const files = Object.entries(manifest.exports ?? {}).filter(([subpath]) => subpath !== './package.json').map(([, target]) => runtimeTarget(target));
  if (name === '@ragbridge/demo') files.push('./dist/main.js');
  for (const file of files) if (typeof file !== 'string' || !existsSync(join(dir, file))) missing.push(`${name}: ${join(dir, String(file))}`);
  for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) if (workspaces.has(dep)) queue.push(dep);
}
if (missing.length > 0) {
  console.error(`space-build: the build did not produce ${missing.length} file(s) the image needs:\n  ${missing.join('\n  ')}`);
  console.error('space-build: the image could not start (CMD runs apps/demo/dist/main.js); fix the build errors above.');
  process.exit(1);
}
console.log(`space-build: outputs present for ${[...seen].join(', ')}`);
EOF

if [ "$prune" = 1 ]; then
  step "npm prune --omit=dev"
  npm prune --omit=dev --no-audit --no-fund
  # server.js holds the whole runtime graph but starts nothing (main.js does): importing it proves
  # every package the app loads is still installed after pruning.
  step "importing the built app after pruning"
  if ! node --input-type=module -e "await import('./apps/demo/dist/server.js')"; then
    echo "space-build: the built app cannot load its modules after 'npm prune --omit=dev' (see the error above):" >&2
    echo "space-build: a package it imports at run time is a devDependency; it must be in 'dependencies'." >&2
    exit 1
  fi
else
  step "not pruning (--no-prune / SPACE_BUILD_PRUNE=0)"
fi

step "done in $((SECONDS - started)) s"
