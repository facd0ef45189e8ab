import type { EmbedderIdentity, RetrievalHit, UsageEvent } from '@ragbridge/core-interfaces';
import { createRuntime, TERMINAL_BACKENDS, type Runtime } from '@ragbridge/runtime';
import { RETRIEVER_DEFAULTS } from '@ragbridge/pipeline';
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
import { chunkModelText, denseNeighbours, scoreCandidates } from './internal/model-probes.js';
import { buildCompareReport } from './internal/report-builder.js';
import { describeError, failedStepCounter, sampleRss } from './internal/side-observers.js';

type SideKey = 'a' | 'b';

/** A side's runtime and what was learned about it before the questions. */
interface OpenedSide {
  key: SideKey;
  side: CompareSide;
  runtime: Runtime;
  failures: ReturnType<typeof failedStepCounter>;
  /** `runtime.models.embedder.identity`: the identity its vectors are stored under; undefined without an embedder. */
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
 * (`pipeline.ask(question, { k })`). After each answer, each part is measured alone through the
 * side's `runtime.models`: the embedder's k nearest chunks of the question, and the reranker's
 * scores of the same candidates on both sides (A's retrieval of `rerankCandidates` chunks). Those
 * calls are reported apart from the answers' (`latency.*.probe`). Both runtimes are closed at the
 * end, also on failure.
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
      // Each side's embedding cache starts empty (unless the side names a file): model calls, latency
      // and cost are measured, not served from an earlier run's cache.
      const runtime = await createRuntime({ embeddingCachePath: ':memory:', ...side.runtime, storePath, onResilienceEvent: failures.onEvent });
      opened.push({ key, side, runtime, failures, identity: runtime.models.embedder?.identity, indexed: 0, missing: null });
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
  const rerankPool = a.runtime.config.retrieval.rerankCandidates ?? RETRIEVER_DEFAULTS.rerankCandidates;
  const total = options.questions.length;
  const answered: Record<SideKey, CompareSideResult[]> = { a: [], b: [] };
  const peakRssBytes = { a: 0, b: 0 };
  // Both rerankers score the same candidates: A's retrieval, kept per question for B.
  const rerankable = a.runtime.models.reranker !== undefined && b.runtime.models.reranker !== undefined;
  const candidates: Array<{ ids: string[]; texts: string[] } | null> = options.questions.map(() => null);

  for (const s of opened) {
    // Dense lists only from a complete index of the side's own vectors: a partial one would read as disagreement.
    const denseUsable = s.identity !== undefined && s.indexError === undefined && s.missing === 0;
    const embedder = denseUsable ? s.runtime.models.embedder : undefined;
    const reranker = rerankable ? s.runtime.models.reranker : undefined;
    let notEmbedded = 0;
    let fusedOrder = 0;
    const embedFailures: string[] = [];
    const rerankFailures: string[] = [];
    const rss = sampleRss(20);
    try {
      for (const [i, q] of options.questions.entries()) {
        const began = performance.now();
        const { answer, retrieval } = await s.runtime.pipeline.ask(q.question, { k });
        const endToEndMs = performance.now() - began;
        if (answer.usage.some((u) => u.operation === 'embed' && u.backend === TERMINAL_BACKENDS.embedder)) notEmbedded++;

        // The measurements run after the answer, so nothing they put in a cache serves it; their
        // calls are kept apart from the answer's.
        const probeUsage: UsageEvent[] = [];
        let denseTopK: string[] | null = null;
        if (embedder) {
          try {
            const dense = await denseNeighbours(embedder, s.runtime.pipeline.store, q.question, k);
            probeUsage.push(dense.usage);
            denseTopK = dense.ids;
          } catch (error) {
            embedFailures.push(describeError(error));
          }
        }
        let rerankScores: number[] | null = null;
        if (reranker) {
          if (s.key === 'a') {
            const pool = await s.runtime.pipeline.retrieve(q.question, { k: rerankPool });
            probeUsage.push(...pool.usage);
            candidates[i] = { ids: pool.hits.map((h) => h.chunk.id), texts: pool.hits.map((h) => chunkModelText(h.chunk)) };
          }
          const list = candidates[i];
          // B scores only where A did: elsewhere no tau can come of it, and its calls may cost.
          if (list && list.ids.length >= 2 && (s.key === 'a' || answered.a[i]?.rerankScores)) {
            try {
              const scored = await scoreCandidates(reranker, q.question, list.texts);
              probeUsage.push(scored.usage);
              rerankScores = scored.scores;
              if (!scored.scores) fusedOrder++;
            } catch (error) {
              rerankFailures.push(describeError(error));
            }
          }
        }
        answered[s.key].push({
          topK: retrieval.hits.map(toHit),
          citations: answer.citations.map((c) => ({ doc: c.docName, page: c.page })),
          refused: answer.refused,
          mode: answer.mode,
          endToEndMs,
          usage: answer.usage.map(toUsage),
          denseTopK,
          rerankScores,
          probeUsage: probeUsage.map(toUsage),
        });
        progress({ phase: `questions:${s.key}`, done: i + 1, total });
      }
    } finally {
      peakRssBytes[s.key] = rss.stop();
    }
    if (notEmbedded > 0) {
      notes.push(`${s.side.name}: the embedder did not embed ${notEmbedded} of ${total} questions; they were retrieved with keywords only.`);
    }
    if (embedFailures.length > 0) {
      notes.push(`${s.side.name}: embedding the question alone failed for ${embedFailures.length} of ${total} questions (${embedFailures[0]}); their embedder recall is not measured.`);
    }
    if (fusedOrder > 0) {
      notes.push(`${s.side.name}: the reranker chain ended in fused-order (no reranker model answered) for ${fusedOrder} of ${total} questions; their reranker agreement is not measured.`);
    }
    if (rerankFailures.length > 0) {
      notes.push(`${s.side.name}: scoring the candidates failed for ${rerankFailures.length} of ${total} questions (${rerankFailures[0]}); their reranker agreement is not measured.`);
    }
  }

  for (const s of opened) {
    for (const f of s.failures.failures()) notes.push(`${s.side.name}: ${f.operation} step ${f.step} failed ${f.count}× (${f.error}).`);
    if (s.indexError) notes.push(`${s.side.name}: indexing the vectors failed (${s.indexError}).`);
  }
  if (rerankable) {
    const few = candidates.filter((list) => (list?.ids.length ?? 0) < 2).length;
    notes.push(
      `Reranker agreement: per question, both rerankers scored the same candidates (${a.side.name}'s retrieval of up to ${rerankPool} chunks, results[].rerankCandidates), ` +
        `compared by Kendall tau-b of the two score lists${few > 0 ? `; ${few} of ${total} questions had fewer than 2 candidates and were not compared` : ''}.`,
    );
  }

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
    rerankCandidates: rerankable ? (candidates[i]?.ids ?? []) : null,
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
