import type { Chunk, RetrievalReason } from '@ragbridge/core-interfaces';
import type { ChunkWords } from './chunk-words.js';

/** A ranked list of chunk ids with scores, best first. */
export type RankedIds = ReadonlyArray<{ id: string; score: number }>;

/** A chunk of the fused ranking. */
export interface FusedHit {
  id: string;
  /** The list's own score with one list; the reciprocal-rank-fusion score with two. */
  score: number;
  reason: RetrievalReason;
  /** 1-based ranks in the lists that found it. */
  keywordRank?: number;
  denseRank?: number;
}

/** Keyword and dense lists as one: with one list, its own order; with two, reciprocal rank fusion (constant `rrfK`). */
export function fuseRankings(keyword: RankedIds, dense: RankedIds, rrfK: number): FusedHit[] {
  const both = keyword.length > 0 && dense.length > 0;
  const fused = new Map<string, FusedHit>();
  const add = (list: RankedIds, which: 'keyword' | 'dense'): void => {
    list.forEach((hit, rank) => {
      let entry = fused.get(hit.id);
      if (!entry) {
        entry = { id: hit.id, score: 0, reason: which };
        fused.set(hit.id, entry);
      } else if (entry.reason !== which) entry.reason = 'both';
      entry.score += both ? 1 / (rrfK + rank + 1) : hit.score;
      if (which === 'keyword') entry.keywordRank = rank + 1;
      else entry.denseRank = rank + 1;
    });
  };
  add(keyword, 'keyword');
  add(dense, 'dense');
  return [...fused.values()].sort((a, b) => b.score - a.score);
}

/**
 * Drops near-duplicates (repeated boilerplate, overlapping chunks): a chunk whose word 3-grams
 * overlap a better-ranked kept chunk's by more than `threshold` (Jaccard) is left out. Stops at
 * `limit` kept hits.
 */
export function dropNearDuplicates<T extends { chunk: Chunk }>(ranked: readonly T[], words: ChunkWords, limit: number, threshold = 0.8): T[] {
  const kept: T[] = [];
  const seen: Array<{ chunk: Chunk; size: number }> = [];
  for (const hit of ranked) {
    const size = words.shingleCount(hit.chunk);
    // Sets whose sizes differ by more than a factor 1/threshold cannot reach the threshold: skip the comparison.
    if (seen.some((other) => other.size * threshold <= size && size * threshold <= other.size && words.similarAbove(hit.chunk, other.chunk, threshold))) continue;
    seen.push({ chunk: hit.chunk, size });
    kept.push(hit);
    if (kept.length >= limit) break;
  }
  return kept;
}
