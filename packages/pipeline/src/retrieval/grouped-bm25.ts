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

/** The first index at or after `from` whose slot is at least `target` (galloping, then binary search); `length` when none. */
function seek(slots: Int32Array, length: number, from: number, target: number): number {
  if (from >= length || (slots[from] as number) >= target) return from;
  let lo = from;
  let step = 1;
  let hi = from + 1;
  while (hi < length && (slots[hi] as number) < target) {
    lo = hi;
    step *= 2;
    hi = from + step;
  }
  if (hi > length) hi = length;
  // slots[lo] < target, and hi is length or slots[hi] >= target.
  while (lo + 1 < hi) {
    const mid = (lo + hi) >>> 1;
    if ((slots[mid] as number) < target) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * Grouped BM25 of the chunks at `pool` positions only (ascending, no repeats): the same formula as
 * {@link groupedBm25} over every question term, each term's frequency found by seeking in its
 * posting list, so a common term costs about pool × log(list / pool) steps instead of its whole
 * list. Returns the score of each pool entry, by pool index.
 */
export function groupedBm25Of(
  input: Pick<GroupedBm25Input, 'postingsOf' | 'lengths' | 'averageLength'>,
  groups: ReadonlyArray<readonly string[]>,
  idf: (term: string) => number,
  params: Bm25Parameters,
  pool: Int32Array,
): Float32Array {
  const { lengths, averageLength } = input;
  const k1 = params.k1;
  const b = params.b;
  const oneMinusB = 1 - b;
  const k1Plus1 = k1 + 1;
  const total = new Float32Array(pool.length);
  const best = new Float32Array(pool.length);
  for (const group of groups) {
    best.fill(0);
    for (const term of group) {
      const postings = input.postingsOf(term);
      if (!postings) continue;
      const weight = idf(term);
      const { slots, freqs, length } = postings;
      let at = 0;
      for (let j = 0; j < pool.length; j++) {
        const c = pool[j] as number;
        at = seek(slots, length, at, c);
        if (at >= length) break;
        if (slots[at] !== c) continue;
        const f = freqs[at] as number;
        const norm = k1 * (oneMinusB + (b * (lengths[c] as number)) / averageLength);
        const s = (weight * f * k1Plus1) / (f + norm);
        if (s > (best[j] as number)) best[j] = s;
      }
    }
    for (let j = 0; j < pool.length; j++) total[j] = (total[j] as number) + (best[j] as number);
  }
  return total;
}

/** The ascending union of sorted slot lists. */
export function unionOfSorted(lists: ReadonlyArray<ArrayLike<number>>): Int32Array {
  let size = 0;
  for (const list of lists) size += list.length;
  const all = new Int32Array(size);
  let n = 0;
  for (const list of lists) for (let i = 0; i < list.length; i++) all[n++] = list[i] as number;
  all.sort();
  let kept = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[kept++] = all[i] as number;
  return all.subarray(0, kept);
}

/** Slots held by both sorted lists, ascending, at most `limit` of them. */
export function intersectionOfSorted(a: Int32Array, b: Int32Array, limit: number): Int32Array {
  const [small, large] = a.length <= b.length ? [a, b] : [b, a];
  const out = new Int32Array(Math.min(small.length, limit));
  let n = 0;
  let at = 0;
  for (let i = 0; i < small.length && n < out.length; i++) {
    const c = small[i] as number;
    at = seek(large, large.length, at, c);
    if (at >= large.length) break;
    if (large[at] === c) out[n++] = c;
  }
  return out.subarray(0, n);
}
