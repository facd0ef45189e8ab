import { describe, expect, it } from 'vitest';
import { percentile, table } from './bench-stats.js';

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const values = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 95)).toBe(10);
    expect(percentile(values, 100)).toBe(10);
    expect(percentile([7], 50)).toBe(7);
  });

  it('is NaN without values', () => {
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('table', () => {
  it('aligns columns under a header rule', () => {
    expect(table([['goal', 'result'], ['keyword p50', '3.1 ms']])).toBe('goal         result\n-----------  ------\nkeyword p50  3.1 ms');
  });
});
