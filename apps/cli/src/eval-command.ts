import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Pipeline, PipelineAnswer } from '@ragbridge/pipeline';
import { defaultStorePath, openPipeline, UsageError } from './commands.js';
import { firstRelevantRank, retrievalMetrics, type EvalItem, type RetrievedPage } from './metrics.js';
import { createProgressReporter } from './progress.js';

/** Distinct (document, page) pairs of the hits, best first, at most `limit`. */
export async function retrievedPages(pipeline: Pipeline, result: PipelineAnswer, limit = 10): Promise<RetrievedPage[]> {
  const names = new Map((await pipeline.store.listDocuments()).map((d) => [d.id, d.name]));
  const pages: RetrievedPage[] = [];
  const seen = new Set<string>();
  for (const hit of result.retrieval.hits) {
    const doc = names.get(hit.chunk.docId) ?? hit.chunk.docId;
    const key = `${doc}#${hit.chunk.page}`;
    if (seen.has(key)) continue;
    seen.add(key);
    pages.push({ doc, page: hit.chunk.page, score: Number(hit.score.toFixed(6)) });
    if (pages.length >= limit) break;
  }
  return pages;
}

/** `ragbridge eval --corpus DIR --qa FILE --out FILE.json` */
export async function evalCommand(options: { corpus: string; qa: string; out: string; store?: string; profile?: string; log?: NodeJS.WritableStream }): Promise<number> {
  const log = options.log ?? process.stdout;
  let items: EvalItem[];
  try {
    const parsed: unknown = JSON.parse(await readFile(options.qa, 'utf8'));
    if (!Array.isArray(parsed)) throw new Error('expected a JSON array of {id, question}');
    items = parsed.map((item, i) => {
      const o = item as Partial<EvalItem>;
      if (typeof o.id !== 'string' || typeof o.question !== 'string') throw new Error(`item ${i} needs string "id" and "question"`);
      return { id: o.id, question: o.question, ...(typeof o.category === 'string' && { category: o.category }), ...(Array.isArray(o.evidence) && { evidence: o.evidence }) };
    });
  } catch (error) {
    throw new UsageError(`--qa ${options.qa}: ${(error as Error).message}`);
  }
  const storePath = options.store ?? defaultStorePath(`eval-${basename(resolve(options.corpus))}`);
  log.write(`Store: ${storePath}\n`);
  // The eval store only caches the corpus, so an old format is rebuilt rather than refused.
  const pipeline = await openPipeline(storePath, options.profile, true);
  try {
    const report = await pipeline.ingest([options.corpus], { onProgress: createProgressReporter(), prune: true });
    log.write(`Corpus: ${report.added.length + report.updated.length} (re)ingested, ${report.unchanged.length} unchanged, ${report.failed.length} failed.\n`);
    const results = [];
    const ranks: Array<{ rank: number; category: string }> = [];
    let outOfScope = 0;
    let outOfScopeRefused = 0;
    let inScopeRefused = 0;
    for (const item of items) {
      const result = await pipeline.ask(item.question, { k: 30 });
      const retrieved = await retrievedPages(pipeline, result);
      results.push({
        id: item.id,
        retrieved,
        answer: result.answer.text,
        citations: result.answer.citations.map((c) => ({ doc: c.docName, page: c.page })),
        refused: result.answer.refused,
        ms: { retrieve: Number(result.ms.retrieve.toFixed(2)), answer: Number(result.ms.answer.toFixed(2)) },
      });
      if (item.evidence === undefined) continue;
      if (item.evidence.length === 0) {
        outOfScope++;
        if (result.answer.refused) outOfScopeRefused++;
      } else {
        if (result.answer.refused) inScopeRefused++;
        ranks.push({ rank: firstRelevantRank(retrieved, item.evidence), category: item.category ?? 'all' });
      }
    }
    await mkdir(dirname(resolve(options.out)), { recursive: true });
    await writeFile(options.out, `${JSON.stringify({ results }, null, 2)}\n`);
    log.write(`Wrote ${results.length} results to ${options.out}\n`);
    if (ranks.length > 0 || outOfScope > 0) {
      const fmt = (x: number): string => x.toFixed(3);
      const all = retrievalMetrics(ranks.map((r) => r.rank));
      log.write(`\nIn-scope questions: ${all.questions}\n  hit@1 ${fmt(all.hitAt1)}  hit@5 ${fmt(all.hitAt5)}  hit@10 ${fmt(all.hitAt10)}  MRR@10 ${fmt(all.mrrAt10)}\n`);
      const categories = [...new Set(ranks.map((r) => r.category))].sort();
      for (const category of categories) {
        const m = retrievalMetrics(ranks.filter((r) => r.category === category).map((r) => r.rank));
        log.write(`  ${category.padEnd(12)} n=${m.questions}  hit@1 ${fmt(m.hitAt1)}  hit@5 ${fmt(m.hitAt5)}  MRR@10 ${fmt(m.mrrAt10)}\n`);
      }
      const correct = outOfScopeRefused + (ranks.length - inScopeRefused);
      log.write(
        `Refusals: ${outOfScopeRefused}/${outOfScope} out-of-scope refused, ${inScopeRefused}/${ranks.length} in-scope refused; refusal accuracy ${fmt(correct / Math.max(1, outOfScope + ranks.length))}\n`,
      );
    }
    return 0;
  } finally {
    await pipeline.close();
  }
}
