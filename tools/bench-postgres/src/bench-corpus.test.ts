import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DocumentRecord } from '@ragbridge/core-interfaces';
import { chunkCount, htmlFiles, missingManuals, repeatCorpus } from './bench-corpus.js';

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

describe('the manuals', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-manual-'));
  mkdirSync(join(dir, 'library'));
  mkdirSync(join(dir, '_sources'));
  for (const file of ['index.html', 'library/_thread.html', '_sources/index.rst.txt', '_sources/page.html', 'library/notes.txt']) writeFileSync(join(dir, file), '<p>x</p>');

  it('are the HTML pages outside Sphinx folders such as _sources, pages named _… included', () => {
    expect(htmlFiles(dir).map((f) => f.slice(dir.length + 1))).toEqual(['index.html', 'library/_thread.html']);
  });

  it('are missing when their folder is absent or holds no page', () => {
    const empty = mkdtempSync(join(tmpdir(), 'bench-manual-empty-'));
    const manuals = [
      { debianPackage: 'postgresql-doc-15', dir },
      { debianPackage: 'python3-doc', dir: join(dir, 'absent') },
      { debianPackage: 'empty-doc', dir: empty },
    ];
    expect(missingManuals(manuals).map((m) => m.debianPackage)).toEqual(['python3-doc', 'empty-doc']);
  });
});
