import { describe, expect, it } from 'vitest';

/** The shapes of the browser module under test (plain JS, loaded as the page loads it). */
interface TextItem {
  str?: string;
  hasEOL?: boolean;
  height?: number;
}
interface PageText {
  text: string;
  item: Int32Array;
  offset: Int32Array;
}
interface TextRange {
  start: number;
  end: number;
  kind: 'cited' | 'term';
}
interface ViewerHighlightModule {
  questionTerms(text: string): string[];
  pageText(items: TextItem[]): PageText;
  sentenceRanges(page: PageText): Array<{ start: number; end: number }>;
  findQuote(page: PageText, cite: string): TextRange[];
  pageHighlights(
    page: PageText,
    options: { terms?: string[]; cite?: string }
  ): { cited: TextRange[]; terms: TextRange[]; otherTerms: number; citedBy: string | null; quoteMissing: boolean };
  itemRuns(page: PageText, ranges: TextRange[]): Map<number, Array<{ from: number; to: number; bits: number }>>;
}

const hl = (await import(new URL('../public/viewer-highlight.js', import.meta.url).href)) as ViewerHighlightModule;

/** Page 2 of a generated PDF as pdf.js 5 gives its text: a heading, then lines wrapped at the margin, an empty item ending the heading's line. */
const items: TextItem[] = [
  { str: 'Thresholds', hasEOL: false, height: 18 },
  { str: '', hasEOL: true, height: 0 },
  {
    str: 'Each hart context has a priority threshold register. Only interrupt sources with a',
    hasEOL: true,
    height: 11,
  },
  {
    str: 'priority strictly greater than the threshold can notify the context, which the gate-',
    hasEOL: true,
    height: 11,
  },
  { str: 'way forwards.', hasEOL: true, height: 11 },
  { str: 'Gardening ', hasEOL: false, height: 11 },
  { type: 'beginMarkedContent' } as TextItem,
  { str: 'notes follow.', hasEOL: false, height: 11 },
  { type: 'endMarkedContent' } as TextItem,
];
const page = hl.pageText(items);
const texts = (ranges: Array<{ start: number; end: number }>) => ranges.map((r) => page.text.slice(r.start, r.end));
const QUESTION = 'Which interrupt sources can notify a hart context with a priority threshold?';

describe('the page text joined from pdf.js items', () => {
  it('reads as one text: line ends become spaces, a word hyphenated at a line end is joined, marked-content entries are skipped', () => {
    expect(page.text).toBe(
      'Thresholds Each hart context has a priority threshold register. Only interrupt sources with a priority strictly greater than the threshold can notify the context, which the gateway forwards. Gardening notes follow.'
    );
  });

  it('maps every character back to its item and offset (items counted as the text layer counts its spans)', () => {
    const at = page.text.indexOf('gateway');
    // "gate" from item 3, "way" from item 4; item 7 is "notes follow." (the empty item 1 has a span too).
    expect([page.item[at], page.offset[at]]).toEqual([3, items[3]?.str?.indexOf('gate')]);
    expect([page.item[at + 4], page.offset[at + 4]]).toEqual([4, 0]);
    const notes = page.text.indexOf('notes');
    expect([page.item[notes], page.offset[notes]]).toEqual([6, 0]);
    // The space between "Gardening " and "notes" is the one at the end of item 5.
    expect([page.item[notes - 1], page.offset[notes - 1]]).toEqual([5, 9]);
  });

  it('splits sentences at full stops and where the heading ends', () => {
    expect(texts(hl.sentenceRanges(page))).toEqual([
      'Thresholds',
      'Each hart context has a priority threshold register.',
      'Only interrupt sources with a priority strictly greater than the threshold can notify the context, which the gateway forwards.',
      'Gardening notes follow.',
    ]);
  });
});

describe('what is highlighted', () => {
  it('the sentence that best matches the question, across the lines it spans; every word of the question', () => {
    const found = hl.pageHighlights(page, { terms: hl.questionTerms(QUESTION) });
    expect(found.citedBy).toBe('question');
    expect(texts(found.cited)[0]).toMatch(/^Only interrupt sources .* forwards\.$/);
    expect(texts(found.terms)).toContain('Thresholds');
    expect(texts(found.terms)).not.toContain('Gardening');
    const runs = hl.itemRuns(page, found.cited.slice(0, 1));
    // The sentence covers the end of item 2, all of item 3 and item 4; nothing of the others.
    expect([...runs.keys()].sort()).toEqual([2, 3, 4]);
    expect(runs.get(2)).toEqual([{ from: items[2]?.str?.indexOf('Only'), to: items[2]?.str?.length, bits: 2 }]);
    expect(runs.get(4)).toEqual([{ from: 0, to: 'way forwards.'.length, bits: 2 }]);
  });

  it('a word of the question inside a cited sentence is both kinds', () => {
    const found = hl.pageHighlights(page, { terms: hl.questionTerms(QUESTION) });
    const runs = hl.itemRuns(page, [...found.cited, ...found.terms]);
    const line = items[3]?.str ?? '';
    expect(runs.get(3)?.find((r) => r.from === line.indexOf('notify'))).toEqual({
      from: line.indexOf('notify'),
      to: line.indexOf('notify') + 6,
      bits: 3,
    });
  });

  it('nothing is cited when no sentence holds two of the question’s words, and unrelated questions mark nothing', () => {
    expect(hl.pageHighlights(page, { terms: hl.questionTerms('How do roses grow in gardening?') })).toMatchObject({
      cited: [],
      citedBy: null,
    });
    expect(hl.pageHighlights(page, { terms: hl.questionTerms('What is the weather?') }).terms).toEqual([]);
  });

  it('a quoted passage is found whatever its spacing, hyphenation or a cut-off end, and wins over the question', () => {
    const found = hl.pageHighlights(page, {
      terms: hl.questionTerms(QUESTION),
      cite: 'Each  hart context has a priority\nthreshold register. Only interrupt sources with a priority strictly greater than the thre…',
    });
    expect(found.citedBy).toBe('quote');
    expect(texts(found.cited)).toEqual([
      'Each hart context has a priority threshold register. Only interrupt sources with a priority strictly greater than the',
    ]);
    expect(texts(hl.findQuote(page, 'the gate-way forwards'))).toEqual(['the gateway forwards']);
  });

  it('a quote not on the page falls back to the question and says so; its sentences found one by one count', () => {
    const missing = hl.pageHighlights(page, {
      terms: hl.questionTerms(QUESTION),
      cite: 'A sentence that is on another page entirely.',
    });
    expect(missing).toMatchObject({ citedBy: 'question', quoteMissing: true });
    expect(
      texts(hl.findQuote(page, 'Not here at all, no. Each hart context has a priority threshold register.'))
    ).toEqual(['Each hart context has a priority threshold register']);
  });
});
