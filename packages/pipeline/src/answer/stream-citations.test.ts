import { describe, expect, it } from 'vitest';
import { parseCitations } from './citations.js';
import { StreamingCitationCleaner } from './stream-citations.js';

/** Streams the text in pieces of the given sizes and returns what a reader saw after each piece. */
function streamed(text: string, sources: number, sizes: number[]): { seen: string[]; whole: string } {
  const cleaner = new StreamingCitationCleaner(sources);
  const seen: string[] = [];
  let whole = '';
  let at = 0;
  let i = 0;
  while (at < text.length) {
    const size = sizes[i++ % sizes.length] as number;
    whole += cleaner.push(text.slice(at, at + size));
    seen.push(whole);
    at += size;
  }
  whole += cleaner.end();
  return { seen, whole };
}

describe('StreamingCitationCleaner', () => {
  it('never shows an invalid citation, in any split of the stream', () => {
    const text = 'The timer fires at mtimecmp [1][9]. It is memory-mapped [7] per hart [2, 8]; see [3-4].';
    for (const sizes of [[1], [2], [3], [5, 1], [7, 2, 1], [1000]]) {
      const { seen, whole } = streamed(text, 3, sizes);
      for (const visible of seen) {
        expect(visible).not.toMatch(/\[9\]|\[7\]|8\]|\[4\]|\[9|\[7/);
      }
      expect(whole).toBe(parseCitations(text, 3).text);
      expect(whole).toBe('The timer fires at mtimecmp [1]. It is memory-mapped per hart [2]; see [3].');
    }
  });

  it('passes brackets that are not citations through, and flushes what it held at the end', () => {
    expect(streamed('Use rs1[4:0] and x[i] here [2', 3, [1]).whole).toBe('Use rs1[4:0] and x[i] here [2');
    expect(streamed('Array [ 1 ] and [a] stay.', 3, [4]).whole).toBe('Array [ 1 ] and [a] stay.');
  });

  it('holds back at most a short bracket: long bracketed numbers are text', () => {
    const cleaner = new StreamingCitationCleaner(2);
    const shown = cleaner.push('values [1 2 3 4 5 6 7 8 9 10 11 12 13');
    expect(shown).toContain('[1 2 3 4 5 6 7 8 9 10');
  });
});
