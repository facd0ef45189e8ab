/**
 * Page layout from character boxes: characters become fragments (runs on one baseline), fragments
 * become lines, and lines are put in reading order, with the two columns of a two-column page read
 * one after the other. Pure geometry, independent of the PDF library that measured the characters.
 */

/** How a character takes part in the layout. */
export const GLYPH_KIND = {
  /** A visible character written left to right. */
  upright: 0,
  /** A space (written, or inserted by the PDF library between words). */
  space: 1,
  /** A line break inserted by the PDF library. */
  lineBreak: 2,
  /** A character on a rotated or vertical baseline. */
  rotated: 3,
  /** Nothing to keep (control characters, unmapped glyphs). */
  skip: 4,
} as const;

/**
 * The characters of one page in content order, as parallel arrays (at least `count` long), in
 * display coordinates (points, y grows upwards). Horizontal extents are origin to origin + advance; vertical ones the font's
 * descent to ascent, so every character of a line has about the same box.
 */
export interface PageGlyphs {
  count: number;
  /** Unicode code point of each character. */
  codes: Uint32Array;
  /** A {@link GLYPH_KIND} per character. */
  kinds: Uint8Array;
  x0: Float32Array;
  x1: Float32Array;
  bottom: Float32Array;
  top: Float32Array;
  /** Font size in points, after the text matrix. */
  size: Float32Array;
}

/** A line of a page in reading order. */
export interface LayoutLine {
  text: string;
  /** Height of the bottom of its font box, just below the baseline (display coordinates, y up). */
  y: number;
  x: number;
  endX: number;
  /** The font size of most of its characters. */
  size: number;
  /** Written on a rotated baseline: kept, but never a heading or a running header. */
  rotated?: boolean;
}

/** Allocates the arrays of a page with room for `count` characters. */
export function createPageGlyphs(count: number): PageGlyphs {
  return {
    count,
    codes: new Uint32Array(count),
    kinds: new Uint8Array(count),
    x0: new Float32Array(count),
    x1: new Float32Array(count),
    bottom: new Float32Array(count),
    top: new Float32Array(count),
    size: new Float32Array(count),
  };
}

/** A space wider than this many ems between characters separates words. */
const WORD_GAP_EM = 0.15;
/** A gap wider than this ends a fragment (so fragments never bridge a column gutter). */
const FRAGMENT_GAP_EM = 0.8;
/** A gap wider than this between fragments of a line separates table cells (rendered as two spaces). */
const CELL_GAP_EM = 1.5;

interface Fragment {
  text: string;
  x0: number;
  x1: number;
  /** Box and size of its largest character (superscripts do not move it). */
  bottom: number;
  top: number;
  size: number;
  /** Visible characters. */
  chars: number;
}

/** Collects code points and turns them into a string in bounded pieces. */
class TextBuilder {
  private codes: number[] = [];
  private pieces: string[] = [];
  /** The last code point pushed since the last {@link take} (0 when none). */
  lastCode = 0;
  /** Whether a pushed code point needs two UTF-16 units (String.fromCharCode cannot take it). */
  private astral = false;
  push(code: number): void {
    this.codes.push(code);
    this.lastCode = code;
    if (code > 0xffff) this.astral = true;
    if (this.codes.length >= 4096) this.flushCodes();
  }
  get empty(): boolean {
    return this.lastCode === 0;
  }
  take(): string {
    this.flushCodes();
    const text = this.pieces.length === 1 ? (this.pieces[0] as string) : this.pieces.join('');
    this.pieces = [];
    this.lastCode = 0;
    return text;
  }
  private flushCodes(): void {
    if (this.codes.length)
      this.pieces.push(this.astral ? String.fromCodePoint(...this.codes) : String.fromCharCode(...this.codes));
    this.codes = [];
    this.astral = false;
  }
}

const SPACE = 0x20;

/** Splits a page's characters into fragments (content order) and rotated runs. */
function buildFragments(glyphs: PageGlyphs): {
  fragments: Fragment[];
  rotated: string[];
} {
  const { codes, kinds, x0, x1, bottom, top, size } = glyphs;
  const fragments: Fragment[] = [];
  const rotated: string[] = [];
  const text = new TextBuilder();
  const rotatedText = new TextBuilder();
  let current: Fragment | undefined;
  /** The fragment's last character: the pieces of a ligature (f, i of "fi") share one box. */
  let lastLeft = 0;
  let lastBottom = 0;
  let lastSize = 0;
  let pendingSpace = false;
  let rotatedSpace = false;
  const close = (): void => {
    if (current) {
      current.text = text.take();
      fragments.push(current);
    }
    current = undefined;
  };
  const closeRotated = (): void => {
    if (!rotatedText.empty) {
      const run = rotatedText.take().trim();
      if (run) rotated.push(run);
    }
    rotatedSpace = false;
  };
  for (let k = 0; k < glyphs.count; k++) {
    const kind = kinds[k];
    if (kind === GLYPH_KIND.skip) continue;
    if (kind === GLYPH_KIND.space) {
      pendingSpace = true;
      rotatedSpace = true;
      continue;
    }
    if (kind === GLYPH_KIND.lineBreak) {
      closeRotated();
      continue;
    }
    const code = codes[k] as number;
    if (kind === GLYPH_KIND.rotated) {
      if (rotatedSpace && !rotatedText.empty) rotatedText.push(SPACE);
      rotatedSpace = false;
      rotatedText.push(code);
      continue;
    }
    const left = x0[k] as number;
    const right = x1[k] as number;
    const low = bottom[k] as number;
    const high = top[k] as number;
    const em = size[k] as number;
    if (current) {
      const scale = Math.max(em, current.size);
      const overlap = Math.min(high, current.top) - Math.max(low, current.bottom);
      const height = Math.min(high - low, current.top - current.bottom);
      const sameRow = height > 0 ? overlap >= 0.5 * height : Math.abs(low - current.bottom) < 0.3 * scale;
      const gap = left - current.x1;
      if (sameRow && (gap > -0.5 * scale || left >= lastLeft) && gap <= FRAGMENT_GAP_EM * scale) {
        // A superscript (smaller and raised) is a word of its own: `2 XLEN`, `word 1`; a subscript
        // stays part of its name (`e7`, `x0`).
        const script =
          (em < 0.85 * lastSize && low > lastBottom + 0.15 * scale) ||
          (lastSize < 0.85 * em && lastBottom > low + 0.15 * scale);
        if ((pendingSpace || script || gap > WORD_GAP_EM * scale) && text.lastCode !== SPACE) text.push(SPACE);
        text.push(code);
        if (right > current.x1) current.x1 = right;
        if (em > current.size) {
          current.size = em;
          current.bottom = low;
          current.top = high;
        }
        current.chars++;
        lastLeft = left;
        lastBottom = low;
        lastSize = em;
        pendingSpace = false;
        continue;
      }
      close();
    }
    current = {
      text: '',
      x0: left,
      x1: right,
      bottom: low,
      top: high,
      size: em,
      chars: 1,
    };
    lastLeft = left;
    lastBottom = low;
    lastSize = em;
    text.push(code);
    pendingSpace = false;
  }
  close();
  closeRotated();
  return { fragments, rotated };
}

interface Row {
  fragments: Fragment[];
  /** The box of its largest fragment. */
  bottom: number;
  top: number;
  size: number;
}

/** Groups fragments whose boxes overlap vertically by at least half the smaller height; rows run top to bottom. */
function buildRows(fragments: readonly Fragment[]): Row[] {
  const sorted = [...fragments].sort((a, b) => b.bottom + b.top - (a.bottom + a.top) || a.x0 - b.x0);
  const rows: Row[] = [];
  let row: Row | undefined;
  for (const fragment of sorted) {
    if (row) {
      const overlap = Math.min(fragment.top, row.top) - Math.max(fragment.bottom, row.bottom);
      const height = Math.min(fragment.top - fragment.bottom, row.top - row.bottom);
      if (height > 0 ? overlap >= 0.5 * height : Math.abs(fragment.bottom - row.bottom) < 0.3 * row.size) {
        row.fragments.push(fragment);
        if (fragment.size > row.size) {
          row.size = fragment.size;
          row.bottom = fragment.bottom;
          row.top = fragment.top;
        }
        continue;
      }
    }
    row = {
      fragments: [fragment],
      bottom: fragment.bottom,
      top: fragment.top,
      size: fragment.size,
    };
    rows.push(row);
  }
  return rows;
}

/** Joins fragments (of one line) left to right: a space for a word gap, two spaces for a table-cell gap. */
function lineFrom(fragments: readonly Fragment[]): LayoutLine | undefined {
  const sorted = [...fragments].sort((a, b) => a.x0 - b.x0);
  let text = '';
  let previous: Fragment | undefined;
  let main = sorted[0];
  for (const fragment of sorted) {
    if (previous) {
      // The same text drawn twice at the same place (a poor man's bold) is read once.
      if (fragment.text === previous.text && Math.abs(fragment.x0 - previous.x0) < 0.5 * fragment.size) continue;
      const gap = fragment.x0 - previous.x1;
      const scale = Math.max(fragment.size, previous.size);
      if (gap > CELL_GAP_EM * scale) text += '  ';
      // Runs that overlap (stacked fractions, overprinted labels) are separate words too.
      else if ((gap > WORD_GAP_EM * scale || gap < -WORD_GAP_EM * scale) && !text.endsWith(' ')) text += ' ';
    }
    text += fragment.text;
    if (main && fragment.chars > main.chars) main = fragment;
    previous = fragment;
  }
  text = text.trim();
  if (!text || !main) return undefined;
  return {
    text,
    y: main.bottom,
    x: sorted[0]?.x0 ?? main.x0,
    endX: Math.max(...sorted.map((f) => f.x1)),
    size: main.size,
  };
}

const median = (values: number[]): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** An empty vertical strip between two columns of text. */
export interface Gutter {
  left: number;
  right: number;
  /** Left edge of the text and right edge of the text. */
  textLeft: number;
  textRight: number;
}

/**
 * Finds the widest vertical strip in the middle 60% of the text that (almost) no fragment
 * crosses, with text on both sides. A few fragments may cross it (a title, a wide caption).
 */
function findGutter(fragments: readonly Fragment[]): Gutter | undefined {
  if (fragments.length < 6) return undefined;
  let textLeft = Infinity;
  let textRight = -Infinity;
  for (const f of fragments) {
    if (f.x0 < textLeft) textLeft = f.x0;
    if (f.x1 > textRight) textRight = f.x1;
  }
  const width = textRight - textLeft;
  if (!(width > 100)) return undefined;
  const allowed = Math.floor(fragments.length * 0.15);
  // Most pages are one column: when more fragments than allowed span the whole middle, no strip
  // in it can be free enough, so the histogram below is not needed.
  const middleLeft = textLeft + width * 0.2;
  const middleRight = textRight - width * 0.2;
  let spanning = 0;
  for (const f of fragments) if (f.x0 <= middleLeft && f.x1 >= middleRight && ++spanning > allowed) return undefined;
  const bins = Math.min(2048, Math.ceil(width));
  const scale = bins / width;
  const diff = new Int32Array(bins + 2);
  for (const f of fragments) {
    const enter = Math.max(0, Math.floor((f.x0 - textLeft) * scale));
    const leave = Math.min(bins + 1, Math.ceil((f.x1 - textLeft) * scale));
    diff[enter] = (diff[enter] as number) + 1;
    diff[leave] = (diff[leave] as number) - 1;
  }
  const em = median(fragments.map((f) => f.size)) || 10;
  const minWidth = Math.max(6, 0.8 * em) * scale;
  let best: [number, number] | undefined;
  let coverage = 0;
  let runStart = -1;
  const from = Math.floor(bins * 0.2);
  const to = Math.ceil(bins * 0.8);
  for (let i = 0; i <= bins; i++) {
    coverage += diff[i] as number;
    const open = i >= from && i <= to && coverage <= allowed;
    if (open && runStart < 0) runStart = i;
    if ((!open || i === bins) && runStart >= 0) {
      const end = open ? i + 1 : i;
      if (end - runStart >= minWidth && (!best || end - runStart > best[1] - best[0])) best = [runStart, end];
      runStart = -1;
    }
  }
  if (!best) return undefined;
  const gutter = {
    left: textLeft + best[0] / scale,
    right: textLeft + best[1] / scale,
    textLeft,
    textRight,
  };
  // Columns stand side by side: both sides hold a fair share of the text over a shared height
  // (a footer alone at the bottom corner is not a column).
  const sides = {
    left: { chars: 0, low: Infinity, high: -Infinity },
    right: { chars: 0, low: Infinity, high: -Infinity },
  };
  for (const f of fragments) {
    const side = f.x1 <= gutter.left + 1 ? sides.left : f.x0 >= gutter.right - 1 ? sides.right : undefined;
    if (!side) continue;
    side.chars += f.chars;
    side.low = Math.min(side.low, f.bottom);
    side.high = Math.max(side.high, f.top);
  }
  const total = sides.left.chars + sides.right.chars;
  const shared = Math.min(sides.left.high, sides.right.high) - Math.max(sides.left.low, sides.right.low);
  const shorter = Math.min(sides.left.high - sides.left.low, sides.right.high - sides.right.low);
  const sideBySide = shared > 0.3 * shorter;
  return sideBySide && sides.left.chars >= total * 0.15 && sides.right.chars >= total * 0.15 ? gutter : undefined;
}

type Side = 'left' | 'right' | 'both';

function sideOf(fragment: Fragment, gutter: Gutter): Side {
  const middle = (gutter.left + gutter.right) / 2;
  const onLeft = Math.max(0, Math.min(fragment.x1, middle) - fragment.x0);
  const onRight = Math.max(0, fragment.x1 - Math.max(fragment.x0, middle));
  // A fragment that only pokes across the middle (a long word, an equation) belongs to its side.
  if (onLeft > 1.5 * fragment.size && onRight > 1.5 * fragment.size) return 'both';
  return onLeft >= onRight ? 'left' : 'right';
}

/**
 * Whether the fragments of a band read as two columns of text rather than a table: each side holds
 * lines that fill much of its column, and few of them are split into cells.
 */
function isColumnBand(left: readonly Row[], right: readonly Row[], gutter: Gutter): boolean {
  if (left.length + right.length < 3) return false;
  const widths = {
    left: gutter.left - gutter.textLeft,
    right: gutter.textRight - gutter.right,
  };
  for (const [side, rows] of [
    ['left', left],
    ['right', right],
  ] as const) {
    if (rows.length === 0) return false;
    let long = 0;
    let cells = 0;
    for (const row of rows) {
      const parts = [...row.fragments].sort((a, b) => a.x0 - b.x0);
      const start = parts[0]?.x0 ?? 0;
      const end = parts[parts.length - 1]?.x1 ?? 0;
      if (end - start >= 0.5 * widths[side]) long++;
      if (parts.some((f, i) => i > 0 && f.x0 - (parts[i - 1] as Fragment).x1 > CELL_GAP_EM * f.size)) cells++;
    }
    if (long < rows.length * 0.4 || cells >= rows.length * 0.3) return false;
  }
  return true;
}

const centre = (f: Fragment): number => (f.bottom + f.top) / 2;

/**
 * Reading order of a page with a gutter: fragments that cross it make full-width rows (a title,
 * a wide caption, a table row), the fragments between two full-width rows form a band, and a band
 * that reads as two columns gives its left column's lines, then its right column's. Rows are built
 * within one column at a time, so lines of the two columns never merge.
 */
function columnOrder(fragments: readonly Fragment[], gutter: Gutter): Fragment[][] {
  const sides = fragments.map((f) => sideOf(f, gutter));
  const full = buildRows(fragments.filter((_, i) => sides[i] === 'both')).map((row) => ({
    fragments: row.fragments,
    bottom: Math.min(...row.fragments.map((f) => f.bottom)),
    top: Math.max(...row.fragments.map((f) => f.top)),
  }));
  const bands: Fragment[][] = Array.from({ length: full.length + 1 }, () => []);
  fragments.forEach((f, i) => {
    if (sides[i] === 'both') return;
    const y = centre(f);
    const row = full.find((r) => y >= r.bottom && y <= r.top);
    if (row) row.fragments.push(f);
    else bands[full.filter((r) => (r.bottom + r.top) / 2 > y).length]?.push(f);
  });
  const lines: Fragment[][] = [];
  bands.forEach((band, k) => {
    const left = buildRows(band.filter((f) => sideOf(f, gutter) === 'left'));
    const right = buildRows(band.filter((f) => sideOf(f, gutter) === 'right'));
    if (isColumnBand(left, right, gutter)) for (const row of [...left, ...right]) lines.push(row.fragments);
    else for (const row of buildRows(band)) lines.push(row.fragments);
    const after = full[k];
    if (after) lines.push(after.fragments);
  });
  return lines;
}

/**
 * Lays out one page: lines in reading order. On a two-column page the rows between full-width
 * rows (titles, wide figures) form bands whose left column is read before the right one; rows
 * that look like a table keep their cells side by side. Rotated text follows as its own lines.
 */
export function layoutPage(glyphs: PageGlyphs): LayoutLine[] {
  const { fragments, rotated } = buildFragments(glyphs);
  const gutter = findGutter(fragments);
  const groups = gutter ? columnOrder(fragments, gutter) : buildRows(fragments).map((row) => row.fragments);
  const lines: LayoutLine[] = [];
  for (const group of groups) {
    const line = lineFrom(group);
    if (line) lines.push(line);
  }
  for (const run of rotated)
    lines.push({
      text: run,
      y: Number.NaN,
      x: 0,
      endX: 0,
      size: 0,
      rotated: true,
    });
  return lines;
}
