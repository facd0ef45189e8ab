import { describe, expect, it } from 'vitest';
import { chunkDocument, countTokens, splitSentences } from './chunker.js';
import type { ExtractedDocument } from './extracted.js';

const sentence = (i: number): string => `Sentence number ${i} explains how vector registers hold elements of SEW bits.`;

const doc: ExtractedDocument = {
  mediaType: 'application/pdf',
  pageCount: 2,
  pageErrors: [],
  pages: [
    {
      page: 1,
      label: 'iv',
      blocks: [
        { kind: 'heading', text: 'Vector Extension', level: 1 },
        { kind: 'heading', text: 'Registers', level: 2 },
        { kind: 'paragraph', text: Array.from({ length: 40 }, (_, i) => sentence(i)).join(' ') },
        { kind: 'table', text: 'LMUL | Registers\n1 | v0-v31\n2 | v0,v2,...' },
      ],
    },
    { page: 2, label: 'v', blocks: [{ kind: 'heading', text: 'Loads', level: 2 }, { kind: 'paragraph', text: 'Unit-stride loads read memory.' }] },
  ],
};

describe('chunkDocument', () => {
  const { chunks, text } = chunkDocument('doc1', doc, { targetTokens: 120, maxTokens: 200, overlapTokens: 30 });

  it('never crosses a page and keeps page, label and section path', () => {
    for (const chunk of chunks) expect(chunk.page).toBe(chunk.pageEnd);
    const first = chunks[0];
    expect(first).toMatchObject({ docId: 'doc1', page: 1, pageLabel: 'iv', sectionPath: ['Vector Extension', 'Registers'] });
    expect(chunks.at(-1)).toMatchObject({ page: 2, pageLabel: 'v', sectionPath: ['Vector Extension', 'Loads'] });
  });

  it('stays within the token budget and splits long paragraphs at sentences', () => {
    for (const chunk of chunks) expect(countTokens(chunk.text)).toBeLessThanOrEqual(200);
    const bodies = chunks.filter((c) => c.page === 1);
    expect(bodies.length).toBeGreaterThan(2);
    for (const chunk of bodies) expect(chunk.text.trim()).toMatch(/(\.|\.\.\.)$|v0,v2,\.\.\.$/);
  });

  it('starts the next chunk with the closing sentences of the previous one', () => {
    const [a, b] = chunks;
    const firstOfB = splitSentences(b?.text ?? '')[0] ?? '';
    expect(splitSentences(a?.text ?? '').slice(-3)).toContain(firstOfB);
    expect(a?.text.startsWith('Vector Extension\nRegisters\n')).toBe(true);
  });

  it('keeps a table whole', () => {
    expect(chunks.some((c) => c.text.includes('LMUL | Registers\n1 | v0-v31\n2 | v0,v2,...'))).toBe(true);
  });

  it('keeps a page that holds only headings', () => {
    const only: ExtractedDocument = { mediaType: 'text/markdown', pageCount: 1, pageErrors: [], pages: [{ page: 1, label: '1', blocks: [{ kind: 'heading', text: 'The funct3 field', level: 1 }] }] };
    expect(chunkDocument('d', only).chunks.map((c) => c.text)).toEqual(['The funct3 field']);
  });

  it('offsets point into the document text', () => {
    for (const chunk of chunks) {
      const slice = text.slice(chunk.charStart, chunk.charEnd);
      expect(slice.slice(0, 20)).toBe(chunk.text.slice(0, 20));
    }
  });

  it('PDF chunks cite pages, not sections', () => {
    for (const chunk of chunks) expect(chunk.section).toBeUndefined();
  });
});

describe('chunkDocument on documents cited by section', () => {
  const long = (topic: string): string => Array.from({ length: 12 }, (_, i) => `The ${topic} note ${i} says what the ${topic} setting does.`).join(' ');
  const html: ExtractedDocument = {
    mediaType: 'text/html',
    pageCount: 1,
    pageErrors: [],
    pages: [
      {
        page: 1,
        label: '1',
        blocks: [
          { kind: 'paragraph', text: 'Text before any heading.' },
          { kind: 'heading', text: '7.2. Caches', level: 2, anchor: 'CACHES' },
          { kind: 'paragraph', text: 'The caches are sized below.' },
          { kind: 'heading', text: 'block_cache (integer)', level: 3, anchor: 'CFG-BLOCK-CACHE' },
          { kind: 'paragraph', text: long('block cache') },
          { kind: 'heading', text: 'sort_memory (integer)', level: 3, anchor: 'CFG-SORT-MEMORY' },
          { kind: 'paragraph', text: 'Short: the default is 4MB.' },
          { kind: 'paragraph', text: 'Both settings take units.', level: 2 },
          { kind: 'heading', text: 'Untitled anchors', level: 3 },
          { kind: 'paragraph', text: 'No id here.' },
        ],
      },
    ],
  };
  const { chunks } = chunkDocument('page', html, { targetTokens: 60, maxTokens: 100, overlapTokens: 20 });
  const bySection = (anchor: string | undefined): string[] => chunks.filter((c) => c.section?.anchor === anchor).map((c) => c.text);

  it('carries the innermost section, with its anchor, on every chunk under a heading', () => {
    expect(chunks[0]).toMatchObject({ text: 'Text before any heading.', sectionPath: [] });
    expect(chunks[0]?.section).toBeUndefined();
    expect(chunks[1]?.section).toEqual({ title: '7.2. Caches', anchor: 'CACHES' });
    expect(bySection('CFG-BLOCK-CACHE').length).toBeGreaterThan(1);
    expect(chunks.at(-1)?.section).toEqual({ title: 'Untitled anchors' });
  });

  it('never puts two sections in one chunk, and carries no overlap across a section boundary', () => {
    for (const text of bySection('CFG-BLOCK-CACHE')) expect(text).not.toMatch(/sort_memory|4MB|caches are sized/);
    expect(bySection('CFG-SORT-MEMORY')).toEqual(['sort_memory (integer)\nShort: the default is 4MB.']);
  });

  it('returns to the enclosing section where a deeper one ended', () => {
    const after = chunks.find((c) => c.text.includes('Both settings'));
    expect(after).toMatchObject({ text: 'Both settings take units.', sectionPath: ['7.2. Caches'], section: { title: '7.2. Caches', anchor: 'CACHES' } });
  });
});
