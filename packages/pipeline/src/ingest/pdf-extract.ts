import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ExtractedBlock, ExtractedDocument, ExtractedPage, PageError } from './extracted.js';
import { IngestError } from './ingest-errors.js';

/** The fields of a pdf.js text item that line building uses. */
interface TextItem {
  str: string;
  transform: number[];
  width: number;
  hasEOL: boolean;
}

interface Line {
  text: string;
  y: number;
  x: number;
  endX: number;
  size: number;
  /** Gap to the previous line, in multiples of this line's font size. */
  gapBefore: number;
}

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjsPromise: Promise<PdfJs> | undefined;

/**
 * Built-ins the core-js polyfills in pdf.js's legacy build replace on Node 20 (V8 11) although
 * the native ones behave the same for everything pdf.js and ragbridge do: a JavaScript
 * `Array.prototype.push` slows every push in the process (14% of extraction time), and a
 * JavaScript `JSON.parse` every parse. They are put back once pdf.js is loaded.
 */
const NATIVE_BUILTINS: ReadonlyArray<[object, string]> = [
  [Array.prototype, 'push'],
  [JSON, 'parse'],
  [JSON, 'stringify'],
];

async function importKeepingNativeBuiltins<T>(load: () => Promise<T>): Promise<T> {
  const saved = NATIVE_BUILTINS.map(([target, key]) => [target, key, Object.getOwnPropertyDescriptor(target, key)] as const);
  try {
    return await load();
  } finally {
    for (const [target, key, descriptor] of saved) if (descriptor) Object.defineProperty(target, key, descriptor);
  }
}

function loadPdfJs(): Promise<PdfJs> {
  pdfjsPromise ??= importKeepingNativeBuiltins(async () => {
    const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
    // Loaded here rather than by pdf.js on first use (its "fake worker" then runs in this thread
    // through the same module), so its polyfills are undone too. It registers `globalThis.pdfjsWorker`.
    await import('pdfjs-dist/legacy/build/pdf.worker.mjs');
    return pdfjs;
  });
  return pdfjsPromise;
}

function pdfjsAssetDir(sub: string): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('pdfjs-dist/package.json')), sub) + '/';
}

const median = (values: number[]): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/**
 * Joins the text items of a page into lines by position: items on one baseline form a line,
 * a space goes where the horizontal gap is wider than a fraction of the font size (so words are
 * neither glued nor split), wide gaps become double spaces (table columns).
 */
export function itemsToLines(items: readonly TextItem[]): Line[] {
  const lines: Line[] = [];
  let current: { parts: string[]; y: number; x: number; endX: number; sizes: number[] } | undefined;
  let lastY: number | undefined;
  const flush = (): void => {
    if (!current) return;
    const text = current.parts.join('').replace(/[ \t]+$/u, '').replace(/^\s+/u, '');
    if (text) {
      const size = median(current.sizes) || 10;
      const gapBefore = lastY === undefined ? 0 : Math.abs(lastY - current.y) / size;
      lines.push({ text, y: current.y, x: current.x, endX: current.endX, size, gapBefore });
      lastY = current.y;
    }
    current = undefined;
  };
  for (const item of items) {
    const [a = 1, b = 0, c = 0, d = 1, x = 0, y = 0] = item.transform;
    const size = Math.hypot(c, d) || Math.hypot(a, b) || 10;
    const str = item.str.split(String.fromCharCode(0)).join('');
    if (current && str.length > 0) {
      const sameLine = Math.abs(y - current.y) <= size * 0.45;
      const wentBack = x < current.endX - size * 2;
      if (!sameLine || wentBack) flush();
    }
    if (str.length > 0) {
      if (!current) current = { parts: [], y, x, endX: x, sizes: [] };
      else {
        const gap = x - current.endX;
        const prev = current.parts[current.parts.length - 1] ?? '';
        const needsSpace = !/\s$/u.test(prev) && !/^\s/u.test(str);
        if (needsSpace && gap > size * 1.5) current.parts.push('  ');
        else if (needsSpace && gap > size * 0.12) current.parts.push(' ');
      }
      current.parts.push(str);
      current.endX = x + (item.width || str.length * size * 0.5);
      if (str.trim()) current.sizes.push(size);
    }
    if (item.hasEOL) flush();
  }
  flush();
  return lines;
}

const HEADER_ZONE = 3;

function normalizeRepeated(text: string): string {
  return text
    .toLowerCase()
    .replace(/\d+/g, '#')
    .replace(/\b[ivxlc]+\b/g, '#')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Indices of lines at the top or bottom of pages that repeat on many pages (running headers, footers, page numbers). */
function repeatedMarginLines(pages: Line[][]): Set<string> {
  const counts = new Map<string, number>();
  for (const lines of pages) {
    const seen = new Set<string>();
    const zone = [...lines.slice(0, HEADER_ZONE), ...lines.slice(-HEADER_ZONE)];
    for (const line of zone) {
      const key = normalizeRepeated(line.text);
      if (key.length === 0 || seen.has(key)) continue;
      seen.add(key);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const threshold = Math.max(3, Math.ceil(pages.length * 0.3));
  const repeated = new Set<string>();
  for (const [key, count] of counts) if (count >= threshold || /^#$|^page #( of #)?$|^- # -$/.test(key)) repeated.add(key);
  return repeated;
}

function looksLikeTableLine(text: string): boolean {
  const cells = text.split(/ {2,}/).filter(Boolean);
  return cells.length >= 3;
}

interface OutlineHeading {
  title: string;
  level: number;
  pageIndex: number;
}

async function readOutline(doc: import('pdfjs-dist/legacy/build/pdf.mjs').PDFDocumentProxy): Promise<OutlineHeading[]> {
  const out: OutlineHeading[] = [];
  let outline: Awaited<ReturnType<typeof doc.getOutline>> | null;
  try {
    outline = await doc.getOutline();
  } catch {
    return out;
  }
  const walk = async (items: NonNullable<typeof outline>, level: number): Promise<void> => {
    for (const item of items) {
      try {
        let dest: unknown = item.dest;
        if (typeof dest === 'string') dest = await doc.getDestination(dest);
        const ref = Array.isArray(dest) ? dest[0] : undefined;
        let pageIndex: number | undefined;
        if (typeof ref === 'number') pageIndex = ref;
        else if (ref && typeof ref === 'object') pageIndex = await doc.getPageIndex(ref as never);
        if (pageIndex !== undefined && item.title.trim()) out.push({ title: item.title.trim(), level, pageIndex });
      } catch {
        // An outline entry with a broken destination is skipped; the text is still extracted.
      }
      if (item.items?.length && level < 4) await walk(item.items, level + 1);
    }
  };
  if (outline) await walk(outline, 1);
  return out;
}

const squash = (s: string): string => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

/** Options of {@link extractPdf}. */
export interface PdfExtractOptions {
  /** Called after each page is read. */
  onPage?: (page: number, pageCount: number) => void;
}

/**
 * Extracts a PDF page by page with pdfjs-dist: one unreadable page becomes a page error and the
 * rest of the document is kept. Lines are joined by position, repeated headers and footers are
 * removed, headings come from the outline (or from font sizes when there is none), and each page
 * keeps its physical number and printed label.
 */
export async function extractPdf(data: Uint8Array, options: PdfExtractOptions = {}): Promise<ExtractedDocument> {
  const pdfjs = await loadPdfJs();
  let doc: import('pdfjs-dist/legacy/build/pdf.mjs').PDFDocumentProxy;
  try {
    doc = await pdfjs.getDocument({
      // pdf.js takes ownership of (detaches) the buffer it is given: hand it a copy.
      data: data.slice(),
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      verbosity: 0,
      cMapUrl: pdfjsAssetDir('cmaps'),
      cMapPacked: true,
      standardFontDataUrl: pdfjsAssetDir('standard_fonts'),
    }).promise;
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    const message = error instanceof Error ? error.message : String(error);
    if (name === 'PasswordException') throw new IngestError('encrypted', 'the PDF is encrypted with a password; decrypt it first (e.g. `qpdf --decrypt`)', { cause: error });
    if (name === 'InvalidPDFException' || /Invalid PDF|No PDF header/i.test(message)) {
      throw new IngestError('corrupt', `the file is not a readable PDF (${message})`, { cause: error });
    }
    throw new IngestError('corrupt', `pdf.js could not open the file: ${message}`, { cause: error });
  }
  try {
    const pageCount = doc.numPages;
    let labels: string[] | null = null;
    try {
      labels = await doc.getPageLabels();
    } catch {
      labels = null;
    }
    let title: string | undefined;
    try {
      const meta = await doc.getMetadata();
      const info = meta.info as { Title?: unknown };
      if (typeof info.Title === 'string' && info.Title.trim()) title = info.Title.trim();
    } catch {
      title = undefined;
    }
    const outline = await readOutline(doc);
    const pageLines: Line[][] = [];
    const pageErrors: PageError[] = [];
    for (let i = 1; i <= pageCount; i++) {
      try {
        const page = await doc.getPage(i);
        const content = await page.getTextContent({ disableNormalization: true });
        const items = content.items.filter((item) => 'str' in item) as TextItem[];
        pageLines.push(itemsToLines(items));
        page.cleanup();
      } catch (error) {
        pageLines.push([]);
        pageErrors.push({ page: i, message: error instanceof Error ? error.message : String(error) });
      }
      options.onPage?.(i, pageCount);
    }
    const repeated = repeatedMarginLines(pageLines);
    const sizes: number[] = [];
    for (const lines of pageLines) for (const line of lines) for (let k = 0; k < Math.min(line.text.length, 200); k += 20) sizes.push(line.size);
    const bodySize = median(sizes) || 10;
    const headingSizes = [...new Set(pageLines.flat().filter((l) => l.size >= bodySize * 1.2).map((l) => Math.round(l.size)))].sort((a, b) => b - a);

    const pages: ExtractedPage[] = pageLines.map((lines, index) => {
      const kept = lines.filter((line, i) => {
        const inMargin = i < HEADER_ZONE || i >= lines.length - HEADER_ZONE;
        return !(inMargin && repeated.has(normalizeRepeated(line.text)));
      });
      const pageOutline = outline.filter((o) => o.pageIndex === index);
      return { page: index + 1, label: labels?.[index]?.trim() || String(index + 1), blocks: linesToBlocks(kept, bodySize, headingSizes, pageOutline, outline.length > 0) };
    });
    return { mediaType: 'application/pdf', ...(title !== undefined && { title }), pageCount, pages, pageErrors };
  } finally {
    await doc.destroy();
  }
}

function linesToBlocks(lines: Line[], bodySize: number, headingSizes: number[], outline: OutlineHeading[], hasOutline: boolean): ExtractedBlock[] {
  const blocks: ExtractedBlock[] = [];
  const pendingOutline = [...outline];
  const ends = lines.map((l) => l.endX).sort((a, b) => a - b);
  const rightEdge = ends[Math.floor(ends.length * 0.9)] ?? 0;
  const starts = lines.map((l) => l.x).sort((a, b) => a - b);
  const leftEdge = starts[Math.floor(starts.length * 0.1)] ?? 0;
  const shortLine = (line: Line): boolean => line.endX < rightEdge - (rightEdge - leftEdge) * 0.2;
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
    const squashed = squash(line.text);
    const outlineIndex = pendingOutline.findIndex((o) => {
      const t = squash(o.title);
      return t.length > 0 && (squashed === t || (squashed.startsWith(t) && squashed.length < t.length + 12) || (t.startsWith(squashed) && squashed.length >= 8));
    });
    if (outlineIndex >= 0) {
      const [heading] = pendingOutline.splice(outlineIndex, 1);
      flushTable();
      flushParagraph();
      blocks.push({ kind: 'heading', text: heading?.title ?? line.text, level: heading?.level ?? 1 });
      continue;
    }
    const sizeRank = headingSizes.indexOf(Math.round(line.size));
    const isFontHeading =
      !hasOutline && sizeRank >= 0 && sizeRank < 3 && line.text.length <= 120 && /\p{L}/u.test(line.text) && !/[.,;:]$/.test(line.text);
    if (isFontHeading) {
      flushTable();
      flushParagraph();
      const previous = blocks[blocks.length - 1];
      // A heading wrapped over two lines of the same size is one heading.
      if (previous?.kind === 'heading' && previous.level === sizeRank + 1 && line.gapBefore < 2) previous.text += ` ${line.text}`;
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
  for (const heading of pendingOutline.reverse()) blocks.unshift({ kind: 'heading', text: heading.title, level: heading.level });
  void bodySize;
  return blocks;
}

/**
 * The level of a numbered heading such as `4.5. PLANS` or `2.1 Base Instruction Formats`
 * (short, no final period, mostly capitalised words), or undefined.
 */
export function numberedHeadingLevel(text: string): number | undefined {
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
    else if (/\p{Ll}-$/u.test(out) && /^\p{Ll}/u.test(line)) out += line;
    else out += ` ${line}`;
    hardBreak = raw.endsWith('\n');
    previous = line;
  }
  return out;
}
