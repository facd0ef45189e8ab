import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareSampleCorpus, sampleCorpusSource } from './sample-corpus.js';
import { writeSimplePdf } from './pdf-writer.js';

describe('the sample corpus', () => {
  it('in a checkout: the repository README, docs/*.md, package READMEs and a PDF written to the folder given', async () => {
    const out = mkdtempSync(join(tmpdir(), 'rb-sample-'));
    const files = await prepareSampleCorpus(out);
    const source = sampleCorpusSource();
    expect(files[0]).toBe(join(source, 'README.md'));
    expect(files).toContain(join(source, 'docs', 'architecture.md'));
    expect(files).toContain(join(source, 'packages', 'sample-corpus', 'README.md'));
    expect(files.every((f) => existsSync(f))).toBe(true);
    const pdf = files.at(-1) as string;
    expect(basename(pdf)).toBe('ragbridge-architecture.pdf');
    expect(pdf.startsWith(out)).toBe(true);
    expect(readFileSync(pdf).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('writes a PDF with one page object per page given', () => {
    const bytes = writeSimplePdf({ title: 'T', pages: [{ lines: ['one'] }, { lines: ['two'] }, { lines: ['three'] }] });
    const text = new TextDecoder('latin1').decode(bytes);
    expect(text.startsWith('%PDF-')).toBe(true);
    expect(text.match(/\/Type \/Page\b/g)).toHaveLength(3);
    expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
  });
});
