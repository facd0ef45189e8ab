import { describe, expect, it } from 'vitest';
import { formatUsd } from './format.js';

describe('formatUsd', () => {
  it('keeps two significant digits below a cent and two decimals above', () => {
    expect([0, 0.005, 0.01, 0.015, 0.0146, 0.02, 1.5, 1234.567].map(formatUsd)).toEqual(['$0', '$0.005', '$0.01', '$0.015', '$0.015', '$0.02', '$1.50', '$1234.57']);
    expect(formatUsd(0.00000123)).toBe('$0.0000012');
  });
});
