import { describe, expect, it } from 'vitest';
import { createPageGlyphs, GLYPH_KIND, layoutPage, type PageGlyphs } from './pdf-layout.js';

/** A run of characters as a PDF library reports them: one box per character, each `advance` wide. */
interface Run {
  text: string;
  x: number;
  /** Bottom of the font box. */
  y: number;
  size?: number;
  /** Width of each character. @default half the size */
  advance?: number;
  /** Every character starts at `x` (the pieces of a ligature share one box). */
  sameBox?: boolean;
  rotated?: boolean;
}

function glyphs(runs: readonly Run[]): PageGlyphs {
  const count = runs.reduce((n, r) => n + [...r.text].length, 0);
  const page = createPageGlyphs(count);
  let k = 0;
  for (const run of runs) {
    const size = run.size ?? 10;
    const advance = run.advance ?? size / 2;
    [...run.text].forEach((ch, i) => {
      const left = run.sameBox ? run.x : run.x + i * advance;
      page.codes[k] = ch.codePointAt(0) as number;
      page.kinds[k] = ch === ' ' ? GLYPH_KIND.space : run.rotated ? GLYPH_KIND.rotated : GLYPH_KIND.upright;
      page.x0[k] = left;
      page.x1[k] = left + advance;
      page.bottom[k] = run.y;
      page.top[k] = run.y + size * 1.2;
      page.size[k] = size;
      k++;
    });
  }
  return page;
}

const texts = (runs: readonly Run[]): string[] => layoutPage(glyphs(runs)).map((line) => line.text);

describe('layoutPage', () => {
  it('puts a space where the gap between characters is a word space, not between kerned letters', () => {
    expect(
      texts([
        { text: 'word', x: 0, y: 700 },
        { text: 'gap', x: 23, y: 700 },
      ]),
    ).toEqual(['word gap']);
    expect(
      texts([
        { text: 'ab', x: 0, y: 700 },
        { text: 'cd', x: 10.5, y: 700 },
      ]),
    ).toEqual(['abcd']);
  });

  it('reads the pieces of a ligature in order (they share one box)', () => {
    const runs = [
      { text: 'speci', x: 0, y: 700 },
      { text: 'fi', x: 25, y: 700, sameBox: true },
      { text: 'ed', x: 30, y: 700 },
    ];
    expect(texts(runs)).toEqual(['specified']);
  });

  it('keeps a subscript in its name and sets a superscript apart', () => {
    const subscript = [
      { text: 'e', x: 0, y: 700 },
      { text: '7', x: 5, y: 697, size: 6, advance: 3 },
    ];
    const superscript = [
      { text: '2', x: 0, y: 700 },
      { text: 'XLEN', x: 5, y: 705, size: 6, advance: 3 },
    ];
    expect(texts(subscript)).toEqual(['e7']);
    expect(texts(superscript)).toEqual(['2 XLEN']);
  });

  it('orders lines top to bottom and separates wide gaps as table cells', () => {
    const lines = layoutPage(
      glyphs([
        { text: 'second', x: 0, y: 680 },
        { text: 'first', x: 0, y: 700 },
        { text: 'cell', x: 45, y: 700 },
      ]),
    );
    expect(lines.map((l) => l.text)).toEqual(['first  cell', 'second']);
    expect(lines[0]).toMatchObject({ x: 0, size: 10 });
  });

  it('reads the left column before the right one, even where their baselines differ', () => {
    const runs: Run[] = [];
    for (let i = 0; i < 8; i++) {
      runs.push({ text: `left column line ${i} of text here`, x: 50, y: 700 - i * 12 });
      // The right column is set 2 points lower and in a larger font.
      runs.push({ text: `right column line ${i} of text`, x: 300, y: 698 - i * 12, size: 10.5 });
    }
    const out = texts(runs);
    expect(out).toEqual([
      ...Array.from({ length: 8 }, (_, i) => `left column line ${i} of text here`),
      ...Array.from({ length: 8 }, (_, i) => `right column line ${i} of text`),
    ]);
  });

  it('keeps rotated text, after the page’s lines', () => {
    expect(
      texts([
        { text: 'body', x: 0, y: 700 },
        { text: 'arXiv stamp', x: 10, y: 300, rotated: true },
      ]),
    ).toEqual(['body', 'arXiv stamp']);
  });
});
