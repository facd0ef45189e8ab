import { writeSimplePdf } from '@ragbridge/testkit';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { extractDocument } from './extract.js';
import { IngestError } from './ingest-errors.js';
import { extractPdf, joinLines, numberedHeadingLevel } from './pdf-extract.js';

const textOf = (doc: Awaited<ReturnType<typeof extractPdf>>, page: number): string =>
  doc.pages[page - 1]?.blocks.map((b) => b.text).join('\n') ?? '';

async function failure(bytes: Uint8Array): Promise<IngestError> {
  try {
    await extractDocument(bytes, 'application/pdf');
  } catch (error) {
    return error as IngestError;
  }
  throw new Error('expected the extraction to fail');
}

const sample = writeSimplePdf({
  title: 'Sample manual',
  romanFrontMatter: 1,
  pages: [
    { lines: ['Sample Manual Running Header', { text: 'Preface', size: 18 }, 'This manual describes the RV32I base integer ISA.', 'Page i'] },
    {
      lines: [
        'Sample Manual Running Header',
        { text: 'Registers', size: 18 },
        'The register x0 is hardwired to zero; registers x0-x31 hold integers.',
        'The mstatus.MIE bit enables machine interrupts and funct3 selects the operation.',
        'Page 1',
      ],
    },
    { lines: ['Sample Manual Running Header', { text: 'Encodings', size: 18 }, 'CSR 0x7b0 is the debug control register.', 'Page 2'] },
  ],
});

describe('extractPdf', () => {
  it('reads every page with its physical number and printed label', async () => {
    const doc = await extractPdf(sample);
    expect(doc.pageCount).toBe(3);
    expect(doc.title).toBe('Sample manual');
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

  it('removes running headers and page numbers repeated on every page', async () => {
    const doc = await extractPdf(sample);
    for (const page of doc.pages) {
      const text = page.blocks.map((b) => b.text).join('\n');
      expect(text).not.toContain('Running Header');
      expect(text).not.toMatch(/^Page \d+$/m);
    }
  });

  it('finds headings by font size', async () => {
    const doc = await extractPdf(sample);
    expect(doc.pages[1]?.blocks[0]).toEqual({ kind: 'heading', text: 'Registers', level: 1 });
  });

  it('joins hyphenated line ends and recognises numbered headings', () => {
    // The hyphen stays (it may be a real compound like floating-point); the analyzer also indexes the joined word.
    expect(joinLines(['the vali-', 'dation plan'])).toBe('the vali-dation plan');
    expect(joinLines(['x0-', 'X31'])).toBe('x0- X31');
    expect(numberedHeadingLevel('4.5. PLANS')).toBe(2);
    expect(numberedHeadingLevel('2.1 Base Instruction Formats')).toBe(2);
    expect(numberedHeadingLevel('3. The software shall be validated.')).toBeUndefined();
  });

  it("leaves the process's native Array.prototype.push and JSON in place after loading pdf.js", () => {
    // In a fresh process: the test runner's own modules can mask pdf.js's polyfills.
    const module = new URL('./pdf-extract.ts', import.meta.url).href;
    const script = `
      const before = [Array.prototype.push, JSON.parse, JSON.stringify];
      const { extractPdf } = await import(${JSON.stringify(module)});
      const { writeSimplePdf } = await import('@ragbridge/testkit');
      await extractPdf(writeSimplePdf({ pages: [{ lines: ['hello'] }] }));
      const after = [Array.prototype.push, JSON.parse, JSON.stringify];
      console.log(JSON.stringify({ same: before.map((fn, i) => fn === after[i]), withResolvers: typeof Promise.withResolvers }));`;
    const out = execFileSync(process.execPath, ['--conditions=@ragbridge/source', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    // pdf.js's additions (needed on Node 20) stay; its replacements of built-ins are undone.
    expect(JSON.parse(out.trim().split('\n').pop() as string)).toEqual({ same: [true, true, true], withResolvers: 'function' });
  });
});

describe('bad PDFs give a clear per-file error', () => {
  it('corrupt bytes after a PDF header', async () => {
    const bytes = new Uint8Array(Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 256))]));
    const error = await failure(bytes);
    expect(error).toBeInstanceOf(IngestError);
    expect(['corrupt', 'no-text', 'unreadable']).toContain(error.code);
  });

  it('a truncated file', async () => {
    const error = await failure(sample.subarray(0, Math.floor(sample.length / 3)));
    expect(error).toBeInstanceOf(IngestError);
    expect(['corrupt', 'no-text', 'unreadable']).toContain(error.code);
    expect(error.message.length).toBeGreaterThan(10);
  });

  it('an encrypted file names the password', async () => {
    const error = await failure(writeSimplePdf({ pages: [{ lines: ['secret'] }], passwordProtected: true }));
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

  it('an image-only (scanned) PDF', async () => {
    const error = await failure(writeSimplePdf({ pages: [{ lines: [] }, { lines: [] }] }));
    expect(error.code).toBe('no-text');
    expect(error.message).toMatch(/OCR/);
  });
});
