import { IngestError } from './ingest-errors.js';
import { createPageGlyphs, GLYPH_KIND, type PageGlyphs } from './pdf-layout.js';
import { PDFIUM_ERROR, readPdfiumString, writePdfiumCString, type PdfiumRuntime } from './pdfium-module.js';

/** A document opened in PDFium; its bytes live in the module's memory until {@link closePdfiumDocument}. */
export interface PdfiumDocument {
  runtime: PdfiumRuntime;
  handle: number;
  buffer: number;
  pageCount: number;
}

/** An outline (bookmark) entry that points at a page. */
export interface OutlineEntry {
  title: string;
  /** Depth, 1 = top level. */
  level: number;
  /** 0-based page index. */
  pageIndex: number;
}

/** What a page draws besides text, counted when it yields no text. */
export interface PageContent {
  images: number;
  paths: number;
  /** Text objects (their characters had no Unicode mapping when the page yields no text). */
  texts: number;
}

/** A page read from PDFium: its characters in display space (valid until the next page is read) and its size. */
export interface PdfiumPage {
  glyphs: PageGlyphs;
  width: number;
  height: number;
  /** Characters with text (not spaces, not generated). */
  visible: number;
  /** Characters whose font gives no Unicode value (read as control codes): they cannot become text. */
  unmapped: number;
  /** Only counted for pages without visible characters. */
  content?: PageContent;
}

/** Opens a PDF from memory, mapping PDFium's load errors to ingest errors that say what to do. */
export function openPdfiumDocument(runtime: PdfiumRuntime, data: Uint8Array): PdfiumDocument {
  const { exports } = runtime;
  const buffer = runtime.malloc(Math.max(1, data.length));
  runtime.heapU8().set(data, buffer);
  const handle = exports.FPDF_LoadMemDocument(buffer, data.length, 0);
  if (handle === 0) {
    const code = exports.FPDF_GetLastError();
    runtime.free(buffer);
    if (code === PDFIUM_ERROR.password) {
      throw new IngestError(
        'encrypted',
        'the PDF is encrypted with a password; decrypt it first (e.g. `qpdf --decrypt`)',
      );
    }
    if (code === PDFIUM_ERROR.security) {
      throw new IngestError(
        'encrypted',
        'the PDF is encrypted with a security handler PDFium does not support; decrypt it first (e.g. `qpdf --decrypt`)',
      );
    }
    const reason =
      code === PDFIUM_ERROR.format
        ? 'its structure is damaged or it is not a PDF'
        : code === PDFIUM_ERROR.file
        ? 'it could not be read'
        : `PDFium error ${code}`;
    throw new IngestError('corrupt', `the file is not a readable PDF (${reason})`);
  }
  return {
    runtime,
    handle,
    buffer,
    pageCount: Math.max(0, exports.FPDF_GetPageCount(handle)),
  };
}

/** Closes the document and frees its bytes. */
export function closePdfiumDocument(doc: PdfiumDocument): void {
  doc.runtime.exports.FPDF_CloseDocument(doc.handle);
  doc.runtime.free(doc.buffer);
}

/** The document information title, or undefined. */
export function readPdfTitle(doc: PdfiumDocument): string | undefined {
  const tag = writePdfiumCString(doc.runtime, 'Title');
  try {
    const title = readPdfiumString(doc.runtime, (buffer, length) =>
      doc.runtime.exports.FPDF_GetMetaText(doc.handle, tag, buffer, length),
    ).trim();
    return title || undefined;
  } finally {
    doc.runtime.free(tag);
  }
}

/** The printed label of a page (`/PageLabels`, e.g. `iv`), or an empty string when the document has none. */
export function readPageLabel(doc: PdfiumDocument, pageIndex: number): string {
  return readPdfiumString(doc.runtime, (buffer, length) =>
    doc.runtime.exports.FPDF_GetPageLabel(doc.handle, pageIndex, buffer, length),
  ).trim();
}

/** Outline entries in document order, up to four levels deep; entries without a page target are skipped. */
export function readOutline(doc: PdfiumDocument): OutlineEntry[] {
  const { exports } = doc.runtime;
  const out: OutlineEntry[] = [];
  // Bookmark trees in damaged files can loop: visit each entry once, and at most this many.
  const seen = new Set<number>();
  const limit = 20_000;
  const walk = (parent: number, level: number): void => {
    for (
      let item = exports.FPDFBookmark_GetFirstChild(doc.handle, parent);
      item !== 0 && !seen.has(item) && seen.size < limit;
      item = exports.FPDFBookmark_GetNextSibling(doc.handle, item)
    ) {
      seen.add(item);
      const title = readPdfiumString(doc.runtime, (buffer, length) =>
        exports.FPDFBookmark_GetTitle(item, buffer, length),
      ).trim();
      let dest = exports.FPDFBookmark_GetDest(doc.handle, item);
      if (dest === 0) {
        const action = exports.FPDFBookmark_GetAction(item);
        if (action !== 0) dest = exports.FPDFAction_GetDest(doc.handle, action);
      }
      const pageIndex = dest === 0 ? -1 : exports.FPDFDest_GetDestPageIndex(doc.handle, dest);
      if (title && pageIndex >= 0 && pageIndex < doc.pageCount) out.push({ title, level, pageIndex });
      if (level < 4) walk(item, level + 1);
    }
  };
  walk(0, 1);
  return out;
}

/** Page object types (`FPDF_PAGEOBJ_*`). */
const OBJECT_TYPE = {
  text: 1,
  path: 2,
  image: 3,
  shading: 4,
  form: 5,
} as const;

function countContent(runtime: PdfiumRuntime, page: number): PageContent {
  const { exports } = runtime;
  const content: PageContent = { images: 0, paths: 0, texts: 0 };
  let visited = 0;
  const visit = (object: number): void => {
    if (++visited > 100_000) return;
    const type = exports.FPDFPageObj_GetType(object);
    if (type === OBJECT_TYPE.image) content.images++;
    else if (type === OBJECT_TYPE.path || type === OBJECT_TYPE.shading) content.paths++;
    else if (type === OBJECT_TYPE.text) content.texts++;
    else if (type === OBJECT_TYPE.form) {
      const n = exports.FPDFFormObj_CountObjects(object);
      for (let i = 0; i < n; i++) visit(exports.FPDFFormObj_GetObject(object, i));
    }
  };
  const n = exports.FPDFPage_CountObjects(page);
  for (let i = 0; i < n; i++) visit(exports.FPDFPage_GetObject(page, i));
  return content;
}

/** The kind of a character PDFium read from the content (not one it generated). */
function kindOf(code: number): number {
  if (
    code === 0x20 ||
    code === 0x09 ||
    code === 0xa0 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x3000 ||
    code === 0x202f
  )
    return GLYPH_KIND.space;
  // PDFium reports a hyphen that ends a line as U+0002; the soft hyphen is visible only there too.
  if (code === 0x02 || code === 0xad) return GLYPH_KIND.upright;
  // Control codes are what glyphs without a Unicode mapping come out as: no text to keep.
  if (
    code < 0x20 ||
    (code >= 0x7f && code < 0xa0) ||
    code === 0xfffd ||
    code === 0xfffe ||
    code === 0xffff ||
    code > 0x10ffff
  )
    return GLYPH_KIND.skip;
  return GLYPH_KIND.upright;
}

/**
 * Reads one page's characters with their boxes and font sizes, in display space. Throws an Error
 * naming the page when PDFium cannot load it.
 */
export function readPdfiumPage(doc: PdfiumDocument, pageIndex: number): PdfiumPage {
  const { runtime } = doc;
  const { exports } = runtime;
  const page = exports.FPDF_LoadPage(doc.handle, pageIndex);
  if (page === 0) throw new Error(`PDFium could not load page ${pageIndex + 1} (error ${exports.FPDF_GetLastError()})`);
  const scratch = runtime.malloc(64);
  try {
    const rotation = exports.FPDFPage_GetRotation(page) & 3;
    let left = 0;
    let top = 0;
    let right = 0;
    let bottom = 0;
    if (exports.FPDF_GetPageBoundingBox(page, scratch)) {
      const f32 = runtime.heapF32();
      const at = scratch >> 2;
      left = f32[at] as number;
      top = f32[at + 1] as number;
      right = f32[at + 2] as number;
      bottom = f32[at + 3] as number;
    }
    const quarter = rotation & 1;
    const width = quarter ? top - bottom : right - left;
    const height = quarter ? right - left : top - bottom;
    const textPage = exports.FPDFText_LoadPage(page);
    if (textPage === 0) throw new Error(`PDFium could not read the text of page ${pageIndex + 1}`);
    try {
      const count = Math.max(0, exports.FPDFText_CountChars(textPage));
      const glyphs = reusablePageGlyphs(count);
      const { codes, kinds, x0, x1, bottom: lows, top: highs, size } = glyphs;
      // Nothing below allocates in the module, so its memory cannot grow and this view stays valid.
      const f32 = runtime.heapF32();
      const matrix = scratch >> 2;
      const rect = (scratch + 32) >> 2;
      // A character's font size and direction come from its text object's matrix; they are read
      // again only when the height of the font box changes (a new font, size or direction), not
      // for every character: that saves a call per character for the text object.
      let lastHeight = Number.NaN;
      let upright = true;
      let fontSize = 0;
      let visible = 0;
      let unmapped = 0;
      for (let k = 0; k < count; k++) {
        let code = exports.FPDFText_GetUnicode(textPage, k);
        // PDFium reports a hyphen that ends a line as U+0002, but an unmapped glyph with code 2 too.
        if (code === 0x02 && exports.FPDFText_HasUnicodeMapError(textPage, k) === 1) code = 0;
        codes[k] = code === 0x02 || code === 0xad ? 0x2d : code;
        // PDFium's own layout inserts word spaces and line breaks (they belong to no text object).
        if ((code === 0x20 || code === 0x0d || code === 0x0a) && exports.FPDFText_GetTextObject(textPage, k) === 0) {
          kinds[k] = code === 0x20 ? GLYPH_KIND.space : GLYPH_KIND.lineBreak;
          continue;
        }
        const kind = kindOf(code);
        if (kind !== GLYPH_KIND.upright) {
          kinds[k] = kind;
          if (kind === GLYPH_KIND.skip) unmapped++;
          continue;
        }
        visible++;
        exports.FPDFText_GetLooseCharBox(textPage, k, scratch + 32);
        // FS_RECTF: left, top, right, bottom in page space, turned into display space with y = 0 at the bottom edge.
        const l = f32[rect] as number;
        const t = f32[rect + 1] as number;
        const r = f32[rect + 2] as number;
        const b = f32[rect + 3] as number;
        if (t - b !== lastHeight) {
          lastHeight = t - b;
          exports.FPDFText_GetMatrix(textPage, k, scratch);
          const ma = f32[matrix] as number;
          const mb = f32[matrix + 1] as number;
          // The baseline direction in display space: upright text runs along +x.
          const dx = rotation === 0 ? ma : rotation === 1 ? mb : rotation === 2 ? -ma : -mb;
          const dy = rotation === 0 ? mb : rotation === 1 ? -ma : rotation === 2 ? -mb : ma;
          upright = dx > 0 && Math.abs(dy) <= 0.05 * dx;
          fontSize =
            exports.FPDFText_GetFontSize(textPage, k) *
            Math.hypot(f32[matrix + 2] as number, f32[matrix + 3] as number);
        }
        if (!upright) {
          kinds[k] = GLYPH_KIND.rotated;
          continue;
        }
        if (rotation === 0) {
          x0[k] = l - left;
          x1[k] = r - left;
          lows[k] = b - bottom;
          highs[k] = t - bottom;
        } else if (rotation === 1) {
          x0[k] = b - bottom;
          x1[k] = t - bottom;
          lows[k] = right - r;
          highs[k] = right - l;
        } else if (rotation === 2) {
          x0[k] = right - r;
          x1[k] = right - l;
          lows[k] = top - t;
          highs[k] = top - b;
        } else {
          x0[k] = top - t;
          x1[k] = top - b;
          lows[k] = l - left;
          highs[k] = r - left;
        }
        size[k] = fontSize > 0 ? fontSize : (highs[k] as number) - (lows[k] as number);
        kinds[k] = GLYPH_KIND.upright;
      }
      return {
        glyphs,
        width,
        height,
        visible,
        unmapped,
        ...(visible === 0 && { content: countContent(runtime, page) }),
      };
    } finally {
      exports.FPDFText_ClosePage(textPage);
    }
  } finally {
    runtime.free(scratch);
    exports.FPDF_ClosePage(page);
  }
}

let reusable: PageGlyphs | undefined;

/** The glyph arrays of this thread, grown as needed: a page's glyphs are valid until the next page is read. */
function reusablePageGlyphs(count: number): PageGlyphs {
  if (!reusable || reusable.codes.length < count) reusable = createPageGlyphs(Math.max(count, 4096));
  reusable.count = count;
  return reusable;
}
