import { describe, expect, it } from 'vitest';
import type { DocumentRecord } from '@ragbridge/core-interfaces';
import { chunkCount, repeatCorpus } from './bench-corpus.js';

function record(id: string, chunks: number): DocumentRecord {
  return {
    document: { id, source: `/docs/${id}.html`, name: `${id}.html`, mediaType: 'text/html', contentHash: `hash-${id}`, pageCount: 1, byteSize: 10, ingestedAt: 0 },
    chunks: Array.from({ length: chunks }, (_, i) => ({
      id: `${id}:${i}`,
      docId: id,
      text: `text ${i}`,
      page: 1,
      pageEnd: 1,
      pageLabel: '1',
      sectionPath: [],
      charStart: 0,
      charEnd: 6,
      terms: 'text',
      headingTerms: '',
    })),
    documentTerms: id,
  };
}

describe('repeatCorpus', () => {
  const base = [record('a', 3), record('b', 2)];

  it('repeats whole documents under other ids, sources and names until the target', () => {
    const repeated = repeatCorpus(base, 11).map((c) => c.record);
    expect(chunkCount(repeated)).toBe(13);
    expect(repeated.map((r) => r.document.id)).toEqual(['a', 'b', 'a~1', 'b~1', 'a~2']);
    const copy = repeated[2] as DocumentRecord;
    expect(copy.document).toMatchObject({ source: '/docs/a.html~1', name: 'a.html~1', contentHash: 'hash-a~1' });
    expect(copy.chunks.map((c) => [c.id, c.docId])).toEqual([
      ['a:0~1', 'a~1'],
      ['a:1~1', 'a~1'],
      ['a:2~1', 'a~1'],
    ]);
    expect(new Set(repeated.flatMap((r) => r.chunks.map((c) => c.id))).size).toBe(13);
  });

  it('takes the first documents for a target below the corpus', () => {
    expect(repeatCorpus(base, 2).map((c) => c.record.document.id)).toEqual(['a']);
  });
});
