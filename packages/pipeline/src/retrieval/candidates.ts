import type { Bm25Parameters, KeywordIndex } from './keyword-index.js';
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

/**
 * The question's candidates: the chunks at `positions` of the index (every chunk when not given),
 * in that order, with their grouped BM25 (a compound like `page-table` counts once) and coverage,
 * and the statistics of the set the signals score.
 */
export function collectCandidates(
  query: QueryContext,
  index: KeywordIndex,
  bm25Parameters: Bm25Parameters,
  positions?: readonly number[],
): { candidates: Candidate[]; stats: CandidateSetStats } {
  const { total: bm25 } = index.scoreGroups(query.groups, query.idf, bm25Parameters);
  const list = positions ?? Array.from({ length: index.size }, (_, i) => i);
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
