import type { ExtractedBlock } from './extracted.js';
import type { LayoutLine } from './pdf-layout.js';

/** A line of a page in reading order, with the space above it. */
export interface PdfLine extends LayoutLine {
  /** Distance to the previous line in multiples of this line's font size (large across columns and for rotated text). */
  gapBefore: number;
}

/** An outline (bookmark) heading on a page. */
export interface PageHeading {
  title: string;
  level: number;
}

/** Font sizes of a document: the body size and the larger sizes that headings use, largest first. */
export interface DocumentFontSizes {
  body: number;
  headings: number[];
}

/** The body font size (weighted by text length) and the distinct larger sizes (at least 1.2 times the body). */
export function documentFontSizes(pages: ReadonlyArray<readonly LayoutLine[]>): DocumentFontSizes {
  // Each line counts once per 20 characters (up to 200): the median of that multiset, from a
  // weight per distinct size instead of an array with an entry per 20 characters.
  const weights = new Map<number, number>();
  let total = 0;
  for (const lines of pages) {
    for (const line of lines) {
      if (line.rotated) continue;
      const weight = Math.ceil(Math.min(line.text.length, 200) / 20);
      if (weight === 0) continue;
      weights.set(line.size, (weights.get(line.size) ?? 0) + weight);
      total += weight;
    }
  }
  let body = 0;
  let seen = 0;
  for (const size of [...weights.keys()].sort((a, b) => a - b)) {
    seen += weights.get(size) as number;
    if (seen > Math.floor(total / 2)) {
      body = size;
      break;
    }
  }
  body ||= 10;
  const headings = new Set<number>();
  for (const lines of pages)
    for (const line of lines) if (!line.rotated && line.size >= body * 1.2) headings.add(Math.round(line.size));
  return { body, headings: [...headings].sort((a, b) => b - a) };
}

function looksLikeTableLine(text: string): boolean {
  if (!text.includes('  ')) return false;
  const cells = text.split(/ {2,}/).filter(Boolean);
  return cells.length >= 3;
}

const squash = (s: string): string => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

/**
 * Turns a page's lines into blocks: outline titles (or, without an outline, larger fonts and
 * numbered headings) become headings, lines with three or more cells become table rows, and the
 * rest is joined into paragraphs, split at wide vertical gaps.
 */
export function linesToBlocks(
  lines: readonly PdfLine[],
  sizes: DocumentFontSizes,
  outline: readonly PageHeading[],
  hasOutline: boolean,
): ExtractedBlock[] {
  const blocks: ExtractedBlock[] = [];
  const pendingOutline = outline.map((heading) => ({ ...heading, key: squash(heading.title) }));
  const flat = lines.filter((l) => !l.rotated);
  const ends = flat.map((l) => l.endX).sort((a, b) => a - b);
  const rightEdge = ends[Math.floor(ends.length * 0.9)] ?? 0;
  const starts = flat.map((l) => l.x).sort((a, b) => a - b);
  const leftEdge = starts[Math.floor(starts.length * 0.1)] ?? 0;
  const shortLine = (line: PdfLine): boolean => line.endX < rightEdge - (rightEdge - leftEdge) * 0.2;
  let paragraph: string[] = [];
  let table: string[] = [];
  const flushParagraph = (): void => {
    if (paragraph.length) blocks.push({ kind: 'paragraph', text: joinLines(paragraph) });
    paragraph = [];
  };
  const flushTable = (): void => {
    if (table.length >= 2) blocks.push({ kind: 'table', text: table.join('\n') });
    else if (table.length === 1) paragraph.push(table[0] as string);
    table = [];
  };
  for (const line of lines) {
    if (line.rotated) {
      flushTable();
      flushParagraph();
      blocks.push({ kind: 'paragraph', text: line.text });
      continue;
    }
    const squashed = pendingOutline.length > 0 ? squash(line.text) : '';
    const outlineIndex = pendingOutline.findIndex((o) => {
      const t = o.key;
      return (
        t.length > 0 &&
        (squashed === t ||
          (squashed.startsWith(t) && squashed.length < t.length + 12) ||
          (t.startsWith(squashed) && squashed.length >= 8))
      );
    });
    if (outlineIndex >= 0) {
      const [heading] = pendingOutline.splice(outlineIndex, 1);
      flushTable();
      flushParagraph();
      blocks.push({
        kind: 'heading',
        text: heading?.title ?? line.text,
        level: heading?.level ?? 1,
      });
      continue;
    }
    const sizeRank = sizes.headings.indexOf(Math.round(line.size));
    const isFontHeading =
      !hasOutline &&
      sizeRank >= 0 &&
      sizeRank < 3 &&
      line.text.length <= 120 &&
      /\p{L}/u.test(line.text) &&
      !/[.,;:]$/.test(line.text);
    if (isFontHeading) {
      flushTable();
      flushParagraph();
      const previous = blocks[blocks.length - 1];
      // A heading wrapped over two lines of the same size is one heading.
      if (previous?.kind === 'heading' && previous.level === sizeRank + 1 && line.gapBefore < 2)
        previous.text += ` ${line.text}`;
      else blocks.push({ kind: 'heading', text: line.text, level: sizeRank + 1 });
      continue;
    }
    const numbered = !hasOutline ? numberedHeadingLevel(line.text) : undefined;
    if (numbered !== undefined) {
      flushTable();
      flushParagraph();
      blocks.push({ kind: 'heading', text: line.text, level: numbered });
      continue;
    }
    if (looksLikeTableLine(line.text)) {
      flushParagraph();
      table.push(line.text.replace(/ {2,}/g, ' | '));
      continue;
    }
    flushTable();
    if (line.gapBefore > 1.9 && paragraph.length) flushParagraph();
    // A line that stops well before the right edge ends a row or a paragraph: keep the break.
    paragraph.push(shortLine(line) ? `${line.text}\n` : line.text);
  }
  flushTable();
  flushParagraph();
  // Outline entries whose title was not found in the text still start a section at the top of the page.
  for (const heading of pendingOutline.reverse())
    blocks.unshift({
      kind: 'heading',
      text: heading.title,
      level: heading.level,
    });
  return blocks;
}

/**
 * The level of a numbered heading such as `4.5. PLANS` or `2.1 Base Instruction Formats`
 * (short, no final period, mostly capitalised words), or undefined.
 */
export function numberedHeadingLevel(text: string): number | undefined {
  const first = text.trimStart().charCodeAt(0);
  if (!(first >= 0x30 && first <= 0x39)) return undefined;
  const match = /^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+(\p{Lu}[^]*)$/u.exec(text.trim());
  if (!match || text.length > 80 || /[.:;,]$/.test(text.trim())) return undefined;
  const words = (match[2] ?? '').split(/\s+/).filter((w) => /^\p{L}/u.test(w));
  if (words.length === 0 || words.length > 10) return undefined;
  const capitalised = words.filter((w) => /^\p{Lu}/u.test(w)).length;
  const minor = words.filter((w) => /^(of|and|or|the|a|an|for|to|in|on|with|by)$/i.test(w)).length;
  if (capitalised + minor < words.length * 0.8) return undefined;
  return (match[1] ?? '').split('.').length;
}

/** Joins wrapped lines: a line ending in a hyphen after a letter continues the word; otherwise a space. */
export function joinLines(lines: readonly string[]): string {
  let out = '';
  let hardBreak = false;
  let previous = '';
  for (const raw of lines) {
    const line = raw.trim().replace(/ {2,}/g, ' ');
    // A short previous line ends a row or paragraph only when it looks finished, the next line
    // starts a new item, or it is a row of codes and numbers; ragged prose lines are joined.
    const keepBreak =
      hardBreak &&
      (/[.:;!?]$/.test(previous) ||
        /^[\p{Lu}\d•\-–*(]/u.test(line) ||
        previous.split(/\s+/).filter((t) => /^(0x[\da-f]+|\d+|[01]{3,})$/i.test(t)).length >= 3);
    if (!out) out = line;
    else if (keepBreak) out += `\n${line}`;
    // Only the end of the text so far is tested: a regex anchored at the end still scans the whole string.
    else if (/\p{Ll}-$/u.test(out.slice(-3)) && /^\p{Ll}/u.test(line)) out += line;
    else out += ` ${line}`;
    hardBreak = raw.endsWith('\n');
    previous = line;
  }
  return out;
}
