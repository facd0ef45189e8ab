import { describe, expect, it, vi } from 'vitest';

type Analyze = (text: string) => string[];

/** A fresh copy of the module: its token cache is empty. */
async function freshAnalyze(): Promise<Analyze> {
  vi.resetModules();
  return (await import('./text-analysis.js')).analyze;
}

/** Words that take every path of the analyzer: plain, stopwords, versions, compounds, possessives, Unicode. */
const VOCABULARY = [
  'version',
  'Version',
  '1.7',
  'v1.7',
  'v2',
  '2.0.1',
  'registers',
  'Register',
  'the',
  'The',
  'of',
  'e.g.',
  'i.e',
  'x0-x31',
  'mstatus.MIE',
  'funct3',
  'RV32I',
  '0x7b0',
  'vali-dation',
  'floating-point',
  "RISC-V's",
  'hart’s',
  'it’s',
  'a',
  'b-c-d',
  'page-table',
  'naïve',
  'Ärger',
  'ﬁle',
  'ﬂoating',
  '𝑥',
  'x²',
  '—',
  'co–operate',
  'validation',
  'validating',
  'is',
  'an',
  'according',
  'per',
  'etc',
  'IEEE-754',
  '3.14',
  'sub_field',
  'snake_case_name',
  "o'clock",
  'don’t',
  'U.S.A.',
];
const SEPARATORS = [' ', ' ', ' ', ', ', '. ', '\n', ' (', ') ', ': ', '; ', '/', ' - '];

function texts(count: number, seed: number): string[] {
  let state = seed;
  const next = (n: number): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state % n;
  };
  return Array.from({ length: count }, () => {
    let text = '';
    for (let i = 0, n = 5 + next(60); i < n; i++)
      text += VOCABULARY[next(VOCABULARY.length)] + (SEPARATORS[next(SEPARATORS.length)] as string);
    return text;
  });
}

describe('analyze', () => {
  it('gives the same terms whatever it analyzed before (its token cache never changes the output)', async () => {
    const samples = [
      ...texts(40, 7),
      'Version 1.7 and 1.7, then version 1.7 again',
      '1.7 version 1.7 v1.7 Version 2.0.1',
    ];
    const cold: string[][] = [];
    for (const text of samples) cold.push((await freshAnalyze())(text));
    const warm = await freshAnalyze();
    for (const text of samples) warm(text);
    expect(samples.map((text) => warm(text))).toEqual(cold);
    expect([...samples].reverse().map((text) => warm(text))).toEqual([...cold].reverse());
  });
});
