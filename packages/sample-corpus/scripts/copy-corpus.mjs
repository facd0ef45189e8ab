// Copies the sample corpus into this package before it is packed (npm's `prepack`): the
// repository's README.md, docs/*.md and every package's README.md, in the same layout, so the
// published package ingests the same documents as a checkout does. `--clean` (npm's `postpack`)
// removes the copy again.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(pkg, '..', '..');
const out = join(pkg, 'corpus');
if (process.argv.includes('--clean')) {
  // After packing: the copy is in the tarball; the checkout reads its own documents.
  rmSync(out, { recursive: true, force: true });
  process.exit(0);
}
if (!existsSync(join(root, 'docs', 'architecture.md'))) throw new Error(`no repository at ${root}: the corpus is copied from a checkout`);
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'docs'), { recursive: true });
cpSync(join(root, 'README.md'), join(out, 'README.md'));
for (const name of readdirSync(join(root, 'docs'))) if (name.endsWith('.md')) cpSync(join(root, 'docs', name), join(out, 'docs', name));
for (const name of readdirSync(join(root, 'packages'))) {
  const readme = join(root, 'packages', name, 'README.md');
  if (existsSync(readme)) {
    mkdirSync(join(out, 'packages', name), { recursive: true });
    cpSync(readme, join(out, 'packages', name, 'README.md'));
  }
}
console.error(`sample corpus copied to ${out}`);
