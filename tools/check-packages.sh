#!/usr/bin/env bash
# Checks every publishable package (not "private") the way npm consumers will see it:
# publint (package.json exports/files) and Are The Types Wrong (ESM types resolution).
# Needs `npm run build` first.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for dir in packages/*/; do
  dir=${dir%/}
  if node -e "process.exit(require('./$dir/package.json').private ? 0 : 1)"; then continue; fi
  echo "== $dir"
  npx --no-install publint run "$dir" --strict --level warning || status=1
  npx --no-install attw --pack "$dir" --profile esm-only --format table-flipped --no-emoji || status=1
done
exit $status
