import { KEYWORD_MATCH_BUDGET, planKeywordFetch } from '@ragbridge/core-interfaces';
import { intersectionOfSorted, unionOfSorted } from './grouped-bm25.js';
import { type Bm25Parameters, kthLargest } from './keyword-index.js';

/** What candidate selection reads of a keyword index: grouped BM25 and the chunks holding a term. */
export interface SelectablePostings {
  scoreGroups(groups: ReadonlyArray<readonly string[]>, idf: (term: string) => number, params: Bm25Parameters): { total: Float32Array; matching: number[] };
  /** Grouped BM25 of the chunks at these positions only (ascending), by pool index. */
  scoreChunks(groups: ReadonlyArray<readonly string[]>, idf: (term: string) => number, params: Bm25Parameters, pool: Int32Array): Float32Array;
  /** Positions of the (live) chunks holding the term, ascending. */
  chunksWith(term: string): Int32Array;
}

/** Options of {@link selectCandidates}. */
export interface CandidateSelection {
  /** Best chunks by grouped BM25 kept. */
  limit: number;
  /** Chunks holding a term found in at most this many chunks are always kept. */
  rareTermLimit: number;
  bm25: Bm25Parameters;
  /**
   * Chunk matches ranked per question (`planKeywordFetch`): past it, common terms no longer bring
   * chunks of their own but still score the chunks the rarer terms bring.
   * @default KEYWORD_MATCH_BUDGET
   */
  matchBudget?: number;
}

/** The best `limit` positions of `pool` by `scores` (ties keep pool order), in pool order. */
function best(pool: ArrayLike<number>, scores: Float32Array, limit: number): number[] {
  let threshold = -Infinity;
  if (pool.length > limit) {
    threshold = limit > 0 ? kthLargest(scores.slice(), limit) : Infinity;
  }
  const chosen: number[] = [];
  for (let j = 0; j < pool.length && chosen.length < limit; j++) if ((scores[j] as number) >= threshold && (scores[j] as number) > 0) chosen.push(pool[j] as number);
  return chosen;
}

/**
 * Keyword candidates: the best `limit` chunks by grouped BM25 (a compound like `page-table` counts
 * once; a selection, not a sort of every match) among the chunks of the terms `planKeywordFetch`
 * fetches (every matching chunk while their frequencies add up to at most `matchBudget`), then
 * every chunk holding a term at most `rareTermLimit` chunks hold. Positions in that order.
 */
export function selectCandidates(
  postings: SelectablePostings,
  groups: ReadonlyArray<readonly string[]>,
  idf: (term: string) => number,
  chunkFrequency: (term: string) => number,
  options: CandidateSelection,
): number[] {
  const terms = [...new Set(groups.flat())];
  const budget = options.matchBudget ?? KEYWORD_MATCH_BUDGET;
  const plan = planKeywordFetch(terms, chunkFrequency, options.rareTermLimit, budget);
  const chosen = new Set<number>();
  if (plan.complete) {
    // Every match is ranked: one pass over every posting of the question's terms.
    const { total: bm25, matching } = postings.scoreGroups(groups, idf, options.bm25);
    const values = new Float32Array(matching.length);
    for (let i = 0; i < matching.length; i++) values[i] = bm25[matching[i] as number] as number;
    for (const c of best(matching, values, options.limit)) chosen.add(c);
  } else {
    let pool: Int32Array;
    if (plan.fetch.length > 0) pool = unionOfSorted(plan.fetch.map((term) => postings.chunksWith(term)));
    else {
      const [rarest, next] = (plan.fallback ?? []).map((term) => postings.chunksWith(term));
      pool = next ? intersectionOfSorted(rarest as Int32Array, next, budget) : (rarest as Int32Array).subarray(0, budget);
      if (next && pool.length < options.limit) pool = unionOfSorted([pool, (rarest as Int32Array).subarray(0, budget)]);
    }
    for (const c of best(pool, postings.scoreChunks(groups, idf, options.bm25, pool), options.limit)) chosen.add(c);
  }
  for (const term of terms) {
    const f = chunkFrequency(term);
    if (f <= 0 || f > options.rareTermLimit) continue;
    const holding = postings.chunksWith(term);
    for (let i = 0; i < holding.length; i++) chosen.add(holding[i] as number);
  }
  return [...chosen];
}
