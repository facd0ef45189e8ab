import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownToPdfPages, writeSimplePdf } from './pdf-writer.js';

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Where the sample documents are: the `corpus` folder the published package ships, or, in a
 * checkout of the repository, the repository itself (README.md, docs/, packages/*\/README.md).
 */
export function sampleCorpusSource(): string {
  // A checkout first (this package at packages/sample-corpus of it): its documents are the current
  // ones, while a `corpus` folder there is only what the last `npm pack` copied.
  const repository = resolve(PACKAGE_DIR, '..', '..');
  if (resolve(repository, 'packages', 'sample-corpus') === PACKAGE_DIR && existsSync(join(repository, 'docs', 'architecture.md'))) return repository;
  const shipped = join(PACKAGE_DIR, 'corpus');
  if (existsSync(join(shipped, 'docs', 'architecture.md'))) return shipped;
  throw new Error(`the sample corpus is missing: neither ${shipped} nor a repository checkout at ${repository} has docs/architecture.md`);
}

/**
 * The sample corpus: the project's own documentation (README, docs/*.md, each package's README)
 * plus a PDF generated from docs/architecture.md into `outDir`, so the PDF path runs. What
 * `ragbridge demo` and the demo app's first start ingest. Returns the files to ingest.
 * @param source the folder holding README.md, docs/ and packages/ (default {@link sampleCorpusSource})
 */
export async function prepareSampleCorpus(outDir: string, source: string = sampleCorpusSource()): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const pdfPath = join(outDir, 'ragbridge-architecture.pdf');
  const markdown = await readFile(join(source, 'docs', 'architecture.md'), 'utf8');
  await writeFile(pdfPath, writeSimplePdf({ title: 'ragbridge architecture', pages: markdownToPdfPages(markdown) }));
  const files = [join(source, 'README.md')];
  for (const name of (await readdir(join(source, 'docs'))).sort()) if (name.endsWith('.md')) files.push(join(source, 'docs', name));
  if (existsSync(join(source, 'packages'))) {
    for (const pkg of (await readdir(join(source, 'packages'))).sort()) {
      const readme = join(source, 'packages', pkg, 'README.md');
      if (existsSync(readme)) files.push(readme);
    }
  }
  return [...files, pdfPath];
}
