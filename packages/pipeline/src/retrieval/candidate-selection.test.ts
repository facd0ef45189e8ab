import { planKeywordFetch } from '@ragbridge/core-interfaces';
import { describe, expect, it } from 'vitest';
import { selectCandidates } from './candidate-selection.js';
import { intersectionOfSorted, unionOfSorted } from './grouped-bm25.js';
import { BM25_DEFAULTS, inverseChunkFrequency, KeywordIndex } from './keyword-index.js';

// A corpus where "common" and "usual" are in most chunks, "middling" in some and "rare" in a few,
// with term frequencies varying by chunk, so rankings depend on every term.
function corpus(size: number) {
  const rows = Array.from({ length: size }, (_, i) => {
    const words: string[] = [];
    if (i % 10 !== 0) words.push(...Array(1 + (i % 3)).fill('common'));
    if (i % 7 !== 0) words.push(...Array(1 + (i % 4)).fill('usual'));
    if (i % 9 === 0) words.push(...Array(1 + (i % 5)).fill('middling'));
    if (i % 97 === 0) words.push('rare');
    words.push(...Array(3 + (i % 11)).fill(`filler${i % 13}`));
    return { id: `c${i}`, docId: `d${i % 20}`, page: 1, terms: words.join(' '), headingTerms: '' };
  });
  return new KeywordIndex(rows);
}

describe('selectCandidates', () => {
  const index = corpus(4000);
  const idf = (term: string): number => inverseChunkFrequency(index.size, index.chunkFrequency(term));
  const df = (term: string): number => index.chunkFrequency(term);
  const groups = [['common'], ['usual'], ['middling'], ['rare']];
  const exhaustive = (limit: number): number[] => {
    const { total, matching } = index.scoreGroups(groups, idf, BM25_DEFAULTS);
    return [...matching].sort((a, b) => (total[b] as number) - (total[a] as number) || a - b).slice(0, limit);
  };

  it('ranks every match when the terms fit the budget', () => {
    const chosen = selectCandidates(index, groups, idf, df, { limit: 50, rareTermLimit: 0, bm25: BM25_DEFAULTS, matchBudget: 1_000_000 });
    expect(new Set(chosen)).toEqual(new Set(exhaustive(50)));
  });

  it('past the budget, ranks the chunks of the rarer terms by every term, common ones included', () => {
    // rare (42) + middling (445) fit 1,000; usual and common do not bring chunks of their own.
    expect(planKeywordFetch(['common', 'usual', 'middling', 'rare'], df, 0, 1000)).toEqual({ fetch: ['rare', 'middling'], complete: false });
    const chosen = selectCandidates(index, groups, idf, df, { limit: 30, rareTermLimit: 0, bm25: BM25_DEFAULTS, matchBudget: 1000 });
    const pool = unionOfSorted([index.chunksWith('rare'), index.chunksWith('middling')]);
    // The same order as ranking the pool by the full grouped BM25.
    const { total } = index.scoreGroups(groups, idf, BM25_DEFAULTS);
    const expected = [...pool].sort((a, b) => (total[b] as number) - (total[a] as number) || a - b).slice(0, 30);
    expect(new Set(chosen)).toEqual(new Set(expected));
    expect(chosen.every((c) => pool.includes(c))).toBe(true);
    // Pooled scores equal the exhaustive ones (the common terms' frequencies are found by seeking).
    const scores = index.scoreChunks(groups, idf, BM25_DEFAULTS, pool);
    pool.forEach((c, j) => expect(scores[j]).toBeCloseTo(total[c] as number, 4));
  });

  it('keeps every chunk of a rare term beyond the limit', () => {
    const chosen = selectCandidates(index, groups, idf, df, { limit: 5, rareTermLimit: 50, bm25: BM25_DEFAULTS, matchBudget: 100 });
    for (const c of index.chunksWith('rare')) expect(chosen).toContain(c);
  });

  it('when every term is common, ranks the chunks holding the two rarest together', () => {
    const common = [['common'], ['usual']];
    expect(planKeywordFetch(['common', 'usual'], df, 0, 100)).toEqual({ fetch: [], fallback: ['usual', 'common'], complete: false });
    const chosen = selectCandidates(index, common, idf, df, { limit: 20, rareTermLimit: 0, bm25: BM25_DEFAULTS, matchBudget: 100 });
    expect(chosen).toHaveLength(20);
    const both = intersectionOfSorted(index.chunksWith('usual'), index.chunksWith('common'), 100);
    expect(chosen.every((c) => both.includes(c))).toBe(true);
  });
});

describe('sorted slot lists', () => {
  it('unions and intersects', () => {
    expect([...unionOfSorted([Int32Array.of(1, 4, 9), Int32Array.of(2, 4, 10), Int32Array.of()])]).toEqual([1, 2, 4, 9, 10]);
    const big = Int32Array.from({ length: 1000 }, (_, i) => i * 3);
    expect([...intersectionOfSorted(Int32Array.of(0, 5, 6, 2997, 3000), big, 10)]).toEqual([0, 6, 2997]);
    expect([...intersectionOfSorted(big, Int32Array.of(0, 5, 6, 2997), 2)]).toEqual([0, 6]);
  });
});
