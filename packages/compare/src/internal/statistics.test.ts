import { describe, expect, it } from 'vitest';
import { jaccard, kendallTauB, mean, nearestRank, rankingTau, sameSet } from './statistics.js';

describe('kendallTauB', () => {
  it('is 1 for the same order and -1 for the reverse', () => {
    expect(kendallTauB([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(kendallTauB([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
  });

  it('counts concordant and discordant pairs: (6 − 4) / 10 and (2 − 1) / 3', () => {
    // Pairs of [3, 4, 1, 2, 5]: 6 in order, 4 not.
    expect(kendallTauB([1, 2, 3, 4, 5], [3, 4, 1, 2, 5])).toBeCloseTo(0.2, 15);
    expect(kendallTauB([1, 2, 3], [1, 3, 2])).toBeCloseTo(1 / 3, 15);
  });

  it('is tau-b with ties: the example of scipy.stats.kendalltau gives -0.4714045', () => {
    // x has two tied pairs, y one: (nc − nd) / √((10 − 2)(10 − 1)) = (3 − 7) / √72.
    expect(kendallTauB([12, 2, 1, 12, 2], [1, 4, 7, 1, 0])).toBeCloseTo(-0.47140452079103173, 15);
    expect(kendallTauB([12, 2, 1, 12, 2], [1, 4, 7, 1, 0])).toBeCloseTo(-4 / Math.sqrt(72), 15);
  });

  it('does not read ties as disagreement: pairs tied on both sides leave tau at 1', () => {
    expect(kendallTauB([1, 1, 2], [5, 5, 9])).toBe(1);
    expect(kendallTauB([0.9, 0.9, 0.5, 0.1], [0.8, 0.8, 0.4, 0.2])).toBe(1);
  });

  it('is null with fewer than two pairs or when one side is all ties, and refuses unpaired input', () => {
    expect(kendallTauB([], [])).toBeNull();
    expect(kendallTauB([1], [2])).toBeNull();
    expect(kendallTauB([3, 3, 3], [1, 2, 3])).toBeNull();
    expect(() => kendallTauB([1, 2], [1])).toThrow(RangeError);
  });
});

describe('rankingTau', () => {
  it('compares the positions of the items both rankings hold', () => {
    expect(rankingTau(['a', 'b', 'c', 'd'], ['d', 'c', 'x', 'b', 'a'])).toEqual({ tau: -1, shared: 4 });
    expect(rankingTau(['a', 'b', 'c'], ['a', 'c', 'b', 'z'])).toEqual({ tau: expect.closeTo(1 / 3, 15), shared: 3 });
  });

  it('is null with fewer than two shared items', () => {
    expect(rankingTau(['a', 'b'], ['b', 'z'])).toEqual({ tau: null, shared: 1 });
    expect(rankingTau(['a'], [])).toEqual({ tau: null, shared: 0 });
  });
});

describe('jaccard and sameSet', () => {
  it('is |A ∩ B| / |A ∪ B| over distinct items', () => {
    expect(jaccard(['a', 'b', 'c'], ['b', 'c', 'd'])).toBe(0.5);
    expect(jaccard(['a', 'a', 'b'], ['a'])).toBe(0.5);
    expect(jaccard(['a'], ['b'])).toBe(0);
    expect(jaccard(['a'], [])).toBe(0);
  });

  it('treats two empty sets as identical', () => {
    expect(jaccard([], [])).toBe(1);
    expect(sameSet([], [])).toBe(true);
  });

  it('sameSet ignores order and repeats', () => {
    expect(sameSet(['a', 'b', 'b'], ['b', 'a'])).toBe(true);
    expect(sameSet(['a', 'b'], ['a', 'c'])).toBe(false);
    expect(sameSet(['a'], ['a', 'b'])).toBe(false);
  });
});

describe('nearestRank', () => {
  it('takes the value at rank ⌈p/100 × n⌉ of the sorted values (the textbook example)', () => {
    const values = [50, 15, 40, 20, 35];
    expect(nearestRank(values, 5)).toBe(15);
    expect(nearestRank(values, 30)).toBe(20);
    expect(nearestRank(values, 40)).toBe(20);
    expect(nearestRank(values, 50)).toBe(35);
    expect(nearestRank(values, 100)).toBe(50);
    expect(values).toEqual([50, 15, 40, 20, 35]);
  });

  it('p50 and p95 of 1..20 are 10 and 19; one value is every percentile', () => {
    const values = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(nearestRank(values, 50)).toBe(10);
    expect(nearestRank(values, 95)).toBe(19);
    expect(nearestRank([7], 50)).toBe(7);
    expect(nearestRank([7], 95)).toBe(7);
  });

  it('is null for no values and refuses a percentile outside (0, 100]', () => {
    expect(nearestRank([], 50)).toBeNull();
    expect(() => nearestRank([1], 0)).toThrow(RangeError);
    expect(() => nearestRank([1], 101)).toThrow(RangeError);
  });

  it('mean is null for no values', () => {
    expect(mean([])).toBeNull();
    expect(mean([1, 2, 6])).toBe(3);
  });
});
