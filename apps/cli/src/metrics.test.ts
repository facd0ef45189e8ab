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

describe('citation support and summaries', () => {
  it('counts a cited page as support when the evidence names it or its text holds the evidence quote', async () => {
    const { citationSupported } = await import('./metrics.js');
    const evidence = [{ doc: 'spec.pdf', pages: [40], quote: 'as it must live in the same voltage/frequency domain as the real-time clock' }];
    expect(citationSupported({ doc: 'spec.pdf', page: 40 }, evidence, '')).toBe(true);
    // Another page (or edition) with the same words, hyphenated and wrapped differently.
    expect(citationSupported({ doc: 'old.pdf', page: 7 }, evidence, 'It must live in the same volt-\nage/frequency domain as the Real-Time Clock.')).toBe(false);
    expect(citationSupported({ doc: 'old.pdf', page: 7 }, evidence, '… as it must live in the same volt-\nage/frequency domain as the real-time clock, which …')).toBe(true);
    expect(citationSupported({ doc: 'spec.pdf', page: 41 }, evidence, 'unrelated text')).toBe(false);
  });

  it('matches sections when the evidence names them', async () => {
    const { unitMatches } = await import('./metrics.js');
    const evidence = { doc: 'config.html', pages: [1], sections: ['GUC-WORK-MEM'] };
    expect(unitMatches({ doc: 'config.html', page: 1, section: 'GUC-WORK-MEM' }, evidence)).toBe(true);
    expect(unitMatches({ doc: 'config.html', page: 1, section: 'GUC-SHARED-BUFFERS' }, evidence)).toBe(false);
    expect(unitMatches({ doc: 'config.html', page: 1 }, evidence)).toBe(false);
  });

  it('summarises ranks, refusals, citation support and expected content', async () => {
    const { summarize } = await import('./metrics.js');
    const s = summarize([
      { id: 'a', category: 'fact', answerable: true, rank: 0, refused: false, cited: 2, supported: 1, containsExpected: true },
      { id: 'b', category: 'fact', answerable: true, rank: 4, refused: true, cited: 0, supported: 0 },
      { id: 'c', category: 'numeric', answerable: true, rank: -1, refused: false, cited: 1, supported: 1, containsExpected: false },
      { id: 'd', category: 'out_of_scope', answerable: false, rank: -1, refused: true, cited: 0, supported: 0 },
    ]);
    expect(s.inScope).toMatchObject({ questions: 3, hitAt1: 1 / 3, hitAt5: 2 / 3 });
    expect(s.inScope.mrrAt10).toBeCloseTo((1 + 1 / 5) / 3);
    expect(Object.keys(s.categories)).toEqual(['fact', 'numeric']);
    expect(s.refusals).toMatchObject({ outOfScope: 1, outOfScopeRefused: 1, inScope: 3, inScopeRefused: 1 });
    expect(s.citationSupport).toEqual({ cited: 3, supported: 2, share: 2 / 3 });
    expect(s.expectedContent).toEqual({ answers: 2, containing: 1, share: 0.5 });
  });
});
