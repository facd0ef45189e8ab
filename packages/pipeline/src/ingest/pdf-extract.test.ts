import { writeSimplePdf, type PdfPage } from '@ragbridge/testkit';
import { describe, expect, it } from 'vitest';
import { extractDocument } from './extract.js';
import { IngestError } from './ingest-errors.js';
import { joinLines, numberedHeadingLevel } from './pdf-blocks.js';
import { extractPdf } from './pdf-extract.js';

type Doc = Awaited<ReturnType<typeof extractPdf>>;

const textOf = (doc: Doc, page: number): string => doc.pages[page - 1]?.blocks.map((b) => b.text).join('\n') ?? '';

async function failure(bytes: Uint8Array): Promise<IngestError> {
  try {
    await extractDocument(bytes, 'application/pdf');
  } catch (error) {
    return error as IngestError;
  }
  throw new Error('expected the extraction to fail');
}

/** Asserts that `parts` occur in `text` in this order. */
function expectInOrder(text: string, parts: readonly string[]): void {
  let from = 0;
  for (const part of parts) {
    const at = text.indexOf(part, from);
    expect(at, `"${part}" after offset ${from} in:\n${text}`).toBeGreaterThanOrEqual(0);
    from = at + part.length;
  }
}

const sample = writeSimplePdf({
  title: 'Sample manual',
  romanFrontMatter: 1,
  header: 'Sample Manual Running Header',
  footer: 'Page {page}',
  pages: [
    {
      lines: [{ text: 'Preface', size: 18 }, 'This manual describes the RV32I base integer ISA.'],
    },
    {
      lines: [
        { text: 'Registers', size: 18 },
        'The register x0 is hardwired to zero; registers x0-x31 hold integers.',
        'The mstatus.MIE bit enables machine interrupts and funct3 selects the operation.',
      ],
    },
    {
      lines: [{ text: 'Encodings', size: 18 }, 'CSR 0x7b0 is the debug control register.'],
    },
  ],
});

describe('extractPdf', () => {
  it('reads every page with its physical number and printed label', async () => {
    const doc = await extractPdf(sample);
    expect(doc.pageCount).toBe(3);
    expect(doc.title).toBe('Sample manual');
    expect(doc.pageErrors).toEqual([]);
    expect(doc.pages.map((p) => [p.page, p.label])).toEqual([
      [1, 'i'],
      [2, '1'],
      [3, '2'],
    ]);
  });

  it('keeps words apart and technical tokens whole', async () => {
    const text = textOf(await extractPdf(sample), 2);
    expect(text).toContain('The register x0 is hardwired to zero; registers x0-x31 hold integers.');
    expect(text).toContain('mstatus.MIE');
    expect(text).not.toMatch(/registerx0|thereg/);
  });

  it('removes running headers and page numbers printed in the margins of every page', async () => {
    const doc = await extractPdf(sample);
    for (const page of doc.pages) {
      const text = page.blocks.map((b) => b.text).join('\n');
      expect(text).not.toContain('Running Header');
      expect(text).not.toMatch(/Page \d+/);
    }
  });

  it('finds headings by font size', async () => {
    const doc = await extractPdf(sample);
    expect(doc.pages[1]?.blocks[0]).toEqual({
      kind: 'heading',
      text: 'Registers',
      level: 1,
    });
  });

  it('takes headings from the outline (bookmarks) when the PDF has one', async () => {
    const doc = await extractPdf(
      writeSimplePdf({
        pages: [
          { lines: [{ text: 'Overview', size: 18 }, 'The core runs RV32I.'] },
          {
            lines: [
              { text: 'Control registers', size: 14 },
              'CTRL enables the core.',
              'Summary of fields',
              'STATUS reports errors.',
            ],
          },
        ],
        outline: [
          {
            title: 'Overview',
            page: 1,
            children: [
              { title: 'Control registers', page: 2 },
              { title: 'Summary of fields', page: 2 },
            ],
          },
        ],
      }),
    );
    expect(doc.pages[0]?.blocks[0]).toEqual({
      kind: 'heading',
      text: 'Overview',
      level: 1,
    });
    const headings = doc.pages[1]?.blocks.filter((b) => b.kind === 'heading');
    expect(headings).toEqual([
      { kind: 'heading', text: 'Control registers', level: 2 },
      { kind: 'heading', text: 'Summary of fields', level: 2 },
    ]);
    expectInOrder(textOf(doc, 2), [
      'Control registers',
      'CTRL enables the core.',
      'Summary of fields',
      'STATUS reports errors.',
    ]);
  });

  it('joins hyphenated line ends and recognises numbered headings', () => {
    // The hyphen stays (it may be a real compound like floating-point); the analyzer also indexes the joined word.
    expect(joinLines(['the vali-', 'dation plan'])).toBe('the vali-dation plan');
    expect(joinLines(['x0-', 'X31'])).toBe('x0- X31');
    expect(numberedHeadingLevel('4.5. PLANS')).toBe(2);
    expect(numberedHeadingLevel('2.1 Base Instruction Formats')).toBe(2);
    expect(numberedHeadingLevel('3. The software shall be validated.')).toBeUndefined();
  });
});

/** A register page of a datasheet: 4 to 6 short lines from one template. */
function registerPage(n: number): string[] {
  const lines = [
    'Register description',
    `CTRL${n} control register`,
    `Offset 0x${(n * 4).toString(16).padStart(2, '0')}`,
    'Access: read/write',
  ];
  if (n % 2 === 0) lines.push(`Bit 0 enables channel ${n}.`);
  if (n % 3 === 0) lines.push('Reserved bits read as zero.');
  return lines;
}

describe('no body text is taken for a running header or footer', () => {
  it('keeps every line of short templated pages, including lines repeated on every page', async () => {
    const pages = Array.from({ length: 20 }, (_, i) => registerPage(i + 1));
    const doc = await extractPdf(writeSimplePdf({ pages: pages.map((lines) => ({ lines })) }));
    expect(doc.pageErrors).toEqual([]);
    pages.forEach((lines, i) => expectInOrder(textOf(doc, i + 1), lines));
  });

  it('removes the margins of templated pages and keeps their body', async () => {
    const pages = Array.from({ length: 20 }, (_, i) => registerPage(i + 1));
    const doc = await extractPdf(
      writeSimplePdf({
        pages: pages.map((lines) => ({ lines })),
        header: 'Acme UART datasheet',
        footer: '- {page} -',
      }),
    );
    pages.forEach((lines, i) => {
      const text = textOf(doc, i + 1);
      expectInOrder(text, lines);
      expect(text).not.toContain('Acme UART datasheet');
      expect(text).not.toMatch(/- \d+ -/);
    });
  });

  it('keeps a repeated title set larger than the body (slides)', async () => {
    const pages = Array.from({ length: 6 }, (_, i) => ({
      lines: [{ text: 'Example', size: 24 }, `Slide ${i + 1} shows vector code.`],
    }));
    const doc = await extractPdf(writeSimplePdf({ pages, footer: 'Workshop {page}' }));
    pages.forEach((_, i) => expect(textOf(doc, i + 1)).toBe(`Example\nSlide ${i + 1} shows vector code.`));
  });

  it('drops the header and footer of a blank page too', async () => {
    const text = (n: number): PdfPage => ({ lines: [`Body text of page ${n}.`] });
    const doc = await extractPdf(
      writeSimplePdf({
        pages: [text(1), text(2), { lines: [] }, text(4), text(5)],
        header: 'Acme manual',
        footer: 'Page {page}',
      }),
    );
    expect(doc.pages.map((p) => p.blocks.map((b) => b.text).join('\n'))).toEqual([
      'Body text of page 1.',
      'Body text of page 2.',
      '',
      'Body text of page 4.',
      'Body text of page 5.',
    ]);
  });

  it('keeps the text of every page of a 3,000-page document', async () => {
    const count = 3000;
    const pages = Array.from({ length: count }, (_, i) => ({
      lines: [`Section ${i + 1} overview`, `Entry ${i + 1} sets field f${i + 1}q.`, 'Values are little-endian.'],
    }));
    const doc = await extractPdf(writeSimplePdf({ pages, footer: 'Page {page}' }));
    expect(doc.pageCount).toBe(count);
    const missing = doc.pages.filter((page, i) => {
      const text = page.blocks.map((b) => b.text).join('\n');
      return (
        !text.includes(`Section ${i + 1} overview`) ||
        !text.includes(`sets field f${i + 1}q.`) ||
        !text.includes('little-endian') ||
        text.includes('Page ')
      );
    });
    expect(missing.map((p) => p.page)).toEqual([]);
  });
});

const sentences = (prefix: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix} sentence ${i + 1} describes cache line ${i + 1}.`);

describe('reading order and tables', () => {
  it.each([false, true])(
    'reads two columns one after the other (content written row by row: %s)',
    async (interleaveColumns) => {
      const left = sentences('Left', 12);
      const right = sentences('Right', 12);
      const page: PdfPage = {
        lines: [{ text: 'A two column article', size: 16 }],
        columns: [left, right],
        interleaveColumns,
      };
      const doc = await extractPdf(writeSimplePdf({ pages: [page, page] }));
      for (const n of [1, 2]) expectInOrder(textOf(doc, n), ['A two column article', ...left, ...right]);
    },
  );

  it('keeps table rows as rows, cells in order', async () => {
    const rows = [
      ['Register', 'Offset', 'Access', 'Reset'],
      ['CTRL', '0x00', 'RW', '0x0000'],
      ['STATUS', '0x04', 'RO', '0x0001'],
      ['DATA', '0x08', 'RW', '0xFFFF'],
    ];
    const doc = await extractPdf(
      writeSimplePdf({
        pages: [
          {
            lines: ['The UART has four registers.'],
            table: rows,
            tableColumnWidth: 120,
          },
        ],
      }),
    );
    const table = doc.pages[0]?.blocks.find((b) => b.kind === 'table');
    expect(table?.text.split('\n')).toEqual(rows.map((row) => row.join(' | ')));
  });
});

describe('pages that yield no text', () => {
  it('reports a scanned page among text pages as a page error and keeps the others', async () => {
    const doc = await extractPdf(
      writeSimplePdf({
        pages: [{ lines: ['First page text.'] }, { lines: [], image: true }, { lines: ['Third page text.'] }],
      }),
    );
    expect(doc.pageErrors).toEqual([
      {
        page: 2,
        message: expect.stringMatching(/no text layer.*image.*OCR/) as unknown as string,
      },
    ]);
    expect(textOf(doc, 1)).toBe('First page text.');
    expect(textOf(doc, 3)).toBe('Third page text.');
  });

  it('reports a page whose text has no Unicode mapping, and one where most characters have none', async () => {
    const unmapped = 'Glyphs drawn with a subset font that has no ToUnicode map';
    const doc = await extractPdf(
      writeSimplePdf({
        pages: [
          { lines: ['Readable first page.'] },
          { lines: [], unmappedText: unmapped },
          { lines: ['Short note.'], unmappedText: unmapped },
        ],
      }),
    );
    expect(doc.pageErrors).toEqual([
      { page: 2, message: expect.stringMatching(/no Unicode mapping/) as unknown as string },
      { page: 3, message: expect.stringMatching(/^\d+ of \d+ characters .* incomplete$/) as unknown as string },
    ]);
    expect(textOf(doc, 2)).toBe('');
    expect(textOf(doc, 3)).toBe('Short note.');
  });

  it('does not report blank pages', async () => {
    const doc = await extractPdf(
      writeSimplePdf({
        pages: [{ lines: ['Before the blank page.'] }, { lines: [] }, { lines: ['After it.'] }],
      }),
    );
    expect(doc.pageErrors).toEqual([]);
    expect(doc.pages[1]?.blocks).toEqual([]);
  });
});

describe('bad PDFs give a clear per-file error', () => {
  it('corrupt bytes after a PDF header', async () => {
    const bytes = new Uint8Array(
      Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 256))]),
    );
    const error = await failure(bytes);
    expect(error).toBeInstanceOf(IngestError);
    expect(error.code).toBe('corrupt');
    expect(error.message).toContain('not a readable PDF');
  });

  it('a truncated file', async () => {
    const error = await failure(sample.subarray(0, Math.floor(sample.length / 3)));
    expect(error).toBeInstanceOf(IngestError);
    expect(['corrupt', 'no-text', 'unreadable']).toContain(error.code);
    expect(error.message.length).toBeGreaterThan(10);
  });

  it('an encrypted file names the password', async () => {
    const error = await failure(
      writeSimplePdf({
        pages: [{ lines: ['secret'] }],
        passwordProtected: true,
      }),
    );
    expect(error.code).toBe('encrypted');
    expect(error.message).toMatch(/password/);
  });

  it('an empty file', async () => {
    const error = await failure(new Uint8Array(0));
    expect(error.code).toBe('empty');
  });

  it('a non-PDF file with a .pdf name', async () => {
    const error = await failure(new TextEncoder().encode('<html><body>not a pdf</body></html>'));
    expect(error.code).toBe('corrupt');
    expect(error.message).toContain('not a PDF');
  });

  it.each([false, true])('an image-only (scanned) PDF (pages painted with an image: %s)', async (image) => {
    const error = await failure(
      writeSimplePdf({
        pages: [
          { lines: [], image },
          { lines: [], image },
        ],
      }),
    );
    expect(error.code).toBe('no-text');
    expect(error.message).toMatch(/OCR/);
  });
});
