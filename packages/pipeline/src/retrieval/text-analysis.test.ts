import { describe, expect, it } from 'vitest';
import { analyze, analyzeQuery } from './text-analysis.js';

describe('analyze keeps technical tokens findable', () => {
  it.each([
    ['funct3', ['funct3']],
    ['RV32I', ['rv32i']],
    ['0x7b0', ['0x7b0']],
    ['mstatus.MIE', ['mstatus.mie', 'mstatu', 'mie']], // parts are stemmed like words, so the query 'mstatus' matches
    ['x0-x31', ['x0-x31', 'x0', 'x31']],
    ['1.61', ['1.61']],
  ])('%s', (text, expected) => {
    expect(analyze(text)).toEqual(expected);
  });

  it('matches a query for a part against the compound', () => {
    const doc = new Set(analyze('The MIE bit of mstatus.MIE enables interrupts.'));
    for (const term of analyzeQuery('mstatus MIE interrupt')) expect(doc.has(term)).toBe(true);
  });

  it('stems plain words and drops stopwords', () => {
    expect(analyze('The registers are validated')).toEqual(['regist', 'valid']);
    expect(analyzeQuery('register validation')).toEqual(['regist', 'valid']);
  });

  it('repairs words hyphenated at a line end', () => {
    expect(analyze('vali-dation')).toContain('valid');
  });

  it('normalises typography: en dashes, ligatures, curly quotes, case', () => {
    expect(analyze('x0–x31 ﬁeld')).toEqual(analyze('X0-X31 field'));
  });
});
