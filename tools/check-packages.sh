#!/usr/bin/env bash
# Checks every publishable package (not "private") the way npm consumers will see it:
# publint (package.json exports/files), Are The Types Wrong (ESM types resolution), and that the
# declarations import only what the package installs (tools/check-declarations.mjs).
# Needs `npm run build` first.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for dir in packages/*/ apps/*/; do
  dir=${dir%/}
  if node -e "process.exit(require('./$dir/package.json').private ? 0 : 1)"; then continue; fi
  echo "== $dir"
  npx --no-install publint run "$dir" --strict --level warning || status=1
  npx --no-install attw --pack "$dir" --profile esm-only --format table-flipped --no-emoji || status=1
done
node tools/check-declarations.mjs || status=1
exit $status
