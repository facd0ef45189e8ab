import type { Chunk } from '@ragbridge/core-interfaces';
import { type Candidate, collectCandidates } from './candidates.js';
import type { CorpusCache } from './corpus-cache.js';
import type { Bm25Parameters, KeywordIndex } from './keyword-index.js';
import { candidateSignalValues, passagePool, rankRows, scorePassages } from './keyword-ranking.js';
import { buildQueryContext, type QueryContext } from './query-context.js';
import { definitionPattern, type QuestionVocabulary } from './question-signals.js';
import type { PassageContext, SignalContext } from './signals/retrieval-signal.js';

/** Settings of {@link keywordSearch}. */
export interface KeywordSearchSettings {
  candidates: number;
  rareTermLimit: number;
  bm25: Bm25Parameters;
  editionTermWeight: number;
  /** The words question-shape signals read. */
  vocabulary: QuestionVocabulary;
  /** Candidates whose text is read and scored by the passage signals. */
  passagePool: number;
  /** Signal weights in column order (see `weightVector`). */
  weights: Float64Array;
  /** Score the passage signals of every candidate, not only the pool (for calibration; slower). */
  scoreAllPassages?: boolean;
}

/** One keyword candidate with its signal values and keyword score. */
export interface KeywordHit {
  readonly candidate: Candidate;
  /** Signal values in column order (NaN for passage signals not scored). */
  readonly values: Float64Array;
  readonly score: number;
}

/** The keyword ranking of one question. */
export interface KeywordSearchResult {
  readonly query: QueryContext;
  readonly index: KeywordIndex;
  /** Candidates best first. */
  readonly hits: KeywordHit[];
  /** The chunks read for the passage stage, by id. */
  readonly chunks: ReadonlyMap<string, Chunk>;
}

/**
 * Keyword retrieval: the question's candidates scored by every candidate signal, the best
 * `passagePool` read and scored by the passage signals, and all ranked by the weighted sum.
 */
export async function keywordSearch(question: string, corpus: CorpusCache, settings: KeywordSearchSettings): Promise<KeywordSearchResult> {
  const index = await corpus.keywordIndex();
  const query = buildQueryContext(question, index, { editionTermWeight: settings.editionTermWeight, vocabulary: settings.vocabulary });
  const { candidates, stats } = collectCandidates(query, index, {
    candidates: settings.candidates,
    rareTermLimit: settings.rareTermLimit,
    bm25: settings.bm25,
  });
  const context: SignalContext = { query, index, stats };
  const rows = candidateSignalValues(context, candidates);
  const pool = settings.scoreAllPassages ? candidates.map((_, i) => i) : passagePool(rows, settings.weights, settings.passagePool);
  const read = await corpus.readChunks(pool.map((i) => (candidates[i] as Candidate).id));
  const chunks = new Map(read.map((c) => [c.id, c]));
  const pooled = pool.flatMap((i) => {
    const chunk = chunks.get((candidates[i] as Candidate).id);
    return chunk ? [{ i, chunk }] : [];
  });
  const words = corpus.words.passageWords(pooled.map((p) => p.chunk));
  const { trigrams, count } = corpus.words.questionTrigrams(question);
  const passageContext: PassageContext = { ...context, trigrams, trigramCount: count, definition: definitionPattern(question, settings.vocabulary) };
  scorePassages(
    passageContext,
    pooled.map(({ i, chunk }, j) => ({ row: rows[i] as Float64Array, passage: { ...(candidates[i] as Candidate), text: chunk.text, words: words[j] as Int32Array } })),
  );
  const { order, scores } = rankRows(rows, settings.weights, settings.passagePool);
  return {
    query,
    index,
    hits: order.map((i) => ({ candidate: candidates[i] as Candidate, values: rows[i] as Float64Array, score: scores[i] as number })),
    chunks,
  };
}
