import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { PROFILE_NAMES, resolveConfig, type ProfileName } from '@ragbridge/config-profiles';
import { createPipeline, type Pipeline, type PipelineAnswer } from '@ragbridge/pipeline';
import { createRuntime } from '@ragbridge/runtime';
import { firstRelevantRank, retrievalMetrics, type EvalItem, type RetrievedPage } from './metrics.js';
import { createProgressReporter } from './progress.js';

/** Profiles the CLI can run: the built-in ones (models other than `offline` need their services). */
export const SUPPORTED_PROFILES = PROFILE_NAMES;

/** Where a store lives when `--store` is not given. */
export function defaultStorePath(name = 'store'): string {
  return resolve('.ragbridge', `${name}.db`);
}

function checkProfile(profile: string | undefined): void {
  if (profile === undefined || (SUPPORTED_PROFILES as readonly string[]).includes(profile)) return;
  throw new UsageError(`--profile: expected one of ${SUPPORTED_PROFILES.join(', ')}, got "${profile}"`);
}

/** A mistake in the command line; printed without a stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Opens the pipeline for a profile. `offline` (the default) is BM25 and extractive answers on the
 * plain pipeline; any other profile is composed by `@ragbridge/runtime` (its models behind
 * resilience and the cost monitor, the usage ledger next to the store).
 */
export async function openPipeline(storePath: string, profile?: string, rebuildOnSchemaChange = false): Promise<Pipeline> {
  checkProfile(profile);
  if (profile === undefined || profile === 'offline') return createPipeline({ store: storePath, rebuildOnSchemaChange });
  const resolved = await resolveConfig({ profile: profile as ProfileName });
  const runtime = await createRuntime({ config: resolved, storePath, ledgerPath: storePath.replace(/\.db$/, '') + '.usage.db', baseDir: dirname(storePath) });
  // The runtime's pipeline, closed together with the runtime (ledger, caches, model workers).
  return Object.assign(Object.create(runtime.pipeline) as Pipeline, { close: () => runtime.close() });
}

/** `ragbridge ingest <paths…>` */
export async function ingestCommand(paths: string[], options: { store: string; prune?: boolean; workers?: number; out?: NodeJS.WritableStream }): Promise<number> {
  if (paths.length === 0) throw new UsageError('ingest: give at least one file or folder');
  const out = options.out ?? process.stdout;
  const pipeline = await openPipeline(options.store);
  try {
    const report = await pipeline.ingest(paths, {
      onProgress: createProgressReporter(),
      ...(options.prune !== undefined && { prune: options.prune }),
      ...(options.workers !== undefined && { workers: options.workers }),
    });
    const seconds = report.ms / 1000;
    out.write(
      `Ingested into ${options.store}: ${report.added.length} added, ${report.updated.length} updated, ${report.unchanged.length} unchanged, ${report.removed.length} removed, ${report.failed.length} failed.\n` +
        `${report.pages} pages, ${report.chars} characters, ${report.chunks} chunks in ${seconds.toFixed(1)} s` +
        (report.chars > 0 ? ` (${Math.round(report.chars / seconds / 1000)}K chars/s).\n` : '.\n'),
    );
    for (const failure of report.failed) out.write(`  ✗ ${failure.source}: ${failure.code}: ${failure.message}\n`);
    for (const error of report.pageErrors) out.write(`  ! ${error.source} page ${error.page}: ${error.message}\n`);
    return report.failed.length > 0 ? 2 : 0;
  } finally {
    await pipeline.close();
  }
}

/** Prints an answer with its citations and sources. */
export function formatAnswer(result: PipelineAnswer): string {
  const { answer } = result;
  const lines = [answer.text, ''];
  if (!answer.refused && answer.citations.length > 0) {
    lines.push('Citations:');
    for (const c of answer.citations) lines.push(`  [${c.index}] ${c.docName}, page ${c.pageLabel}${String(c.page) !== c.pageLabel ? ` (physical page ${c.page})` : ''}`);
  }
  if (answer.invalidCitations.length > 0) lines.push(`(removed citations to missing sources: ${answer.invalidCitations.map((n) => `[${n}]`).join(' ')})`);
  lines.push(`(${answer.mode} answer · retrieval ${result.ms.retrieve.toFixed(1)} ms · answer ${result.ms.answer.toFixed(1)} ms)`);
  return lines.join('\n');
}

/** `ragbridge ask "<question>"` */
export async function askCommand(question: string, options: { store: string; json?: boolean; profile?: string; out?: NodeJS.WritableStream }): Promise<number> {
  if (!question.trim()) throw new UsageError('ask: give a question, e.g. ragbridge ask "What does funct3 select?"');
  const out = options.out ?? process.stdout;
  const pipeline = await openPipeline(options.store, options.profile);
  try {
    const docs = await pipeline.store.listDocuments();
    if (docs.length === 0) throw new UsageError(`the store ${options.store} has no documents yet: run \`ragbridge ingest <folder>\` first`);
    const result = await pipeline.ask(question, { k: 10 });
    if (options.json) {
      out.write(`${JSON.stringify({ answer: result.answer.text, refused: result.answer.refused, mode: result.answer.mode, citations: result.answer.citations, ms: result.ms }, null, 2)}\n`);
    } else out.write(`${formatAnswer(result)}\n`);
    return 0;
  } finally {
    await pipeline.close();
  }
}

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

/** The project's own documentation files shipped in the repository (the demo corpus). */
export function repositoryRoot(): string {
  return resolve(join(dirname(new URL(import.meta.url).pathname), '..', '..', '..'));
}
