import { describe, expect, it } from 'vitest';
import { specificTerms } from './specific-terms.js';

const tokens = (q: string): string[] => specificTerms(q).map((t) => t.token);

describe('specificTerms', () => {
  it('finds identifiers, mixed-case and all-caps names, and capitalised words inside a sentence', () => {
    expect(tokens('How does amocas.d from the Zacas extension use RV32 register pairs?')).toEqual(['amocas.d', 'Zacas', 'RV32']);
    expect(tokens('What SPECint2006 score per GHz does the SiFive P670 core achieve?')).toEqual(['SPECint2006', 'GHz', 'SiFive', 'P670']);
    expect(tokens('Which activities does IEC 81001-5-1 require?')).toEqual(['IEC', '81001-5-1']);
    expect(tokens('Can you explain the offside rule in association football?')).toEqual([]);
  });

  it('leaves out the first word of a sentence, stopwords, numbers and numbers with units', () => {
    expect(tokens('Which 32-bit register holds 12 values in Kubernetes? Kubernetes does not. I think so.')).toEqual(['Kubernetes']);
    expect(tokens('In May the spec changed.')).toEqual([]);
  });

  it('gives a compound its whole form and its longest part, each word once', () => {
    expect(specificTerms('Is cm.popret in Zcmp? Zcmp again.')).toEqual([
      { token: 'cm.popret', forms: ['cm.popret', 'popret'] },
      { token: 'Zcmp', forms: ['zcmp'] },
    ]);
    expect(specificTerms('the mstatus.MIE bit')[0]?.forms).toEqual(['mstatus.mie', 'mstatu']);
    // A snake_case identifier only whole: its parts are ordinary words.
    expect(specificTerms('What does transaction_timeout control?')[0]?.forms).toEqual(['transaction_timeout']);
    // Not the joined form the analyzer adds for hyphenated words.
    expect(specificTerms('the GFDM-on-RVV paper')[0]?.forms).toEqual(['gfdm-on-rvv', 'gfdm']);
  });
});
