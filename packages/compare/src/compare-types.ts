import type { EmbedderIdentity, ModelOperation } from '@ragbridge/core-interfaces';
import type { RuntimeOptions } from '@ragbridge/runtime';

/** One side of a comparison: a name for the report and how to build its runtime. */
export interface CompareSide {
  /** Shown in the report, charts and verdicts, e.g. `offline` or `hf-spaces`. */
  name: string;
  /**
   * `createRuntime` options: the resolved profile as `config`, `env`, `fetch` (tests route it to the
   * fake services), `baseDir`, `ledgerPath`, `prices`, `logger`… `storePath` is replaced by the
   * comparison's shared store.
   */
  runtime: RuntimeOptions;
}

/** Where the answer to a question is: a document (file name) and its physical pages (1-based). */
export interface CompareEvidence {
  doc: string;
  pages: number[];
}

/** A question both sides answer. */
export interface CompareQuestion {
  /** Unique within the comparison. */
  id: string;
  question: string;
  /** Groups the quality numbers (e.g. `definition`, `numeric`). @default 'uncategorized' */
  category?: string;
  /**
   * Where the answer is. Non-empty: an in-scope question (counts for hit@k and MRR, should be
   * answered); empty array: out of scope (should be refused); absent: not judged.
   */
  evidence?: CompareEvidence[];
}

/** Progress of {@link CompareOptions.onProgress}. */
export interface CompareProgress {
  /** `ingest` (files), `index:a` / `index:b` (chunks embedded), `questions:a` / `questions:b` (questions answered). */
  phase: string;
  done: number;
  total: number;
}

/** Options of `compareProfiles`. */
export interface CompareOptions {
  a: CompareSide;
  b: CompareSide;
  questions: CompareQuestion[];
  /** Files and folders ingested once, through side A (both sides share one store). @default nothing: the store is used as it is */
  corpus?: string[];
  /** The shared SQLite store file (both runtimes get it as `storePath`); relative paths resolve against the working directory. */
  storePath: string;
  /** Hits compared per question. @default 10 */
  k?: number;
  /** Extraction worker threads of the ingest (0: on the calling thread). @default the pipeline's (one per core) */
  ingestWorkers?: number;
  onProgress?: (progress: CompareProgress) => void;
}

/** A model call of an answer, as the report keeps it. */
export interface CompareUsage {
  operation: ModelOperation;
  backend: string;
  modelId: string;
  latencyMs: number;
  /** US dollars; `null` when the price is unknown. */
  costUsd: number | null;
  cacheHit: boolean;
  /** Chain step that served (0 = first choice). */
  fallbackStep: number;
}

/** A retrieved chunk of a side's top k. */
export interface CompareHit {
  chunkId: string;
  /** Document file name. */
  doc: string;
  /** First physical page of the chunk (1-based). */
  page: number;
  /** Fused score (comparable within one list only). */
  score: number;
  reason: 'keyword' | 'dense' | 'both';
  /** Reranker score, when a reranker ran. */
  rerankScore?: number;
}

/** What one side did for one question: the raw data every number of the report is computed from. */
export interface CompareSideResult {
  /** The top k of the answer's retrieval (`pipeline.ask(question, { k })`), best first. */
  topK: CompareHit[];
  /** (document, page) cited by the answer, in citation order. */
  citations: Array<{ doc: string; page: number }>;
  refused: boolean;
  mode: 'generative' | 'extractive';
  /** Wall-clock time of `pipeline.ask`, retrieval and answer, in ms. */
  endToEndMs: number;
  /** The answer's usage events (retrieval and answer), in order. */
  usage: CompareUsage[];
  /**
   * The side's embedder alone: the question embedded by `runtime.models.embedder`
   * (`inputType: 'query'`), and the chunk ids of the k nearest vectors of that embedder's identity
   * in the shared store (`store.vectorSearch`), nearest first. `null` when not measured: no
   * embedder, an incomplete index of its vectors, or the embedder failed on this question.
   */
  denseTopK: string[] | null;
  /**
   * The side's reranker alone: `runtime.models.reranker`'s scores of the question's
   * {@link CompareQuestionResult.rerankCandidates}, in their order. `null` when not scored: a side
   * has no reranker, fewer than 2 candidates, the chain ended in `fused-order` for this question
   * (no reranker model answered), or, for B, A's were not scored.
   */
  rerankScores: number[] | null;
  /**
   * Usage events of the measurement calls made after the answer: the query embedding of
   * `denseTopK`, (A only) the retrieval of the candidates, the rerank call of `rerankScores`. They
   * are in the side's ledger but not in the answer's latency, calls or cost (see `latency.*.probe`).
   */
  probeUsage: CompareUsage[];
}

/** Raw data of one question. */
export interface CompareQuestionResult {
  id: string;
  question: string;
  category: string;
  evidence?: CompareEvidence[];
  /**
   * The candidates both rerankers scored: chunk ids of side A's `pipeline.retrieve(question, { k:
   * report.reranker.pool })`, in its order. `null` when the rerankers were not compared (a side has
   * no reranker).
   */
  rerankCandidates: string[] | null;
  a: CompareSideResult;
  b: CompareSideResult;
}

/** A side as the report describes it. */
export interface CompareSideInfo {
  name: string;
  /** Built-in profile the configuration started from (`runtime.profile`). */
  profile: string;
  /** Each part's chain as built (`backend model`), terminal steps included. */
  models: { answer: string[]; embedder: string[]; reranker: string[] };
  /** The embedder identity its vectors are stored under; `null` without an embedder. */
  embedderIdentity: EmbedderIdentity | null;
  /** Chunks embedded for this side before the questions (`indexVectors`). */
  indexedChunks: number;
  /** Chunks still without a vector of this side's identity after indexing; `null` without an embedder. */
  chunksWithoutVectors: number | null;
  /** Why indexing failed, if it did. */
  indexError?: string;
  /** Chain steps that failed during the comparison (from the runtime's resilience events). */
  failedSteps: Array<{ operation: string; step: string; error: string; count: number }>;
}

/** Latency percentiles of one operation (nearest rank). */
export interface CompareOperationLatency {
  /** Usage events of this operation over all answers (cache hits and last steps included). */
  count: number;
  p50Ms: number;
  p95Ms: number;
}

/** Latency, calls, cost and memory of one side. */
export interface CompareSidePerformance {
  /** Per operation over the answers' usage events; `null` when there was none. */
  operations: Record<ModelOperation, CompareOperationLatency | null>;
  /** `pipeline.ask` wall-clock time per question. */
  endToEnd: { p50Ms: number; p95Ms: number };
  /** Mean per question of usage events that are neither cache hits nor a last step (`keyword`, `fused-order`, `extractive`). */
  modelCallsPerAnswer: number;
  /** Sum of the answers' known `costUsd`. */
  costUsd: number;
  /** `costUsd / questions × 1000`. */
  costPer1000QuestionsUsd: number;
  /** Usage events whose price is unknown (`costUsd: null`): not included in the cost. */
  unpricedCalls: number;
  /** Highest process RSS (MiB) sampled every 20 ms during this side's questions; both runtimes live in the process. */
  peakRssMb: number;
  /**
   * The measurement calls (`probeUsage`: query embeddings for the recall, A's candidate retrievals,
   * the rerank calls on the shared candidates): model calls (neither cache hits nor a last step),
   * known cost and unpriced calls. In the ledger, not in the numbers above.
   */
  probe: { calls: number; costUsd: number; unpricedCalls: number };
}

/** Retrieval quality of one side over the questions that carry evidence. */
export interface CompareQualityGroup {
  /** In-scope questions (non-empty evidence). */
  inScope: number;
  /** Share of in-scope questions with an evidence page among the first 1 / 5 / 10 distinct retrieved pages; `null` without in-scope questions. */
  hitAt1: number | null;
  hitAt5: number | null;
  hitAt10: number | null;
  /** Mean of 1 / rank of the first evidence page within the first 10 distinct pages (0 when none). */
  mrrAt10: number | null;
  /** Questions with evidence (empty or not), and those refused iff their evidence is empty. */
  refusal: { questions: number; correct: number; accuracy: number | null };
}

/** Quality of one side: all questions with evidence, and per category. */
export interface CompareSideQuality extends CompareQualityGroup {
  categories: Record<string, CompareQualityGroup>;
}

/** A part's verdict. */
export interface CompareVerdict {
  /** `true`: within the thresholds; `false`: not; `null`: not measured. */
  ok: boolean | null;
  /** One line with the values and the thresholds, e.g. `safe to switch — recall@10 0.97 (threshold 0.90)`. */
  text: string;
}

/** The comparison, as JSON. Every number can be recomputed from {@link CompareReport.results}. */
export interface CompareReport {
  /** Changes when a field changes meaning. */
  schemaVersion: 1;
  /** ISO 8601 time the comparison finished. */
  generatedAt: string;
  sides: { a: CompareSideInfo; b: CompareSideInfo };
  /** Hits compared per question. */
  k: number;
  /** Number of questions. */
  questions: number;
  /** Files and folders ingested (as given), and the store's size after ingest. */
  corpus: { paths: string[]; documents: number; chunks: number };
  /** The thresholds the verdicts used. */
  thresholds: CompareThresholds;
  retrieval: {
    /** Mean over questions of the per-question values. */
    jaccardAtK: number;
    /** Mean over the questions where it is defined; `null` when it is nowhere. */
    kendallTau: number | null;
    /** Mean over the questions where both embedders worked; `null` when none. */
    embedderRecallAtK: number | null;
    perQuestion: Array<{
      id: string;
      /** |top-k A ∩ top-k B| / |top-k A ∪ top-k B| over chunk ids. */
      jaccardAtK: number;
      /** Kendall tau-b of the two rankings over the chunks in both lists; `null` with fewer than 2 shared. */
      kendallTau: number | null;
      /** Chunks in both top-k lists. */
      shared: number;
      /** |denseTopK B ∩ denseTopK A| / |denseTopK A|; `null` when either side has no dense list. */
      embedderRecallAtK: number | null;
    }>;
  };
  reranker: {
    /** Both sides' rerankers score the same candidates per question (`results[].rerankCandidates`). */
    method: 'same-candidates';
    /** Candidates per question: side A's `retrieval.rerankCandidates` (fewer when the store holds fewer). */
    pool: number;
    /** Mean over the questions where it is defined; `null` when none (a side without a working reranker). */
    kendallTau: number | null;
    perQuestion: Array<{
      id: string;
      /** Kendall tau-b of A's and B's `rerankScores`; `null` when either side has none or all of one side's scores are tied. */
      kendallTau: number | null;
      /** Candidates both sides scored: the length of `rerankCandidates` when both did, else 0. */
      shared: number;
    }>;
  };
  answers: {
    /** Share of questions whose cited (document, page) sets are equal (two empty sets are equal). */
    sameCitations: number;
    /** Mean citation-set Jaccard (two empty sets: 1). */
    citationJaccard: number;
    bothRefused: number;
    bothAnswered: number;
    disagreeRefusal: number;
    /** (bothRefused + bothAnswered) / questions. */
    refusalAgreement: number;
    perQuestion: Array<{ id: string; sameCitations: boolean; citationJaccard: number }>;
  };
  /** `null` when no question carries evidence. */
  quality: { a: CompareSideQuality; b: CompareSideQuality; delta: { hitAt5: number | null; mrrAt10: number | null } } | null;
  latency: { a: CompareSidePerformance; b: CompareSidePerformance };
  verdicts: {
    embedder: CompareVerdict;
    reranker: CompareVerdict;
    answers: CompareVerdict;
    retrieval: CompareVerdict;
    /** B − A on hit@5 and MRR@10; not measured (`ok: null`) without in-scope questions. */
    quality: CompareVerdict;
  };
  /** What was not measured and why, failures seen, and how to read the numbers. */
  notes: string[];
  /** The raw per-question data. */
  results: CompareQuestionResult[];
}

/** The thresholds of the verdicts (see `COMPARE_THRESHOLDS`). */
export interface CompareThresholds {
  /** Embedder: recall@k of B's embedder against A's at least this → safe to switch. */
  embedderRecallAtK: number;
  /** Reranker: Kendall tau at least this → same order. */
  rerankerTau: number;
  /** Answer generator: share of questions with the same citations at least this… */
  sameCitations: number;
  /** …and refusal agreement at least this → same answers. */
  refusalAgreement: number;
  /** Retrieval overall: Jaccard@k at least this → same results. */
  jaccardAtK: number;
}

/** What switching the embedder needs before B can answer from the store. */
export interface ReindexPlan {
  from: { name: string; embedderIdentity: EmbedderIdentity | null };
  to: { name: string; embedderIdentity: EmbedderIdentity | null; backend: string | null; modelId: string | null };
  /** True when both sides store vectors under the same identity (B can reuse A's). */
  sameIdentity: boolean;
  /** Chunks in the store. */
  chunks: number;
  /** Chunks with no vector for B's identity (`store.chunksWithoutVectors`), before any sample; `null` when B has no embedder. */
  chunksWithoutVectors: number | null;
  /** ⌈characters / 4⌉ of those chunks' text. */
  estimatedTokens: number;
  /**
   * Of those chunks, the ones whose vector B's embedding cache already holds (free). A cache in B's
   * PostgreSQL database (`database`) is not looked up: its chunks are counted as not cached.
   */
  embeddingCache: { kind: 'off' | 'memory' | 'file' | 'database'; cachedChunks: number; note: string };
  /**
   * Price of the tokens not in the cache from B's price book: `priced`, `local` (free), `unknown`
   * (`usd` is `null`, `basis` says why) or `none` (nothing to embed).
   */
  cost: { state: 'priced' | 'local' | 'unknown' | 'none'; usd: number | null; basis: string };
  /** Time to embed them, extrapolated from a timed sample; `ms` is `null` without one. */
  time: { ms: number | null; basis: string };
  /** The sample embedded through B to time it (its vectors are kept: they are part of the work). */
  sample: { chunks: number; ms: number; costUsd: number; unpricedCalls: number } | null;
  notes: string[];
}

/** Options of `reindexPlan` and `applyReindex`. */
export interface ReindexOptions {
  /** The side in use now. */
  from: CompareSide;
  /** The side to switch to. */
  to: CompareSide;
  /**
   * The SQLite store file to index (the one both use). Leave it out when both sides' configuration
   * names the same storage, e.g. a PostgreSQL database (`storage.kind: postgres`).
   * @default the sides' configured storage
   */
  storePath?: string;
  /**
   * Files and folders ingested through `from` first (as `compareProfiles` does), so the plan covers
   * them; unchanged files are skipped. @default nothing: the store is used as it is
   */
  corpus?: string[];
  /** Extraction worker threads of that ingest (0: on the calling thread). @default the pipeline's */
  ingestWorkers?: number;
  /** `reindexPlan` only: chunks embedded through B to time the rest (their vectors are kept); 0 calls no model. @default 8 */
  sampleChunks?: number;
}

/** What `applyReindex` did. */
export interface ReindexResult {
  /** Chunks given a vector for B's identity (cache hits included). */
  embedded: number;
  /** Of those, vectors served from B's embedding cache (free). */
  cacheHits: number;
  ms: number;
  /** Known cost of the embedding calls (from B's ledger); unpriced calls add nothing, see `unpricedCalls`. */
  costUsd: number;
  unpricedCalls: number;
}
