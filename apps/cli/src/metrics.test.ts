import { describe, expect, it } from 'vitest';
import { firstRelevantRank, retrievalMetrics } from './metrics.js';

describe('eval metrics', () => {
  it('finds the first page that matches any evidence, within the top 10', () => {
    const retrieved = [
      { doc: 'a.pdf', page: 3, score: 1 },
      { doc: 'b.pdf', page: 7, score: 0.9 },
      { doc: 'a.pdf', page: 4, score: 0.8 },
    ];
    expect(firstRelevantRank(retrieved, [{ doc: 'a.pdf', pages: [4] }])).toBe(2);
    expect(firstRelevantRank(retrieved, [{ doc: 'c.pdf', pages: [1] }, { doc: 'b.pdf', pages: [7, 8] }])).toBe(1);
    expect(firstRelevantRank(retrieved, [{ doc: 'a.pdf', pages: [9] }])).toBe(-1);
  });

  it('computes hit@k and MRR@10', () => {
    const m = retrievalMetrics([0, 1, 4, 9, -1]);
    expect(m.hitAt1).toBeCloseTo(1 / 5);
    expect(m.hitAt5).toBeCloseTo(3 / 5);
    expect(m.hitAt10).toBeCloseTo(4 / 5);
    expect(m.mrrAt10).toBeCloseTo((1 + 1 / 2 + 1 / 5 + 1 / 10) / 5);
  });
});
