import { type Bm25Parameters, kthLargest } from './keyword-index.js';

/** What candidate selection reads of a keyword index: grouped BM25 and the chunks holding a term. */
export interface SelectablePostings {
  scoreGroups(groups: ReadonlyArray<readonly string[]>, idf: (term: string) => number, params: Bm25Parameters): { total: Float32Array; matching: number[] };
  chunksWith(term: string): ArrayLike<number>;
}

/** Options of {@link selectCandidates}. */
export interface CandidateSelection {
  /** Best chunks by grouped BM25 kept. */
  limit: number;
  /** Chunks holding a term found in at most this many chunks are always kept. */
  rareTermLimit: number;
  bm25: Bm25Parameters;
}

/**
 * Keyword candidates: the best `limit` chunks by grouped BM25 (a compound like `page-table` counts
 * once; a selection, not a sort of every match), then every chunk holding a term at most
 * `rareTermLimit` chunks hold. Positions in that order (ties keep index order).
 */
export function selectCandidates(
  postings: SelectablePostings,
  groups: ReadonlyArray<readonly string[]>,
  idf: (term: string) => number,
  chunkFrequency: (term: string) => number,
  options: CandidateSelection,
): number[] {
  const { total: bm25, matching } = postings.scoreGroups(groups, idf, options.bm25);
  let threshold = -Infinity;
  if (matching.length > options.limit) {
    const values = new Float32Array(matching.length);
    for (let i = 0; i < matching.length; i++) values[i] = bm25[matching[i] as number] as number;
    threshold = options.limit > 0 ? kthLargest(values, options.limit) : Infinity;
  }
  const chosen = new Set<number>();
  for (const c of matching) if ((bm25[c] as number) >= threshold && chosen.size < options.limit) chosen.add(c);
  for (const term of new Set(groups.flat())) {
    const f = chunkFrequency(term);
    if (f <= 0 || f > options.rareTermLimit) continue;
    const holding = postings.chunksWith(term);
    for (let i = 0; i < holding.length; i++) chosen.add(holding[i] as number);
  }
  return [...chosen];
}
