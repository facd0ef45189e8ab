import { describe, expect, it } from 'vitest';
import { analyze, analyzeQuery, analyzeQueryGroups } from './text-analysis.js';

describe('analyze keeps technical tokens findable', () => {
  it.each([
    ['funct3', ['funct3']],
    ['RV32I', ['rv32i']],
    ['0x7b0', ['0x7b0']],
    ['mstatus.MIE', ['mstatus.mie', 'mstatu', 'mie']], // parts are stemmed like words, so the query 'mstatus' matches
    ['x0-x31', ['x0-x31', 'x0', 'x31']],
    ['1.61', ['1.61']],
    ['v1.7', ['v1.7']],
    ['Version 1.7', ['version', 'v1.7', '1.7']],
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

  it('matches a version written as v1.7 against "Version 1.7" and back', () => {
    expect(analyze('Privileged Architecture Version 1.7')).toContain(analyzeQuery('v1.7')[0]);
    expect(analyzeQuery('version 2.1')).toContain(analyze('spec v2.1')[1]);
    expect(analyze('Table 1.7 lists')).not.toContain('v1.7');
    expect(analyzeQueryGroups('the Version 1.7 spec')).toEqual([['version'], ['v1.7', '1.7'], ['spec']]);
  });

  it('repairs words hyphenated at a line end', () => {
    expect(analyze('vali-dation')).toContain('valid');
  });

  it('normalises typography: en dashes, ligatures, curly quotes, case', () => {
    expect(analyze('x0–x31 ﬁeld')).toEqual(analyze('X0-X31 field'));
  });
});
