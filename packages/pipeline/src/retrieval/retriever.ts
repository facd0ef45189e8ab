export type { RetrievalEvidence } from './evidence.js';
import type { Chunk, DocumentStore, EmbedderV1, EmbedResult, RerankerV1, RetrievalHit, UsageEvent } from '@ragbridge/core-interfaces';
import { inSpan, PIPELINE_SPANS } from '../internal/pipeline-tracing.js';
import { CorpusCache } from './corpus-cache.js';
import { evidenceTermsOf, measureEvidence, type RetrievalEvidence } from './evidence.js';
import { dropNearDuplicates, fuseRankings, type FusedHit } from './fusion.js';
import { signalContributions, weightVector } from './keyword-ranking.js';
import { BM25_DEFAULTS } from './keyword-index.js';
import { keywordSearch, type KeywordHit } from './keyword-search.js';
import { DEFAULT_QUESTION_VOCABULARY, type QuestionVocabulary } from './question-signals.js';
import { resolveSignalWeights, SIGNAL_NAMES, type SignalName } from './signals/signal-table.js';

/** Options of {@link createRetriever}. */
export interface RetrieverOptions {
  store: DocumentStore;
  /**
   * Dense retrieval runs when an embedder is given (its vectors must be in the store). An embedder
   * that returns no vector for a question leaves that question to keyword search.
   */
  embedder?: EmbedderV1;
  /**
   * Retrieve a question with keywords alone when it cannot be embedded (the embedder throws and
   * the caller did not abort) instead of failing; the result's `queryEmbedFailure` says why.
   * @default false
   */
  keywordFallback?: boolean;
  /** Rescores the top candidates when given. */
  reranker?: RerankerV1;
  /** Keyword candidates asked of the store's keyword search (rare-term chunks come on top), and dense candidates, before fusion. @default 100 */
  candidates?: number;
  /** Candidates sent to the reranker. @default 30 */
  rerankCandidates?: number;
  /**
   * The best keyword candidates (by the candidate signals) whose text is read and scored by the
   * passage signals. 30, 50 and 100 rank the development questions the same (cross-validated);
   * 30 keeps retrieval near 2.7 ms p50 instead of 4. @default 30
   */
  passageCandidates?: number;
  /**
   * Weights of the keyword signals, overriding the calibrated defaults (`DEFAULT_SIGNAL_WEIGHTS`);
   * 0 turns a signal off. @default {}
   */
  signals?: Partial<Record<SignalName, number>>;
  /** Chunks holding a question term found in at most this many chunks are always candidates. @default 60 */
  rareTermLimit?: number;
  /** BM25 term-frequency saturation in scoring the candidates (the store selects them with its own ranking). @default 1.2 */
  bm25K1?: number;
  /** BM25 length normalisation in scoring the candidates. @default 0.75 */
  bm25B?: number;
  /**
   * Weight, in chunk scoring, of years, dates and versions in the question (`2011`, `20211203`,
   * `v1.7`) relative to other terms: they name the edition of a document ("the 2019 spec")
   * rather than the words of the answer, so at full weight they pull title pages and prefaces
   * up. Document scoring keeps them at full weight. @default 0.25
   */
  editionTermWeight?: number;
  /** The general English words the question-shape signals read (code questions, defining verbs). @default DEFAULT_QUESTION_VOCABULARY */
  vocabulary?: Partial<QuestionVocabulary>;
  /** Reciprocal rank fusion constant. @default 60 */
  rrfK?: number;
}

/** Options of one retrieval. */
export interface RetrieveOptions {
  /** Hits returned. @default 10 */
  k?: number;
  abortSignal?: AbortSignal;
  /** Attach to each hit why it ranks where it does (`hit.explanation`). @default false */
  explain?: boolean;
}

/** The result of one retrieval. */
export interface RetrievalResult {
  hits: RetrievalHit[];
  evidence: RetrievalEvidence;
  usage: UsageEvent[];
  /** Milliseconds spent per stage. */
  timings: { keyword: number; dense: number; rerank: number; total: number };
  /** Set when the question could not be embedded and was retrieved with keywords alone (`keywordFallback`). */
  queryEmbedFailure?: { error: unknown };
}

/** Every keyword candidate of a question with its signal values, for calibrating signal weights. */
export interface KeywordFeatures {
  /** Signal names, in column order. */
  signals: readonly SignalName[];
  /** Candidates whose text the passage signals score live (the rest are scored here for calibration only). */
  passageCandidates: number;
  /** Candidates in no particular order, each with its signal values in column order. */
  candidates: Array<{ id: string; docId: string; page: number; values: Float64Array }>;
}

/** Finds the chunks that answer a question. */
export interface Retriever {
  retrieve(question: string, options?: RetrieveOptions): Promise<RetrievalResult>;
  /**
   * The question's keyword candidates with every signal's value (passage signals included for all,
   * not only the best): the input of `fitSignalWeights`, which ranks them as `retrieve` does.
   */
  keywordFeatures(question: string): Promise<KeywordFeatures>;
}

/** The retriever's defaults: what a setting left out of {@link RetrieverOptions} (or a call's `k`) is. */
export const RETRIEVER_DEFAULTS = {
  k: 10,
  candidates: 100,
  rerankCandidates: 30,
  rareTermLimit: 60,
  bm25K1: BM25_DEFAULTS.k1,
  bm25B: BM25_DEFAULTS.b,
  editionTermWeight: 0.25,
  passageCandidates: 30,
  rrfK: 60,
} as const;

/**
 * Hybrid retrieval over a store's search providers: keyword candidates (from `store.keywordSearch`, scored with the store's collection statistics) ranked by named signals (BM25, document match, coverage,
 * code density, phrases, definitions; see `DEFAULT_SIGNAL_WEIGHTS`), dense search (`store.vectorSearch`)
 * when an embedder is configured, reciprocal rank fusion of the two, an optional reranker, and
 * near-duplicate removal. Each hit says why it was found, and with `explain` which signals put it
 * where it is.
 */
export function createRetriever(options: RetrieverOptions): Retriever {
  const { store } = options;
  const D = RETRIEVER_DEFAULTS;
  const candidates = options.candidates ?? D.candidates;
  const rerankCandidates = options.rerankCandidates ?? D.rerankCandidates;
  const weights = weightVector(resolveSignalWeights(options.signals));
  const corpus = new CorpusCache(store);
  const searchSettings = {
    candidates,
    rareTermLimit: options.rareTermLimit ?? D.rareTermLimit,
    bm25: { k1: options.bm25K1 ?? D.bm25K1, b: options.bm25B ?? D.bm25B },
    editionTermWeight: options.editionTermWeight ?? D.editionTermWeight,
    vocabulary: { ...DEFAULT_QUESTION_VOCABULARY, ...options.vocabulary },
    passagePool: options.passageCandidates ?? D.passageCandidates,
    weights,
  };
  const rrfK = options.rrfK ?? D.rrfK;

  /** The question's vector neighbours, or none when there is no embedder (or, with `keywordFallback`, it failed). */
  const denseSearch = async (question: string, call: RetrieveOptions, usage: UsageEvent[]): Promise<DenseResult> => {
    const embedder = options.embedder;
    if (!embedder) return { dense: [] };
    return inSpan(PIPELINE_SPANS.dense, async (span) => {
      const result = await embedAndSearch(embedder, question, call, usage);
      if (span.isRecording()) span.setAttributes({ 'ragbridge.retrieve.candidates': result.dense.length, ...(result.failure && { 'ragbridge.retrieve.keyword_only': true }) });
      return result;
    });
  };

  const embedAndSearch = async (embedder: EmbedderV1, question: string, call: RetrieveOptions, usage: UsageEvent[]): Promise<DenseResult> => {
    let embedded: EmbedResult;
    try {
      embedded = await embedder.embed({ texts: [question], inputType: 'query', ...(call.abortSignal && { abortSignal: call.abortSignal }) });
    } catch (error) {
      if (!options.keywordFallback || call.abortSignal?.aborted) throw error;
      return { dense: [], failure: { error } };
    }
    usage.push(embedded.usage);
    const vector = embedded.embeddings[0];
    // No vector (an embedder standing in for a failing model may give none): keyword search alone.
    if (!vector) return { dense: [] };
    return {
      dense: await store.vectorSearch.vectorCandidates({ identity: embedder.identity, vector, limit: candidates, ...(call.abortSignal && { abortSignal: call.abortSignal }) }),
    };
  };

  return {
    async keywordFeatures(question) {
      const keyword = await keywordSearch(question, store.keywordSearch, corpus, { ...searchSettings, scoreAllPassages: true });
      return {
        signals: SIGNAL_NAMES,
        passageCandidates: searchSettings.passagePool,
        candidates: keyword.hits.map(({ candidate, values }) => ({ id: candidate.id, docId: candidate.docId, page: keyword.index.pages[candidate.chunk] as number, values })),
      };
    },
    async retrieve(question, call = {}) {
      const started = performance.now();
      const k = call.k ?? D.k;
      const kept = Math.max(k * 3, rerankCandidates);
      const usage: UsageEvent[] = [];
      const keyword = await inSpan(PIPELINE_SPANS.keyword, async (span) => {
        const found = await keywordSearch(question, store.keywordSearch, corpus, searchSettings, call.abortSignal);
        if (span.isRecording()) span.setAttribute('ragbridge.retrieve.candidates', found.hits.length);
        return found;
      });
      const keywordDone = performance.now();
      const { dense, failure } = await denseSearch(question, call, usage);
      const denseDone = performance.now();

      // As many keyword hits as dense ones: deeper ranks cannot reach the kept hits.
      const keywordList = keyword.hits.slice(0, candidates);
      const keywordHits = new Map<string, KeywordHit>(keywordList.map((h) => [h.candidate.id, h]));
      const fused = fuseRankings(
        keywordList.map((h) => ({ id: h.candidate.id, score: h.score })),
        dense,
        rrfK,
      );
      // Only the head of the ranking can reach the `kept` hits, near-duplicates dropped on the way.
      const head = fused.slice(0, kept * 3);
      const chunkRows = new Map<string, Chunk>(keyword.chunks);
      for (const chunk of await corpus.readChunks(head.map((h) => h.id).filter((id) => !chunkRows.has(id)))) chunkRows.set(chunk.id, chunk);
      const withChunks = head.flatMap((hit) => {
        const chunk = chunkRows.get(hit.id);
        return chunk ? [{ ...hit, chunk }] : [];
      });
      const distinct = dropNearDuplicates(withChunks, corpus.words, kept);
      const denseScores = new Map(dense.map((d) => [d.id, d.score]));
      let hits: RetrievalHit[] = distinct.map((hit) => toRetrievalHit(hit, call.explain ? { keyword: keywordHits.get(hit.id), weights, denseScore: denseScores.get(hit.id) } : undefined));

      let rerankMs = 0;
      const reranker = options.reranker;
      if (reranker && hits.length > 0) {
        const rerankStart = performance.now();
        const pool = hits.slice(0, rerankCandidates);
        const result = await inSpan(PIPELINE_SPANS.rerank, async (span) => {
          if (span.isRecording()) span.setAttribute('ragbridge.retrieve.candidates', pool.length);
          return reranker.rerank({
            query: question,
            texts: pool.map((h) => [...h.chunk.sectionPath.slice(-1), h.chunk.text].join('\n')),
            ...(call.abortSignal && { abortSignal: call.abortSignal }),
          });
        });
        usage.push(result.usage);
        hits = pool.map((h, i) => ({ ...h, rerankScore: result.scores[i] ?? 0 })).sort((a, b) => (b.rerankScore ?? 0) - (a.rerankScore ?? 0));
        rerankMs = performance.now() - rerankStart;
      }
      hits = hits.slice(0, k);

      const evidence = measureEvidence(
        keyword.query,
        evidenceTermsOf(keyword.index),
        hits,
        (id) => keywordHits.get(id)?.candidate.coverage ?? 0,
        (id) => denseScores.get(id),
      );
      const done = performance.now();
      return {
        hits,
        evidence,
        usage,
        timings: { keyword: keywordDone - started, dense: denseDone - keywordDone, rerank: rerankMs, total: done - started },
        ...(failure && { queryEmbedFailure: failure }),
      };
    },
  };
}

/** Dense search's neighbours, and why there are none when the question could not be embedded. */
interface DenseResult {
  dense: Array<{ id: string; score: number }>;
  failure?: { error: unknown };
}

function toRetrievalHit(hit: FusedHit & { chunk: Chunk }, explain: { keyword: KeywordHit | undefined; weights: Float64Array; denseScore: number | undefined } | undefined): RetrievalHit {
  const out: RetrievalHit = { chunk: hit.chunk, score: hit.score, reason: hit.reason };
  if (explain) {
    out.explanation = {
      signals: explain.keyword ? signalContributions(explain.keyword.values, explain.weights) : {},
      ...(explain.keyword && { keywordScore: explain.keyword.score }),
      ...(hit.keywordRank !== undefined && { keywordRank: hit.keywordRank }),
      ...(hit.denseRank !== undefined && { denseRank: hit.denseRank }),
      ...(explain.denseScore !== undefined && { denseScore: explain.denseScore }),
    };
  }
  return out;
}
