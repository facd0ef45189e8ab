import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { markdownToPdfPages, writeSimplePdf } from './pdf-writer.js';

/**
 * The sample corpus shipped in the repository: its own documentation (README, docs/*.md, each
 * package's README) plus a PDF generated from docs/architecture.md, so the PDF path runs. Used by
 * `npx ragbridge demo` and the demo app's first start. Returns the files to ingest.
 */
export async function prepareSampleCorpus(repositoryRoot: string, sampleDir: string): Promise<string[]> {
  await mkdir(sampleDir, { recursive: true });
  const pdfPath = join(sampleDir, 'ragbridge-architecture.pdf');
  const markdown = await readFile(join(repositoryRoot, 'docs', 'architecture.md'), 'utf8');
  await writeFile(pdfPath, writeSimplePdf({ title: 'ragbridge architecture', pages: markdownToPdfPages(markdown) }));
  const files = [join(repositoryRoot, 'README.md')];
  for (const name of (await readdir(join(repositoryRoot, 'docs'))).sort()) if (name.endsWith('.md')) files.push(join(repositoryRoot, 'docs', name));
  for (const pkg of (await readdir(join(repositoryRoot, 'packages'))).sort()) {
    const readme = join(repositoryRoot, 'packages', pkg, 'README.md');
    if (existsSync(readme)) files.push(readme);
  }
  return [...files, pdfPath];
}
