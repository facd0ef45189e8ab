import { type Bm25Parameters, type KeywordIndex, kthLargest } from './keyword-index.js';
import type { QueryContext } from './query-context.js';

/** A chunk found by keyword search, with the statistics the signals read. */
export interface Candidate {
  /** Position in the keyword index. */
  readonly chunk: number;
  readonly id: string;
  readonly docId: string;
  /** The chunk's (document, page) as one number. */
  readonly pageKey: number;
  /** Grouped BM25 of the chunk against the question. */
  readonly bm25: number;
  /** Indices of the question groups the chunk holds. */
  readonly groupsPresent: readonly number[];
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
  /** Per page: the share of the question the page's candidate chunks cover together. */
  readonly pageCoverage: ReadonlyMap<number, number>;
  /** Per page: the damped sum of its candidate chunks' group scores. */
  readonly pageBm25: ReadonlyMap<number, number>;
  readonly bestPageBm25: number;
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
  const { groups: groupScores, total: bm25, matching } = index.scoreGroups(query.groups, query.idf, options.bm25);
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
    const groupsPresent: number[] = [];
    let covered = 0;
    groupScores.forEach((scores, gi) => {
      if ((scores[c] as number) > 0) {
        groupsPresent.push(gi);
        covered += query.groupWeights[gi] as number;
      }
    });
    return {
      chunk: c,
      id: index.ids[c] as string,
      docId: index.docIds[c] as string,
      pageKey: index.pageKeys[c] as number,
      bm25: bm25[c] as number,
      groupsPresent,
      coverage: covered / query.totalWeight,
    };
  });

  // Pages: the candidate chunks of a page together — how much of the question they cover, and
  // their scores as one text (listings spread over several chunks).
  const pageGroups = new Map<number, Set<number>>();
  const pageChunks = new Map<number, number[]>();
  for (const candidate of candidates) {
    const set = pageGroups.get(candidate.pageKey) ?? new Set<number>();
    for (const gi of candidate.groupsPresent) set.add(gi);
    pageGroups.set(candidate.pageKey, set);
    const chunks = pageChunks.get(candidate.pageKey);
    if (chunks) chunks.push(candidate.chunk);
    else pageChunks.set(candidate.pageKey, [candidate.chunk]);
  }
  const pageCoverage = new Map<number, number>();
  for (const [page, set] of pageGroups) {
    let weight = 0;
    for (const gi of set) weight += query.groupWeights[gi] as number;
    pageCoverage.set(page, weight / query.totalWeight);
  }
  const pageBm25 = new Map<number, number>();
  for (const [page, chunks] of pageChunks) {
    // Each group's best chunk plus a quarter of the rest, so a page is not rewarded just for length.
    let score = 0;
    for (const scores of groupScores) {
      let best = 0;
      let sum = 0;
      for (const c of chunks) {
        const s = scores[c] as number;
        sum += s;
        if (s > best) best = s;
      }
      score += best + 0.25 * sum;
    }
    pageBm25.set(page, score);
  }
  const documentScores = index.scoreDocuments(query.terms);
  return {
    candidates,
    stats: {
      bestBm25: Math.max(1e-9, ...candidates.map((c) => c.bm25)),
      documentScores,
      bestDocumentScore: Math.max(1e-9, ...documentScores.values()),
      pageCoverage,
      pageBm25,
      bestPageBm25: Math.max(1e-9, ...pageBm25.values()),
    },
  };
}
