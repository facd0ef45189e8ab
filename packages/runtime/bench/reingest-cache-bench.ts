/**
 * Embedding-cache hits when re-ingesting after a restart with one edited document, in every
 * built-in profile as shipped (its store, ledger and embedding cache in a fresh data folder), on
 * the repository's own documentation (docs/*.md, each package's README, and a PDF generated from
 * docs/architecture.md).
 * The edit changes one sentence in the middle of the largest document. Local profiles embed with
 * the tiny Transformers.js test model (their own model is not on this machine); hf-spaces with the
 * fake Hugging Face service. "memory cache" is the same run with the cache kept in memory, as
 * before the profiles kept it on disk.
 *
 *   npm run bench -w @ragbridge/runtime
 */
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PROFILE_NAMES } from '@ragbridge/config-profiles';
import { markdownToPdfPages, writeSimplePdf } from '@ragbridge/testkit';
import { reingestAfterEdit, type ReingestOutcome } from '../src/__fixtures__/reingest.js';

const root = resolve(import.meta.dirname, '..', '..', '..');
const docsDir = join(root, 'docs');
const pdfDir = await mkdtemp(join(tmpdir(), 'rb-reingest-bench-'));
const pdf = join(pdfDir, 'ragbridge-architecture.pdf');
await writeFile(pdf, writeSimplePdf({ title: 'ragbridge architecture', pages: markdownToPdfPages(await readFile(join(docsDir, 'architecture.md'), 'utf8')) }));
const markdown = (await readdir(docsDir)).filter((n) => n.endsWith('.md')).sort().map((n) => join(docsDir, n));
// Each package's README under a name of its own (they all are README.md).
for (const pkg of (await readdir(join(root, 'packages'))).sort()) {
  const readme = join(root, 'packages', pkg, 'README.md');
  if (!existsSync(readme)) continue;
  await copyFile(readme, join(pdfDir, `${pkg}.md`));
  markdown.push(join(pdfDir, `${pkg}.md`));
}
const sizes = await Promise.all(markdown.map(async (f) => ({ f, size: (await readFile(f, 'utf8')).length })));
const largest = sizes.reduce((a, b) => (b.size > a.size ? b : a)).f;
const largestName = largest.split(/[\\/]/).pop() as string;

/** Appends a clause to the sentence that ends the middle paragraph line of the document. */
function editOneSentence(text: string): string {
  const lines = text.split('\n');
  const prose = lines.map((line, i) => ({ line, i })).filter(({ line }) => /^[A-Za-z].{60,}[.]$/.test(line));
  const middle = prose[Math.floor(prose.length / 2)];
  if (!middle) throw new Error(`no prose line to edit in ${largestName}`);
  lines[middle.i] = `${middle.line.slice(0, -1)}, as edited for this benchmark.`;
  return lines.join('\n');
}

const files = [...markdown, pdf];
const row = (o: ReingestOutcome, cache: string): string =>
  `${o.profile.padEnd(10)} ${cache.padEnd(13)} ${o.embedder.padEnd(34)} ${String(o.firstChunks).padStart(6)} ${String(o.reingest.hits).padStart(5)} ${String(o.reingest.misses).padStart(7)} ${o.reingest.hitRate === null ? '    -' : `${(o.reingest.hitRate * 100).toFixed(1)}%`.padStart(7)}`;

console.log(`corpus: ${markdown.length} Markdown documents (docs/*.md, packages/*/README.md) and ${pdf.split(/[\\/]/).pop()}; edited: ${largestName} (one sentence)`);
console.log(`${'profile'.padEnd(10)} ${'cache'.padEnd(13)} ${'embedder'.padEnd(34)} ${'chunks'.padStart(6)} ${'hits'.padStart(5)} ${'misses'.padStart(7)} ${'hit rate'.padStart(8)}`);
try {
  for (const profile of PROFILE_NAMES) {
    console.log(row(await reingestAfterEdit(profile, { files, edit: { file: largestName, change: editOneSentence } }), 'profile file'));
  }
  console.log(row(await reingestAfterEdit('offline', { files, edit: { file: largestName, change: editOneSentence }, memoryCache: true }), 'memory cache'));
} finally {
  await rm(pdfDir, { recursive: true, force: true });
}
