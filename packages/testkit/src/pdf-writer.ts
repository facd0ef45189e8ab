/** A line of text on a generated page. */
export interface PdfLine {
  text: string;
  /** Font size in points. @default 11 */
  size?: number;
}

/** Options of {@link writeSimplePdf}. */
export interface SimplePdfOptions {
  title?: string;
  pages: Array<{ lines: Array<PdfLine | string> }>;
  /** Printed page labels: pages before `startAt` are roman (i, ii, …), the rest 1, 2, … */
  romanFrontMatter?: number;
  /** Adds a standard-security /Encrypt dictionary whose user password is not empty (readers must ask for it). */
  passwordProtected?: boolean;
}

function escapePdfString(text: string): string {
  // Standard fonts use WinAnsi: keep Latin-1, replace anything else.
  const latin1 = Array.from(text, (ch) => (ch.codePointAt(0) ?? 63) <= 0xff ? ch : '?').join('');
  return latin1.replace(/\\/g, '\\\\').replace(/\(/g, '\\(').replace(/\)/g, '\\)');
}

function wrap(text: string, size: number): string[] {
  const maxChars = Math.floor(480 / (size * 0.5));
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

/**
 * Writes a small, valid text PDF (Helvetica, Letter pages, lines wrapped at the margin) with an
 * info title and optional roman page labels. Enough to drive PDF extraction in tests and demos
 * without any external tool.
 */
export function writeSimplePdf(options: SimplePdfOptions): Uint8Array {
  const objects: string[] = [];
  const add = (body: string): number => objects.push(body);
  const catalogId = add('');
  const pagesId = add('');
  const fontId = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const pageIds: number[] = [];
  for (const page of options.pages) {
    const ops: string[] = ['BT'];
    let y = 740;
    for (const raw of page.lines) {
      const line = typeof raw === 'string' ? { text: raw } : raw;
      const size = line.size ?? 11;
      for (const piece of wrap(line.text, size)) {
        y -= size * 1.4;
        ops.push(`/F1 ${size} Tf 1 0 0 1 56 ${y.toFixed(1)} Tm (${escapePdfString(piece)}) Tj`);
      }
      y -= size * 0.6;
    }
    ops.push('ET');
    const stream = ops.join('\n');
    const contentId = add(`<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`);
    pageIds.push(add(`<< /Type /Page /Parent ${pagesId} 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${fontId} 0 R >> >> /Contents ${contentId} 0 R >>`));
  }
  objects[pagesId - 1] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pageIds.length} >>`;
  const labels = options.romanFrontMatter
    ? ` /PageLabels << /Nums [0 << /S /r >> ${options.romanFrontMatter} << /S /D /St 1 >>] >>`
    : '';
  objects[catalogId - 1] = `<< /Type /Catalog /Pages ${pagesId} 0 R${labels} >>`;
  const infoId = options.title ? add(`<< /Title (${escapePdfString(options.title)}) /Producer (ragbridge testkit) >>`) : undefined;
  const encryptId = options.passwordProtected
    ? add(`<< /Filter /Standard /V 1 /R 2 /O <${'7a'.repeat(32)}> /U <${'3c'.repeat(32)}> /P -44 >>`)
    : undefined;

  let out = '%PDF-1.4\n%\xE2\xE3\xCF\xD3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  const encrypt = encryptId ? ` /Encrypt ${encryptId} 0 R /ID [<${'01'.repeat(16)}> <${'01'.repeat(16)}>]` : '';
  out += `trailer\n<< /Size ${objects.length + 1} /Root ${catalogId} 0 R${infoId ? ` /Info ${infoId} 0 R` : ''}${encrypt} >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(out, 'latin1'));
}

/** Turns Markdown into PDF pages: headings larger, about `linesPerPage` wrapped lines per page. */
export function markdownToPdfPages(markdown: string, linesPerPage = 38): SimplePdfOptions['pages'] {
  const pages: SimplePdfOptions['pages'] = [];
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
    if (paragraph.length) push({ text: paragraph.join(' ').replace(/[`*]/g, '').replace(/\[([^\]]+)\]\([^)]*\)/g, '$1') });
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
      push({ text: (heading[2] ?? '').replace(/[`*]/g, ''), size: heading[1] === '#' ? 18 : heading[1] === '##' ? 15 : 13 });
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
