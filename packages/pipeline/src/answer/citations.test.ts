import { describe, expect, it } from 'vitest';
import { parseCitations } from './citations.js';

describe('parseCitations', () => {
  it('keeps valid citations in order of use and removes invented or out-of-range ones', () => {
    const parsed = parseCitations('RV32I has 32 registers [2]. x0 is zero [1, 7]. Loads [9]. See [2-3].', 3);
    expect(parsed.used).toEqual([2, 1, 3]);
    expect(parsed.invalid).toEqual([7, 9]);
    expect(parsed.text).toBe('RV32I has 32 registers [2]. x0 is zero [1]. Loads. See [2][3].');
  });

  it('handles adjacent citations and no citations', () => {
    expect(parseCitations('a [1][2]', 2)).toEqual({ used: [1, 2], invalid: [], text: 'a [1][2]' });
    expect(parseCitations('nothing cited', 2)).toEqual({ used: [], invalid: [], text: 'nothing cited' });
  });
});
