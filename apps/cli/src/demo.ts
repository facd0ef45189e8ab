import { join, resolve } from 'node:path';
import { prepareSampleCorpus } from '@ragbridge/sample-corpus';
import { createPipeline } from '@ragbridge/pipeline';
import { documentLabels, formatAnswer } from './commands.js';
import { createProgressReporter } from './progress.js';

/** The question the demo asks when none is given. */
export const DEMO_QUESTION = 'Why do the adapters not retry or fall back on their own?';

/**
 * The main job on the embedded default: ingests the project's own documentation plus a PDF
 * generated from docs/architecture.md (so the PDF path runs), then answers a question with
 * citations, offline (BM25 retrieval and an extractive answer). No account, no network.
 */
export async function demoCommand(options: { question?: string; workdir?: string; out?: NodeJS.WritableStream } = {}): Promise<number> {
  const out = options.out ?? process.stdout;
  const workdir = resolve(options.workdir ?? '.ragbridge');
  const files = await prepareSampleCorpus(join(workdir, 'sample'));

  const storePath = join(workdir, 'demo.db');
  const pipeline = createPipeline({ store: storePath, rebuildOnSchemaChange: true });
  try {
    out.write(`ragbridge demo: offline profile (BM25 retrieval, extractive answers), store ${storePath}\n`);
    const report = await pipeline.ingest(files, { onProgress: createProgressReporter(), workers: 1 });
    out.write(
      `Corpus: ${report.added.length + report.updated.length} ingested, ${report.unchanged.length} unchanged, ${report.failed.length} failed; ${report.chunks} new chunks.\n\n`,
    );
    const question = options.question ?? DEMO_QUESTION;
    out.write(`Q: ${question}\n\n`);
    const result = await pipeline.ask(question);
    out.write(`${formatAnswer(result, undefined, documentLabels(await pipeline.store.listDocuments()))}\n\n`);
    out.write('Next: `npx ragbridge ingest <your folder>` then `npx ragbridge ask "<question>"`.\n');
    return result.answer.refused ? 1 : 0;
  } finally {
    await pipeline.close();
  }
}
