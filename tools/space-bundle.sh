#!/usr/bin/env bash
# Writes a folder ready to push to a Hugging Face Space (Docker SDK): the committed repository,
# the demo's Dockerfile and .dockerignore at the root (the Space builds with the bundle as its
# context) and the Space README (front matter: sdk docker, app_port 7860).
#   tools/space-bundle.sh [out-dir]      (default: dist/space)
#   cd dist/space && git init && git remote add space https://huggingface.co/spaces/<you>/<space> && git add -A && git commit -m deploy && git push space HEAD:main
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-dist/space}"
rm -rf "$out"
mkdir -p "$out"
git archive HEAD | tar -x -C "$out"
cp apps/demo/Dockerfile "$out/Dockerfile"
cp .dockerignore "$out/.dockerignore"
mv "$out/README.md" "$out/PROJECT-README.md"
cp apps/demo/space/README.md "$out/README.md"
echo "Space bundle written to $out (Dockerfile, .dockerignore and README.md with Space front matter at its root)."
