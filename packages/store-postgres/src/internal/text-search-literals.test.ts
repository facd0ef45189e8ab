import { describe, expect, it } from 'vitest';
import { anyTermQuery, chunkIndexEntry, distinctTerms, indexableTerm, quoteLexeme } from './text-search-literals.js';

describe('tsvector and tsquery literals', () => {
  it('quotes every lexeme, doubling quotes and backslashes', () => {
    expect(quoteLexeme('funct3')).toBe("'funct3'");
    expect(quoteLexeme("it's")).toBe("'it''s'");
    expect(quoteLexeme('a\\b')).toBe("'a\\\\b'");
    expect(quoteLexeme('a|b & !c:*')).toBe("'a|b & !c:*'");
  });

  it('puts body terms at 1…n and heading terms after them with weight B', () => {
    const entry = chunkIndexEntry('set mstatus.mie to set', 'traps mstatus.mie');
    expect(entry.tsvector).toBe("'set':1,4 'mstatus.mie':2,6B 'to':3 'traps':5B");
    expect(entry.lexemes).toEqual(['set', 'mstatus.mie', 'to', 'traps']);
    expect(entry.termCount).toBe(4);
  });

  it('keeps PostgreSQL limits: positions up to 16383, at most 255 per term, no lexeme over 2,047 bytes', () => {
    const many = chunkIndexEntry(Array.from({ length: 300 }, () => 'x').join(' '), '');
    expect(many.tsvector.split(',').length).toBe(255);
    expect(many.termCount).toBe(300);
    const long = chunkIndexEntry(`${Array.from({ length: 16390 }, (_, i) => `t${i}`).join(' ')}`, '');
    expect(long.tsvector).toContain("'t16389':16383");
    const huge = 'é'.repeat(1024);
    expect(indexableTerm(huge)).toBe(false);
    expect(chunkIndexEntry(`ok ${huge}`, '').lexemes).toEqual(['ok']);
    expect(chunkIndexEntry(`ok ${huge}`, '').termCount).toBe(2);
  });

  it('skips empty terms from repeated spaces', () => {
    expect(distinctTerms('a  b a ', ' c')).toEqual(new Set(['a', 'b', 'c']));
  });

  it('ORs quoted terms into a tsquery, none when no term can be a lexeme', () => {
    expect(anyTermQuery(['v1.7', '0x7b0'])).toBe("'v1.7' | '0x7b0'");
    expect(anyTermQuery(['', 'é'.repeat(2000)])).toBeUndefined();
  });
});
