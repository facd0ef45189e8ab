import { describe, expect, it } from 'vitest';
import { planKeywordFetch } from './keyword-fetch-plan.js';

describe('planKeywordFetch', () => {
  const df = (table: Record<string, number>) => (term: string) => table[term] ?? 0;

  it('fetches every held term while their chunks fit the budget: complete', () => {
    expect(planKeywordFetch(['b', 'a', 'gone'], df({ a: 10, b: 900 }), 0, 1000)).toEqual({ fetch: ['a', 'b'], complete: true });
  });

  it('fetches rarest first and stops at the first term past the budget', () => {
    const frequencies = df({ rare: 3, mid: 600, common: 2000, huge: 50_000 });
    expect(planKeywordFetch(['huge', 'common', 'rare', 'mid'], frequencies, 5, 2000)).toEqual({ fetch: ['rare', 'mid'], complete: false });
  });

  it('fetches terms within the rare-term limit whatever the budget', () => {
    expect(planKeywordFetch(['x', 'y'], df({ x: 50, y: 40 }), 60, 10)).toEqual({ fetch: ['y', 'x'], complete: true });
  });

  it('falls back to the two rarest when every term is past the budget', () => {
    expect(planKeywordFetch(['a', 'b', 'c'], df({ a: 9000, b: 5000, c: 7000 }), 60, 2000)).toEqual({ fetch: [], fallback: ['b', 'c'], complete: false });
    expect(planKeywordFetch(['a'], df({ a: 9000 }), 60, 2000)).toEqual({ fetch: [], fallback: ['a'], complete: false });
  });

  it('has nothing to fetch when no chunk holds a term, and counts a repeated term once', () => {
    expect(planKeywordFetch(['none'], df({}), 60)).toEqual({ fetch: [], complete: true });
    expect(planKeywordFetch(['a', 'a'], df({ a: 1500 }), 0, 2000)).toEqual({ fetch: ['a'], complete: true });
  });
});
