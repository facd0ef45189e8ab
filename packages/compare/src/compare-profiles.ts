import type { EmbedderIdentity, RetrievalHit, UsageEvent } from '@ragbridge/core-interfaces';
import { createRuntime, TERMINAL_BACKENDS, type Runtime } from '@ragbridge/runtime';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type {
  CompareHit,
  CompareOptions,
  CompareProgress,
  CompareQuestionResult,
  CompareReport,
  CompareSide,
  CompareSideInfo,
  CompareSideResult,
  CompareUsage,
} from './compare-types.js';
import { buildCompareReport } from './internal/report-builder.js';
import { describeError, embedderIdentityOf, failedStepCounter, sampleRss, watchDenseQueries } from './internal/runtime-probes.js';

type SideKey = 'a' | 'b';

/** A side's runtime and what was learned about it before the questions. */
interface OpenedSide {
  key: SideKey;
  side: CompareSide;
  runtime: Runtime;
  failures: ReturnType<typeof failedStepCounter>;
  identity: EmbedderIdentity | undefined;
  indexed: number;
  indexError?: string;
  /** Chunks without a vector of `identity` after indexing; null without an embedder. */
  missing: number | null;
}

/** Checks the options a caller wrote by hand; returns k. */
function checkOptions(options: CompareOptions): number {
  for (const key of ['a', 'b'] as const) {
    const side = options[key] as CompareSide | undefined;
    if (!side || typeof side.name !== 'string' || side.name.trim() === '') throw new TypeError(`compareProfiles: options.${key}.name must be a non-empty string`);
    if (!side.runtime || typeof side.runtime !== 'object') throw new TypeError(`compareProfiles: options.${key}.runtime must be createRuntime options`);
  }
  if (!Array.isArray(options.questions) || options.questions.length === 0) {
    // Ingesting only (e.g. before a re-index plan) would also embed every chunk through B: that is reindexPlan's job.
    throw new TypeError('compareProfiles: options.questions must be a non-empty array (to ingest a corpus for a re-index plan, pass corpus to reindexPlan)');
  }
  const ids = new Set<string>();
  options.questions.forEach((q, i) => {
    if (typeof q?.id !== 'string' || q.id === '') throw new TypeError(`compareProfiles: questions[${i}].id must be a non-empty string`);
    if (typeof q.question !== 'string' || q.question.trim() === '') throw new TypeError(`compareProfiles: questions[${i}].question must be a non-empty string`);
    if (ids.has(q.id)) throw new TypeError(`compareProfiles: question id "${q.id}" appears twice`);
    ids.add(q.id);
    if (q.evidence !== undefined && !Array.isArray(q.evidence)) throw new TypeError(`compareProfiles: questions[${i}].evidence must be an array`);
  });
  if (typeof options.storePath !== 'string' || options.storePath === '' || options.storePath === ':memory:') {
    throw new TypeError('compareProfiles: options.storePath must be a file both sides can open (not :memory:)');
  }
  const k = options.k ?? 10;
  if (!Number.isInteger(k) || k < 1 || k > 200) throw new RangeError(`compareProfiles: k must be an integer in [1, 200], got ${k}`);
  return k;
}

function toUsage(u: UsageEvent): CompareUsage {
  return {
    operation: u.operation,
    backend: u.backend,
    modelId: u.modelId,
    latencyMs: u.latencyMs,
    costUsd: u.costUsd,
    cacheHit: u.cacheHit,
    fallbackStep: u.fallbackStep,
  };
}

function chainOf(runtime: Runtime): CompareSideInfo['models'] {
  const parts = Object.fromEntries(runtime.parts().map((p) => [p.part, p.steps.map((s) => (s.model ? `${s.backend} ${s.model}` : s.backend))]));
  return { answer: parts.answer ?? [], embedder: parts.embedder ?? [], reranker: parts.reranker ?? [] };
}

/**
 * Should we switch from profile A to profile B? Runs the same questions through both and
 * measures how far their retrieval, reranking and answers agree, their retrieval quality (when
 * questions carry evidence), latency, model calls, cost and memory.
 *
 * Both runtimes open the same store (`storePath`). The corpus is ingested once, through A; then
 * each side indexes the vectors of its own embedder (`pipeline.indexVectors()`), so each embedder
 * has a vector for every chunk. The sides then answer the questions one after the other
 * (`pipeline.ask(question, { k })`), each followed by a second retrieval of the reranked pool
 * for the reranker comparison. Both runtimes are closed at the end, also on failure.
 *
 * @example
 * const report = await compareProfiles({
 *   a: { name: 'offline', runtime: { config: getBuiltInProfile('offline') } },
 *   b: { name: 'hf-spaces', runtime: { config: getBuiltInProfile('hf-spaces') } },
 *   questions, corpus: ['./docs'], storePath: '.ragbridge/compare.db',
 * });
 * console.log(report.verdicts.embedder.text);
 */
export async function compareProfiles(options: CompareOptions): Promise<CompareReport> {
  const k = checkOptions(options);
  const storePath = resolve(options.storePath);
  const opened: OpenedSide[] = [];
  let report: CompareReport;
  try {
    for (const key of ['a', 'b'] as const) {
      const side = options[key];
      const failures = failedStepCounter(side.runtime.onResilienceEvent);
      const runtime = await createRuntime({ ...side.runtime, storePath, onResilienceEvent: failures.onEvent });
      opened.push({ key, side, runtime, failures, identity: undefined, indexed: 0, missing: null });
    }
    report = await compareOpened(options, k, opened as [OpenedSide, OpenedSide]);
  } catch (error) {
    await closeAll(opened).catch(() => undefined);
    throw error;
  }
  await closeAll(opened);
  return report;
}

/** Closes every runtime (B first), then throws the first failure, if any. */
async function closeAll(opened: readonly OpenedSide[]): Promise<void> {
  let closeError: unknown;
  for (const s of [...opened].reverse()) {
    try {
      await s.runtime.close();
    } catch (error) {
      closeError ??= error;
    }
  }
  if (closeError !== undefined) throw closeError;
}

/** The comparison proper, on the two open runtimes. */
async function compareOpened(options: CompareOptions, k: number, opened: [OpenedSide, OpenedSide]): Promise<CompareReport> {
  const progress = (p: CompareProgress): void => options.onProgress?.(p);
  const [a, b] = opened;
  for (const s of opened) s.identity = await embedderIdentityOf(s.runtime.pipeline);
  const notes: string[] = [];

  if (options.corpus && options.corpus.length > 0) {
    const ingest = await a.runtime.pipeline.ingest(options.corpus, {
      ...(options.ingestWorkers !== undefined && { workers: options.ingestWorkers }),
      onProgress: (event) => {
        if (event.type === 'file') progress({ phase: 'ingest', done: event.index, total: event.files });
      },
    });
    a.indexed += ingest.embedded;
    for (const failure of ingest.failed) notes.push(`Not ingested: ${failure.source} (${failure.code}: ${failure.message}).`);
  }
  for (const s of opened) {
    if (!s.identity) continue;
    try {
      s.indexed += await s.runtime.pipeline.indexVectors({ onProgress: (p) => progress({ phase: `index:${s.key}`, done: p.done, total: p.total }) });
    } catch (error) {
      s.indexError = describeError(error);
    }
    s.missing = (await s.runtime.pipeline.store.chunksWithoutVectors(s.identity)).length;
  }

  const store = a.runtime.pipeline.store;
  const names = new Map((await store.listDocuments()).map((d) => [d.id, d.name]));
  const toHit = (h: RetrievalHit): CompareHit => ({
    chunkId: h.chunk.id,
    doc: names.get(h.chunk.docId) ?? h.chunk.docId,
    page: h.chunk.page,
    score: h.score,
    reason: h.reason,
    ...(h.rerankScore !== undefined && { rerankScore: h.rerankScore }),
  });
  const rerankPool = a.runtime.config.retrieval.rerankCandidates;
  const total = options.questions.length;
  const answered: Record<SideKey, CompareSideResult[]> = { a: [], b: [] };
  const peakRssBytes = { a: 0, b: 0 };

  for (const s of opened) {
    // Dense lists only from a complete index of the side's own vectors: a partial one would read as disagreement.
    const denseUsable = s.identity !== undefined && s.indexError === undefined && s.missing === 0;
    let notEmbedded = 0;
    let notObserved = 0;
    const watch = watchDenseQueries(s.runtime.pipeline);
    const rss = sampleRss(20);
    try {
      for (const [i, q] of options.questions.entries()) {
        watch.arm();
        const began = performance.now();
        const { answer, retrieval } = await s.runtime.pipeline.ask(q.question, { k });
        const endToEndMs = performance.now() - began;
        const dense = watch.take();
        if (answer.usage.some((u) => u.operation === 'embed' && u.backend === TERMINAL_BACKENDS.embedder)) notEmbedded++;
        else if (s.identity && !dense) notObserved++;
        const denseTopK = dense && denseUsable ? (await watch.search({ identity: dense.identity, vector: dense.vector, limit: k })).map((hit) => hit.id) : null;
        const probe = await s.runtime.pipeline.retrieve(q.question, { k: rerankPool });
        const reranked = probe.usage.some((u) => u.operation === 'rerank' && u.backend !== TERMINAL_BACKENDS.reranker);
        answered[s.key].push({
          topK: retrieval.hits.map(toHit),
          citations: answer.citations.map((c) => ({ doc: c.docName, page: c.page })),
          refused: answer.refused,
          mode: answer.mode,
          endToEndMs,
          usage: answer.usage.map(toUsage),
          denseTopK,
          rerankPool: probe.hits.map((h) => ({ chunkId: h.chunk.id, rerankScore: reranked ? (h.rerankScore ?? null) : null })),
          reranked,
          probeUsage: probe.usage.map(toUsage),
        });
        progress({ phase: `questions:${s.key}`, done: i + 1, total });
      }
    } finally {
      peakRssBytes[s.key] = rss.stop();
      watch.restore();
    }
    if (notEmbedded > 0) {
      notes.push(`${s.side.name}: the embedder did not embed ${notEmbedded} of ${total} questions; they were retrieved with keywords only.`);
    }
    if (notObserved > 0) {
      notes.push(`${s.side.name}: ${notObserved} of ${total} questions were embedded but no dense search of the store was seen, so their embedder recall is not measured.`);
    }
  }

  for (const s of opened) {
    for (const f of s.failures.failures()) notes.push(`${s.side.name}: ${f.operation} step ${f.step} failed ${f.count}× (${f.error}).`);
    if (s.indexError) notes.push(`${s.side.name}: indexing the vectors failed (${s.indexError}).`);
  }
  notes.push(
    `The runtime does not expose its reranker: each side retrieved every question again with k = ${rerankPool} (A's rerankCandidates) and the candidates both sides reranked are ` +
      'compared by rerank score (Kendall tau-b). Different candidate lists (e.g. from different embedders) also move this number.',
  );

  const info = (s: OpenedSide): CompareSideInfo => ({
    name: s.side.name,
    profile: s.runtime.profile,
    models: chainOf(s.runtime),
    embedderIdentity: s.identity ?? null,
    indexedChunks: s.indexed,
    chunksWithoutVectors: s.missing,
    ...(s.indexError !== undefined && { indexError: s.indexError }),
    failedSteps: s.failures.failures(),
  });
  const stats = await store.stats();
  const results: CompareQuestionResult[] = options.questions.map((q, i) => ({
    id: q.id,
    question: q.question,
    category: q.category ?? 'uncategorized',
    ...(q.evidence !== undefined && { evidence: q.evidence.map((e) => ({ doc: e.doc, pages: [...e.pages] })) }),
    a: answered.a[i] as CompareSideResult,
    b: answered.b[i] as CompareSideResult,
  }));
  return buildCompareReport({
    generatedAt: new Date().toISOString(),
    sides: { a: info(a), b: info(b) },
    k,
    rerankPool,
    corpus: { paths: [...(options.corpus ?? [])], documents: stats.documents, chunks: stats.chunks },
    results,
    peakRssBytes,
    notes,
  });
}
