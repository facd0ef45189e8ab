import type { LayoutLine } from './pdf-layout.js';

/** The lines of one page and its height, for finding running headers and footers. */
export interface MarginPage {
  lines: readonly LayoutLine[];
  height: number;
}

/** Two lines this close (points) to the same page edge are at the same position. */
const POSITION_TOLERANCE = 3;
/** Running headers and footers sit in this fraction of the page height at the top or bottom. */
const EDGE_BAND = 0.25;
/** The space between a running line and the body, in multiples of the document's usual line pitch. */
const SEPARATION = 1.3;

/** The text of a line with numbers (arabic and roman) replaced, so `Page 3` and `Page 4` match. */
export function normalizeRunningText(text: string): string {
  return text
    .toLowerCase()
    .replace(/\d+/g, '#')
    .replace(/\b[ivxlc]+\b/g, '#')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The key of a line that cannot be running (away from the edges, or larger than body text). */
const BODY = '';

const PAGE_NUMBER = /^(#|page #( of #)?|- # -|# of #|#\/#)$/;

const edgeOf = (line: LayoutLine, height: number): { top: boolean; distance: number } =>
  line.y > height / 2 ? { top: true, distance: height - line.y } : { top: false, distance: line.y };

/**
 * The usual vertical distance between consecutive lines of one font size, over the whole
 * document (a header over the body is not one of them); 1.25 em of body text when no two
 * consecutive lines share a size.
 */
function linePitch(pages: readonly MarginPage[], bodySize: number): number {
  const gaps: number[] = [];
  for (const page of pages) {
    let previous: LayoutLine | undefined;
    for (const line of page.lines) {
      if (line.rotated) continue;
      if (previous && previous.size === line.size) {
        const gap = previous.y - line.y;
        if (gap > 0.5 * line.size && gap < 4 * line.size) gaps.push(gap);
      }
      previous = line;
    }
  }
  if (gaps.length === 0) return 1.25 * bodySize;
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)] as number;
}

/**
 * Finds running headers, footers and page numbers. A page's lines are cut into blocks wherever
 * a clear separation is (more space than the document's usual line spacing, or a much smaller or
 * larger font). A block at the top or bottom edge is running when every line of it has the same
 * text (numbers aside) at the same distance from that edge on many pages, lies in the outer
 * quarter of the page and is no larger than body text (`bodySize`). Body text is never matched
 * by line counts: the lines of a templated page that repeat at ordinary spacing below its first
 * line are one block with it. When every block of a page could be a margin, only blocks seen as
 * margins on pages with a body go (a blank page loses its header and footer); without such
 * evidence the largest block stays as the body. Returns, per page, which lines to drop.
 */
export function findRunningLines(pages: readonly MarginPage[], bodySize: number): boolean[][] {
  const threshold = Math.max(3, Math.min(Math.ceil(pages.length * 0.25), 8));
  const positions = new Map<string, number[]>();
  const keys = pages.map((page) =>
    page.lines.map((line) => {
      if (line.rotated || !Number.isFinite(line.y) || !line.text.trim()) return undefined;
      const edge = edgeOf(line, page.height);
      // Lines away from the edges take part in the blocks but can never be running.
      if (edge.distance > page.height * EDGE_BAND || line.size > bodySize * 1.2) return BODY;
      const key = `${edge.top ? 't' : 'b'}|${normalizeRunningText(line.text)}`;
      let list = positions.get(key);
      if (!list) positions.set(key, (list = []));
      list.push(edge.distance);
      return key;
    }),
  );
  for (const list of positions.values()) list.sort((a, b) => a - b);
  const countNear = (list: readonly number[], value: number): number => {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid] as number) < value - POSITION_TOLERANCE) lo = mid + 1;
      else hi = mid;
    }
    let n = 0;
    for (let i = lo; i < list.length && (list[i] as number) <= value + POSITION_TOLERANCE; i++) n++;
    return n;
  };
  const pitch = linePitch(pages, bodySize);

  // Per page: the blocks, and which ones lie at the edges with every line running.
  const layouts = pages.map((page, pageIndex) => {
    const pageKeys = keys[pageIndex] as Array<string | undefined>;
    const isRunning = (i: number): boolean => {
      const key = pageKeys[i];
      if (key === undefined || key === BODY) return false;
      const edge = edgeOf(page.lines[i] as LayoutLine, page.height);
      const needed = PAGE_NUMBER.test(key.slice(2)) ? 2 : threshold;
      return countNear(positions.get(key) as number[], edge.distance) >= needed;
    };
    // Lines top to bottom, cut into blocks where a clear separation is: more space than the usual
    // line spacing, or a change to a clearly smaller or larger font (a footer under a slide).
    const order = page.lines.map((_, i) => i).filter((i) => pageKeys[i] !== undefined);
    order.sort((a, b) => (page.lines[b] as LayoutLine).y - (page.lines[a] as LayoutLine).y);
    const blocks: number[][] = [];
    order.forEach((i, k) => {
      const above = k > 0 ? (page.lines[order[k - 1] as number] as LayoutLine) : undefined;
      const line = page.lines[i] as LayoutLine;
      const separated =
        !above ||
        above.y - line.y >= SEPARATION * pitch ||
        line.size <= 0.8 * above.size ||
        above.size <= 0.8 * line.size;
      if (separated) blocks.push([i]);
      else blocks[blocks.length - 1]?.push(i);
    });
    const runningBlock = (block: number[], top: boolean): boolean =>
      block.every((i) => isRunning(i) && edgeOf(page.lines[i] as LayoutLine, page.height).top === top);
    let first = 0;
    while (first < blocks.length && runningBlock(blocks[first] as number[], true)) first++;
    let last = blocks.length;
    while (last > first && runningBlock(blocks[last - 1] as number[], false)) last--;
    return { blocks, first, last, pageKeys };
  });
  // Keys seen running on pages with a body between the margins: those are certainly margins.
  const confirmed = new Set<string>();
  for (const { blocks, first, last, pageKeys } of layouts) {
    if (first >= last) continue;
    blocks.forEach((block, k) => {
      if (k < first || k >= last) for (const i of block) confirmed.add(pageKeys[i] as string);
    });
  }
  return layouts.map(({ blocks, first, last, pageKeys }, pageIndex) => {
    const drop = (pages[pageIndex] as MarginPage).lines.map(() => false);
    const remove = (block: number[]): void => block.forEach((i) => (drop[i] = true));
    if (first < last) blocks.forEach((block, k) => (k < first || k >= last) && remove(block));
    else if (blocks.length > 0) {
      // Every block could be a margin (a blank page with its header and footer, or a page of
      // templated lines): drop the blocks known as margins elsewhere, else keep the largest as the body.
      const known = blocks.filter((block) => block.every((i) => confirmed.has(pageKeys[i] as string)));
      if (known.length > 0) known.forEach(remove);
      else {
        const chars = (block: number[]): number =>
          block.reduce((n, i) => n + ((pages[pageIndex] as MarginPage).lines[i] as LayoutLine).text.length, 0);
        const body = blocks.reduce((best, block) => (chars(block) > chars(best) ? block : best));
        for (const block of blocks) if (block !== body) remove(block);
      }
    }
    return drop;
  });
}
