import type { Bm25Parameters } from './keyword-index.js';

/** The entries of one term's posting list: chunk positions (ascending) and the term's frequency in each. */
export interface PostingEntries {
  readonly slots: Int32Array;
  readonly freqs: Float32Array;
  /** Entries in use (the arrays may be longer). */
  readonly length: number;
}

/** What grouped BM25 reads of an index. */
export interface GroupedBm25Input {
  /** Positions in the index (the length of the returned totals). */
  size: number;
  postingsOf(term: string): PostingEntries | undefined;
  /** Body length in terms by position. */
  lengths: ArrayLike<number>;
  averageLength: number;
  /** Scratch of at least `size` zeros, left zero. */
  scratch: Float32Array;
  /** When given, positions whose entry is 0 are skipped (removed chunks). */
  live?: Uint8Array;
}

/**
 * Grouped BM25: for each group of alternative terms, the best-scoring member counts. Returns the
 * sum over groups per position (0 where the chunk has no question term) and the positions holding
 * any question term (in order of first posting). The one implementation of the formula, so every
 * index scores alike to the last bit.
 */
// Float32 halves the memory per question; BM25 needs no more precision.
export function groupedBm25(
  input: GroupedBm25Input,
  groups: ReadonlyArray<readonly string[]>,
  idf: (term: string) => number,
  params: Bm25Parameters,
): { total: Float32Array; matching: number[] } {
  const { lengths, averageLength, live } = input;
  // Invariants in locals: the loop below runs over every posting of every question term, often
  // before the JIT has optimised it (the first question of a process).
  const k1 = params.k1;
  const b = params.b;
  const oneMinusB = 1 - b;
  const k1Plus1 = k1 + 1;
  const total = new Float32Array(input.size);
  const matching: number[] = [];
  const best = input.scratch;
  const touched: number[] = [];
  for (const group of groups) {
    for (const term of group) {
      const postings = input.postingsOf(term);
      if (!postings) continue;
      const weight = idf(term);
      const { slots, freqs } = postings;
      for (let i = 0; i < postings.length; i++) {
        const c = slots[i] as number;
        if (live && live[c] === 0) continue;
        const f = freqs[i] as number;
        const norm = k1 * (oneMinusB + (b * (lengths[c] as number)) / averageLength);
        const s = (weight * f * k1Plus1) / (f + norm);
        const before = best[c] as number;
        if (s > before) {
          if (before === 0) touched.push(c);
          best[c] = s;
          const sum = total[c] as number;
          if (sum === 0) matching.push(c);
          total[c] = sum + s - before;
        }
      }
    }
    for (const c of touched) best[c] = 0;
    touched.length = 0;
  }
  return { total, matching };
}
