import type { ExtractedDocument, ExtractedPage, PageError } from './extracted.js';
import { documentFontSizes, linesToBlocks, type PageHeading, type PdfLine } from './pdf-blocks.js';
import { layoutPage, type LayoutLine } from './pdf-layout.js';
import { findRunningLines } from './pdf-margins.js';
import {
  closePdfiumDocument,
  openPdfiumDocument,
  readOutline,
  readPageLabel,
  readPdfiumPage,
  readPdfTitle,
  type OutlineEntry,
  type PageContent,
  type PdfiumDocument,
} from './pdfium-document.js';
import { discardPdfium, loadPdfium, releaseLargePdfium } from './pdfium-module.js';

/** Options of {@link extractPdf}. */
export interface PdfExtractOptions {
  /** Called after each page is read. */
  onPage?: (page: number, pageCount: number) => void;
}

/** After this many WebAssembly failures in one document, its remaining pages are reported, not retried. */
const MAX_RESTARTS = 3;

/** A WebAssembly trap or an Emscripten abort: the PDFium instance can no longer be trusted. */
const isTrap = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'RuntimeError' || /^Aborted\(/.test(error.message));

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Why a page without text is a page error, or undefined when it simply has no text to give (a
 * blank page, or one that only draws lines and shapes). The rule, applied only when other pages
 * of the document do have text: a page whose characters all come from fonts without a Unicode
 * mapping cannot be read, and a page that paints images but has no text is probably scanned.
 */
function emptyPageProblem(content: PageContent, unmapped: number): string | undefined {
  if (unmapped > 0) {
    return 'the page draws text whose font has no Unicode mapping, so its characters cannot be read as text; run OCR on the page to index it';
  }
  if (content.images > 0) {
    return `the page has no text layer, only ${
      content.images === 1 ? 'an image' : `${content.images} images`
    } (scanned?); run OCR (e.g. \`ocrmypdf\`) to index it`;
  }
  return undefined;
}

/** A page with some text, most of whose characters have no Unicode mapping: its text is incomplete. */
const UNMAPPED_SHARE = 0.5;

interface ReadPage {
  lines: LayoutLine[];
  height: number;
  label: string;
}

/**
 * Extracts a PDF page by page with PDFium (WebAssembly): one unreadable page becomes a page error
 * and the rest of the document is kept. Lines are built from character boxes and put in reading
 * order (two-column pages column by column), running headers and footers are removed by position
 * and repetition, headings come from the outline (or from font sizes when there is none), and each
 * page keeps its physical number and printed label.
 */
export async function extractPdf(data: Uint8Array, options: PdfExtractOptions = {}): Promise<ExtractedDocument> {
  let runtime = await loadPdfium();
  let doc: PdfiumDocument | undefined = openPdfiumDocument(runtime, data);
  let restarts = 0;
  /** Starts a fresh instance after a trap and opens the document again in it. */
  const restart = async (): Promise<void> => {
    discardPdfium();
    doc = undefined;
    if (++restarts > MAX_RESTARTS) return;
    runtime = await loadPdfium();
    doc = openPdfiumDocument(runtime, data);
  };
  const pageCount = doc.pageCount;
  const pageErrors: PageError[] = [];
  const read: ReadPage[] = [];
  let title: string | undefined;
  let outline: OutlineEntry[] = [];
  try {
    try {
      title = readPdfTitle(doc);
      outline = readOutline(doc);
    } catch (error) {
      // The text does not depend on the outline: go on without it.
      if (isTrap(error)) await restart();
    }
    const empty: Array<{ index: number; problem: string }> = [];
    let pagesWithText = 0;
    for (let index = 0; index < pageCount; index++) {
      const current = doc as PdfiumDocument | undefined;
      if (!current) {
        pageErrors.push({
          page: index + 1,
          message: `not read: PDFium failed ${MAX_RESTARTS + 1} times on earlier pages of this document`,
        });
        read.push({ lines: [], height: 0, label: String(index + 1) });
        continue;
      }
      let label = '';
      try {
        label = readPageLabel(current, index);
        const page = readPdfiumPage(current, index);
        const lines = layoutPage(page.glyphs);
        read.push({ lines, height: page.height, label });
        if (page.visible > 0) pagesWithText++;
        if (page.content) {
          const problem = emptyPageProblem(page.content, page.unmapped);
          if (problem) empty.push({ index, problem });
        } else if (page.unmapped >= 20 && page.unmapped >= (page.visible + page.unmapped) * UNMAPPED_SHARE) {
          pageErrors.push({
            page: index + 1,
            message: `${page.unmapped} of ${
              page.visible + page.unmapped
            } characters use fonts without a Unicode mapping and were left out; the page's text is incomplete`,
          });
        }
      } catch (error) {
        read.push({ lines: [], height: 0, label });
        pageErrors.push({
          page: index + 1,
          message: isTrap(error) ? `PDFium failed on this page: ${messageOf(error)}` : messageOf(error),
        });
        if (isTrap(error)) await restart();
      }
      options.onPage?.(index + 1, pageCount);
    }
    // Pages with no text are errors only beside pages that have some: a document without any text is reported whole.
    if (pagesWithText > 0)
      for (const { index, problem } of empty) pageErrors.push({ page: index + 1, message: problem });
  } finally {
    if (doc) {
      closePdfiumDocument(doc);
      releaseLargePdfium(runtime);
    }
  }
  pageErrors.sort((a, b) => a.page - b.page);
  return {
    mediaType: 'application/pdf',
    ...(title !== undefined && { title }),
    pageCount,
    pages: toPages(read, outline),
    pageErrors,
  };
}

/** Removes running headers and footers, measures the gaps between the remaining lines and builds the blocks. */
function toPages(read: readonly ReadPage[], outline: readonly OutlineEntry[]): ExtractedPage[] {
  const running = findRunningLines(read, documentFontSizes(read.map((page) => page.lines)).body);
  const kept = read.map((page, p) => page.lines.filter((_, i) => !running[p]?.[i]));
  const sizes = documentFontSizes(kept);
  const headings = new Map<number, PageHeading[]>();
  for (const entry of outline) {
    const list = headings.get(entry.pageIndex) ?? [];
    list.push({ title: entry.title, level: entry.level });
    headings.set(entry.pageIndex, list);
  }
  return read.map((page, index) => {
    const lines: PdfLine[] = [];
    let previous: LayoutLine | undefined;
    for (const line of kept[index] as LayoutLine[]) {
      const gap =
        previous && Number.isFinite(previous.y) && Number.isFinite(line.y) && line.size > 0
          ? Math.abs(previous.y - line.y) / line.size
          : previous
          ? 10
          : 0;
      // The layout's line objects are this function's own: the gap is added to them, not to copies.
      const withGap = line as PdfLine;
      withGap.gapBefore = gap;
      lines.push(withGap);
      previous = line;
    }
    return {
      page: index + 1,
      label: page.label || String(index + 1),
      blocks: linesToBlocks(lines, sizes, headings.get(index) ?? [], outline.length > 0),
    };
  });
}
