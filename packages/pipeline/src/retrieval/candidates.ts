import { type Bm25Parameters, type KeywordIndex, kthLargest } from './keyword-index.js';
import type { QueryContext } from './query-context.js';

/** A chunk found by keyword search, with the statistics the signals read. */
export interface Candidate {
  /** Position in the keyword index. */
  readonly chunk: number;
  readonly id: string;
  readonly docId: string;
  /** Grouped BM25 of the chunk against the question. */
  readonly bm25: number;
  /** Share of the question's weight the chunk holds, in [0, 1]. */
  readonly coverage: number;
}

/** What signals know about the candidate set as a whole (best values for normalising, page totals). */
export interface CandidateSetStats {
  /** Highest candidate BM25 (at least 1e-9). */
  readonly bestBm25: number;
  /** BM25 of each document's description (title, name, headings, first page) against the question. */
  readonly documentScores: ReadonlyMap<string, number>;
  readonly bestDocumentScore: number;
}

/** Options of {@link collectCandidates}. */
export interface CandidateOptions {
  /** Best chunks by BM25 kept as candidates. */
  candidates: number;
  /** Chunks holding a question term found in at most this many chunks are always candidates. */
  rareTermLimit: number;
  bm25: Bm25Parameters;
}

/**
 * Keyword candidates: the best chunks by grouped BM25 (a compound like `page-table` counts once)
 * plus every chunk holding a rare question term, with the per-chunk and per-page statistics the
 * signals score.
 */
export function collectCandidates(query: QueryContext, index: KeywordIndex, options: CandidateOptions): { candidates: Candidate[]; stats: CandidateSetStats } {
  const { total: bm25, matching } = index.scoreGroups(query.groups, query.idf, options.bm25);
  // The best `candidates` by BM25: a selection, not a sort of every match.
  let threshold = -Infinity;
  if (matching.length > options.candidates) {
    const values = new Float32Array(matching.length);
    for (let i = 0; i < matching.length; i++) values[i] = bm25[matching[i] as number] as number;
    threshold = kthLargest(values, options.candidates);
  }
  const chosen = new Set<number>();
  for (const c of matching) if ((bm25[c] as number) >= threshold && chosen.size < options.candidates) chosen.add(c);
  for (const term of query.terms) {
    const f = query.df(term);
    if (f > 0 && f <= options.rareTermLimit) for (const c of index.chunksWith(term)) chosen.add(c);
  }
  const list = [...chosen];
  const candidates: Candidate[] = list.map((c) => {
    let covered = 0;
    query.groupIds.forEach((ids, gi) => {
      if (index.holdsAny(c, ids)) covered += query.groupWeights[gi] as number;
    });
    return {
      chunk: c,
      id: index.ids[c] as string,
      docId: index.docIds[c] as string,
      bm25: bm25[c] as number,
      coverage: covered / query.totalWeight,
    };
  });

  const documentScores = index.scoreDocuments(query.terms);
  return {
    candidates,
    stats: {
      bestBm25: Math.max(1e-9, ...candidates.map((c) => c.bm25)),
      documentScores,
      bestDocumentScore: Math.max(1e-9, ...documentScores.values()),
    },
  };
}
