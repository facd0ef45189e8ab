/** A line of text on a generated page. */
export interface PdfLine {
  text: string;
  /** Font size in points. @default 11 */
  size?: number;
}

/** Text placed at a fixed position, in points from the bottom-left corner of the page. */
export interface PdfPlacedText {
  text: string;
  x: number;
  y: number;
  /** Font size in points. @default 11 */
  size?: number;
}

/** One generated page: flowing lines from the top, then optional columns and a table below them. */
export interface PdfPage {
  lines: Array<PdfLine | string>;
  /** Side-by-side columns set below `lines`, each wrapped to its own width (two columns are 240 points wide each). */
  columns?: Array<Array<PdfLine | string>>;
  /**
   * Write the columns row by row into the content stream (a line of the first column, then of the
   * second, …) instead of one column after the other: readers must order the text by position.
   * @default false
   */
  interleaveColumns?: boolean;
  /** Table rows below the columns: one line per row, cells starting every `tableColumnWidth` points. */
  table?: string[][];
  /** Horizontal distance between table columns. @default 150 */
  tableColumnWidth?: number;
  /** Text at fixed positions, written after everything else. */
  placed?: PdfPlacedText[];
  /** Paint a grey image over the page before its text, like a scanned page. @default false */
  image?: boolean;
  /**
   * A line drawn in a font whose glyphs have no Unicode mapping (a Type 3 font with private glyph
   * names and codes below 32, as subset fonts without a ToUnicode map have): readers see shapes
   * but cannot recover the characters.
   */
  unmappedText?: string;
}

/** A bookmark of the generated document's outline. */
export interface PdfOutlineEntry {
  title: string;
  /** Target page, 1-based. */
  page: number;
  children?: PdfOutlineEntry[];
}

/** Options of {@link writeSimplePdf}. */
export interface SimplePdfOptions {
  title?: string;
  pages: PdfPage[];
  /** Printed page labels: pages before `startAt` are roman (i, ii, …), the rest 1, 2, … */
  romanFrontMatter?: number;
  /** Adds a standard-security /Encrypt dictionary whose user password is not empty (readers must ask for it). */
  passwordProtected?: boolean;
  /** A running header in the top margin of every page (9 pt, 0.45 inch from the top); `{page}` becomes the page number. */
  header?: string;
  /** A running footer in the bottom margin of every page (9 pt, centred); `{page}` becomes the page number. */
  footer?: string;
  /** Bookmarks (the PDF outline), with nested children. */
  outline?: PdfOutlineEntry[];
}

function escapePdfString(text: string): string {
  // Standard fonts use WinAnsi: keep Latin-1, replace anything else.
  const latin1 = Array.from(text, (ch) => ((ch.codePointAt(0) ?? 63) <= 0xff ? ch : '?')).join('');
  return latin1.replace(/\\/g, '\\\\').replace(/\(/g, '\\(').replace(/\)/g, '\\)');
}

/** Helvetica is about half an em wide per character on average. */
function wrap(text: string, size: number, width = 480): string[] {
  const maxChars = Math.floor(width / (size * 0.5));
  const words = text.split(/\s+/).filter(Boolean);
  const out: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && line.length + 1 + word.length > maxChars) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out.length ? out : [''];
}

const LEFT = 56;
const TOP = 740;
const COLUMN_GAP = 20;

const show = (text: string, size: number, x: number, y: number): string =>
  `/F1 ${size} Tf 1 0 0 1 ${x.toFixed(1)} ${y.toFixed(1)} Tm (${escapePdfString(text)}) Tj`;

/** Lays out flowing lines from `y` down at `x`, wrapped to `width`; returns the positioned pieces and the new y. */
function flow(lines: Array<PdfLine | string>, x: number, y: number, width: number): { ops: string[]; y: number } {
  const ops: string[] = [];
  for (const raw of lines) {
    const line = typeof raw === 'string' ? { text: raw } : raw;
    const size = line.size ?? 11;
    for (const piece of wrap(line.text, size, width)) {
      y -= size * 1.4;
      ops.push(show(piece, size, x, y));
    }
    y -= size * 0.6;
  }
  return { ops, y };
}

function pageContent(page: PdfPage, pageNumber: number, options: SimplePdfOptions): string {
  const ops: string[] = [];
  if (page.image) ops.push('q 500 0 0 650 56 71 cm /Im1 Do Q');
  ops.push('BT');
  const body = flow(page.lines, LEFT, TOP, 480);
  ops.push(...body.ops);
  let y = body.y;
  if (page.columns?.length) {
    const count = page.columns.length;
    const width = (480 - COLUMN_GAP * (count - 1)) / count;
    const columns = page.columns.map((column, i) => flow(column, LEFT + i * (width + COLUMN_GAP), y, width));
    if (page.interleaveColumns) {
      const rows = Math.max(...columns.map((c) => c.ops.length));
      for (let r = 0; r < rows; r++) for (const column of columns) if (column.ops[r]) ops.push(column.ops[r] as string);
    } else for (const column of columns) ops.push(...column.ops);
    y = Math.min(...columns.map((c) => c.y));
  }
  const cellWidth = page.tableColumnWidth ?? 150;
  for (const row of page.table ?? []) {
    y -= 11 * 1.4;
    row.forEach((cell, i) => ops.push(show(cell, 11, LEFT + i * cellWidth, y)));
  }
  const running = (template: string | undefined, x: number, yy: number): void => {
    if (template) ops.push(show(template.replace(/\{page\}/g, String(pageNumber)), 9, x, yy));
  };
  running(options.header, LEFT, 760);
  running(options.footer, 290, 30);
  for (const text of page.placed ?? []) ops.push(show(text.text, text.size ?? 11, text.x, text.y));
  if (page.unmappedText) {
    const codes = Array.from(
      page.unmappedText,
      (ch) => `\\${((ch.charCodeAt(0) % 31) + 1).toString(8).padStart(3, '0')}`,
    );
    ops.push(`/F9 11 Tf 1 0 0 1 ${LEFT} ${(y - 30).toFixed(1)} Tm (${codes.join('')}) Tj`);
  }
  ops.push('ET');
  return ops.join('\n');
}

/**
 * Writes a small, valid text PDF (Helvetica, Letter pages, lines wrapped at the margin) with an
 * info title, optional roman page labels, running headers and footers, columns, tables and
 * bookmarks. Enough to drive PDF extraction in tests and demos without any external tool.
 */
export function writeSimplePdf(options: SimplePdfOptions): Uint8Array {
  const objects: string[] = [];
  const add = (body: string): number => objects.push(body);
  const catalogId = add('');
  const pagesId = add('');
  const fontId = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const imageId = options.pages.some((p) => p.image)
    ? add(
        `<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 64 >>\nstream\n${'\x90'.repeat(
          64,
        )}\nendstream`,
      )
    : undefined;
  const unmappedId = options.pages.some((p) => p.unmappedText) ? writeUnmappedFont(add) : undefined;
  const pageIds: number[] = [];
  options.pages.forEach((page, index) => {
    const stream = pageContent(page, index + 1, options);
    const contentId = add(`<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`);
    const xobjects = page.image && imageId ? ` /XObject << /Im1 ${imageId} 0 R >>` : '';
    const unmapped = page.unmappedText && unmappedId ? ` /F9 ${unmappedId} 0 R` : '';
    pageIds.push(
      add(
        `<< /Type /Page /Parent ${pagesId} 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${fontId} 0 R${unmapped} >>${xobjects} >> /Contents ${contentId} 0 R >>`,
      ),
    );
  });
  objects[pagesId - 1] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${
    pageIds.length
  } >>`;
  const labels = options.romanFrontMatter
    ? ` /PageLabels << /Nums [0 << /S /r >> ${options.romanFrontMatter} << /S /D /St 1 >>] >>`
    : '';
  const outlineId = options.outline?.length ? writeOutline(options.outline, add, objects, pageIds) : undefined;
  const outlines = outlineId ? ` /Outlines ${outlineId} 0 R /PageMode /UseOutlines` : '';
  objects[catalogId - 1] = `<< /Type /Catalog /Pages ${pagesId} 0 R${labels}${outlines} >>`;
  const infoId = options.title
    ? add(`<< /Title (${escapePdfString(options.title)}) /Producer (ragbridge testkit) >>`)
    : undefined;
  const encryptId = options.passwordProtected
    ? add(`<< /Filter /Standard /V 1 /R 2 /O <${'7a'.repeat(32)}> /U <${'3c'.repeat(32)}> /P -44 >>`)
    : undefined;

  const parts: string[] = ['%PDF-1.4\n%\xE2\xE3\xCF\xD3\n'];
  let length = Buffer.byteLength(parts[0] as string, 'latin1');
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(length);
    const object = `${i + 1} 0 obj\n${body}\nendobj\n`;
    parts.push(object);
    length += Buffer.byteLength(object, 'latin1');
  });
  const xref = [`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`];
  for (const offset of offsets) xref.push(`${String(offset).padStart(10, '0')} 00000 n \n`);
  const encrypt = encryptId ? ` /Encrypt ${encryptId} 0 R /ID [<${'01'.repeat(16)}> <${'01'.repeat(16)}>]` : '';
  xref.push(
    `trailer\n<< /Size ${objects.length + 1} /Root ${catalogId} 0 R${
      infoId ? ` /Info ${infoId} 0 R` : ''
    }${encrypt} >>\nstartxref\n${length}\n%%EOF\n`,
  );
  return new Uint8Array(Buffer.from(parts.join('') + xref.join(''), 'latin1'));
}

/** Writes a Type 3 font whose 31 glyphs (codes 1–31, private names, no ToUnicode) are filled boxes; returns its object number. */
function writeUnmappedFont(add: (body: string) => number): number {
  const glyph = '600 0 0 0 500 700 d1 0 0 500 700 re f';
  const procId = add(`<< /Length ${glyph.length} >>\nstream\n${glyph}\nendstream`);
  const codes = Array.from({ length: 31 }, (_, i) => i + 1);
  const procs = codes.map((c) => `/g${c} ${procId} 0 R`).join(' ');
  const names = codes.map((c) => `/g${c}`).join(' ');
  const widths = codes.map(() => '600').join(' ');
  return add(
    `<< /Type /Font /Subtype /Type3 /FontBBox [0 0 600 700] /FontMatrix [0.001 0 0 0.001 0 0] /CharProcs << ${procs} >> /Encoding << /Type /Encoding /Differences [1 ${names}] >> /FirstChar 1 /LastChar 31 /Widths [${widths}] /Resources << >> >>`,
  );
}

/** Writes the outline dictionaries (bookmarks point at their page with an /XYZ destination); returns the root's object number. */
function writeOutline(
  entries: PdfOutlineEntry[],
  add: (body: string) => number,
  objects: string[],
  pageIds: number[],
): number {
  const rootId = add('');
  const writeLevel = (items: PdfOutlineEntry[], parentId: number): { first: number; last: number; count: number } => {
    const ids = items.map(() => add(''));
    let count = items.length;
    items.forEach((item, i) => {
      const pageId = pageIds[Math.min(pageIds.length, Math.max(1, item.page)) - 1];
      const links = [`/Parent ${parentId} 0 R`];
      if (i > 0) links.push(`/Prev ${ids[i - 1]} 0 R`);
      if (i < items.length - 1) links.push(`/Next ${ids[i + 1]} 0 R`);
      if (item.children?.length) {
        const child = writeLevel(item.children, ids[i] as number);
        links.push(`/First ${child.first} 0 R /Last ${child.last} 0 R /Count ${child.count}`);
        count += child.count;
      }
      objects[(ids[i] as number) - 1] = `<< /Title (${escapePdfString(item.title)}) ${links.join(
        ' ',
      )} /Dest [${pageId} 0 R /XYZ null null null] >>`;
    });
    return {
      first: ids[0] as number,
      last: ids[ids.length - 1] as number,
      count,
    };
  };
  const top = writeLevel(entries, rootId);
  objects[rootId - 1] = `<< /Type /Outlines /First ${top.first} 0 R /Last ${top.last} 0 R /Count ${top.count} >>`;
  return rootId;
}

/** Turns Markdown into PDF pages: headings larger, about `linesPerPage` wrapped lines per page. */
export function markdownToPdfPages(markdown: string, linesPerPage = 38): PdfPage[] {
  const pages: PdfPage[] = [];
  let current: PdfLine[] = [];
  let used = 0;
  const push = (line: PdfLine): void => {
    const cost = wrap(line.text, line.size ?? 11).length + 1;
    if (used + cost > linesPerPage && current.length) {
      pages.push({ lines: current });
      current = [];
      used = 0;
    }
    current.push(line);
    used += cost;
  };
  let inFence = false;
  let paragraph: string[] = [];
  const flush = (): void => {
    if (paragraph.length)
      push({
        text: paragraph
          .join(' ')
          .replace(/[`*]/g, '')
          .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1'),
      });
    paragraph = [];
  };
  for (const raw of markdown.split('\n')) {
    if (raw.startsWith('```')) {
      flush();
      inFence = !inFence;
      continue;
    }
    const heading = /^(#{1,3})\s+(.*)$/.exec(raw);
    if (!inFence && heading) {
      flush();
      push({
        text: (heading[2] ?? '').replace(/[`*]/g, ''),
        size: heading[1] === '#' ? 18 : heading[1] === '##' ? 15 : 13,
      });
    } else if (!raw.trim() || inFence || /^\s*([-*+]|\d+\.|\|)\s/.test(raw)) {
      // Blank lines end a paragraph; list items, table rows and code lines stand alone.
      flush();
      if (raw.trim()) paragraph.push(raw.trim());
      if (inFence || raw.trim().startsWith('|')) flush();
    } else paragraph.push(raw.trim());
  }
  flush();
  if (current.length) pages.push({ lines: current });
  return pages;
}
