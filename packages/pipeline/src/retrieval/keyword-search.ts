import type { Chunk, KeywordSearchV1 } from '@ragbridge/core-interfaces';
import { type Candidate, collectCandidates } from './candidates.js';
import type { CorpusCache } from './corpus-cache.js';
import { fetchKeywordCandidates } from './keyword-candidates.js';
import { type Bm25Parameters, KeywordIndex } from './keyword-index.js';
import { candidateSignalValues, passagePool, rankRows, scorePassages } from './keyword-ranking.js';
import { analyzeQuestion, buildQueryContext, type QueryContext, type QueryTerms } from './query-context.js';
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
  /** The candidates' index, scored with the store's collection statistics. */
  readonly index: KeywordIndex;
  /** Candidates best first. */
  readonly hits: KeywordHit[];
  /** The chunks read for the passage stage, by id. */
  readonly chunks: ReadonlyMap<string, Chunk>;
}

/**
 * Keyword retrieval: the store's keyword candidates, indexed here and scored by every candidate
 * signal with the store's collection statistics (so they rank as over the whole corpus), the best
 * `passagePool` read and scored by the passage signals, and all ranked by the weighted sum.
 */
export async function keywordSearch(
  question: string,
  keywords: KeywordSearchV1,
  corpus: CorpusCache,
  settings: KeywordSearchSettings,
  abortSignal?: AbortSignal,
): Promise<KeywordSearchResult> {
  const analysed = analyzeQuestion(question, settings);
  const [found] = await Promise.all([fetchKeywordCandidates(keywords, analysed, settings, abortSignal), corpus.sync()]);
  // Only the terms signals and evidence read get postings: the question's, and its specific forms.
  const terms = new Set([...analysed.terms, ...analysed.specific.flatMap((t) => t.forms)]);
  const index = new KeywordIndex(found.chunks, found.documents, { collection: found.stats, terms, describe: corpus.describe, counter: corpus.rows.count });
  return rankCandidates(analysed, index, corpus, settings);
}

/**
 * Ranks a question's candidates in `index`: the chunks at `positions` (every indexed chunk when
 * not given, in index order) scored by every candidate signal, the best `passagePool` read and
 * scored by the passage signals, and all ranked by the weighted sum.
 */
export async function rankCandidates(
  analysed: QueryTerms,
  index: KeywordIndex,
  corpus: CorpusCache,
  settings: KeywordSearchSettings,
  positions?: readonly number[],
): Promise<KeywordSearchResult> {
  const question = analysed.question;
  const query = buildQueryContext(analysed, index, settings);
  const { candidates, stats } = collectCandidates(query, index, settings.bm25, positions);
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
