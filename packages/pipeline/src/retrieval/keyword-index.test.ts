import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../store/sqlite-store.js';
import { KeywordIndex } from './keyword-index.js';
import { analyze } from './text-analysis.js';

const docs = [
  { id: 'priv', text: 'RISC-V Privileged Architecture 20211203 machine-level CSRs mstatus privilege levels' },
  { id: 'user', text: 'RISC-V Unprivileged ISA 20191213 base integer instructions RV32I' },
  { id: 'fda', text: 'General Principles of Software Validation Final Guidance for Industry and FDA Staff 2002' },
  { id: 'pccp', text: 'Predetermined Change Control Plan machine learning enabled device software functions guidance' },
];

describe('KeywordIndex', () => {
  it('scores documents as SQLite FTS5 bm25() does, so in-memory and store ranking agree', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    for (const d of docs) {
      await store.putDocument({
        document: { id: d.id, source: `/${d.id}.pdf`, name: `${d.id}.pdf`, mediaType: 'application/pdf', contentHash: d.id, pageCount: 1, byteSize: 1, ingestedAt: 1 },
        chunks: [],
        documentTerms: analyze(d.text).join(' '),
      });
    }
    const scan = await store.scanChunkTerms();
    const index = new KeywordIndex(scan.rows, scan.documents);
    for (const question of ['privileged architecture 20211203 privilege levels', 'software validation guidance 2002', 'machine learning device software']) {
      const terms = [...new Set(analyze(question))];
      const fromStore = await store.searchDocuments({ terms, limit: 10 });
      const inMemory = index.scoreDocuments(terms);
      expect([...inMemory.keys()].sort()).toEqual(fromStore.map((h) => h.id).sort());
      for (const hit of fromStore) expect(inMemory.get(hit.id)).toBeCloseTo(hit.score, 4);
    }
    await store.close();
  });

  it('sums grouped BM25 per chunk and lists every chunk holding a question term', () => {
    const rows = ['page table entry', 'page fault', 'vector register', 'page-table walk table'].map((text, i) => ({
      id: `c${i}`,
      docId: 'd',
      page: i + 1,
      terms: analyze(text).join(' '),
      headingTerms: '',
    }));
    const index = new KeywordIndex(rows);
    const groups = [analyze('page-table'), analyze('fault')];
    const { total, matching } = index.scoreGroups(groups, () => 1, { k1: 1.2, b: 0.75 });
    expect(matching.sort()).toEqual([0, 1, 3]);
    expect(total[2]).toBe(0);
    // The compound's members count once: the best of `page-table`, `pagetable`, `page`, `table` (at most k1 + 1 with idf 1).
    expect(total[3]).toBeGreaterThan(0);
    expect(total[3]).toBeLessThan(2.2 + 1e-6);
    // Chunk 1 holds `page` and `fault`: one score per group, summed.
    const single = (g: string[]): number => index.scoreGroups([g], () => 1, { k1: 1.2, b: 0.75 }).total[1] as number;
    expect(total[1]).toBeCloseTo(single(groups[0] as string[]) + single(groups[1] as string[]), 5);
    // The scratch is clean between calls: the same question scores the same twice.
    expect([...index.scoreGroups(groups, () => 1, { k1: 1.2, b: 0.75 }).total]).toEqual([...total]);
    expect(index.holdsAny(1, [index.termId('nothing'), index.termId('fault')])).toBe(true);
    expect(index.holds(3, index.termId('walk'))).toBe(true);
    expect(index.holds(2, index.termId('walk'))).toBe(false);
    expect(index.positionOf('c3')).toBe(3);
    expect(index.positionOf('nope')).toBe(-1);
  });
});

describe('KeywordIndex.build', () => {
  it('builds the same index in slices, giving the event loop turns meanwhile', async () => {
    const words = ['timer', 'vector', 'cache', 'trap', 'hart', 'counter', '0x7b0', '1100011'];
    const rows = Array.from({ length: 30_000 }, (_, i) => ({
      id: `c${i}`,
      docId: `d${i % 7}`,
      page: 1 + (i % 50),
      terms: Array.from({ length: 40 }, (_, w) => words[(i * 3 + w * 5) % words.length]).join(' ') + ` unique${i}`,
      headingTerms: i % 3 === 0 ? 'timer chapter' : '',
    }));
    let turns = 0;
    const ticker = setInterval(() => turns++, 1);
    const built = await KeywordIndex.build(rows, [{ id: 'd1', terms: 'timer manual' }], 2);
    clearInterval(ticker);
    expect(turns).toBeGreaterThan(0);
    const direct = new KeywordIndex(rows, [{ id: 'd1', terms: 'timer manual' }]);
    expect(built.size).toBe(direct.size);
    expect(built.averageLength).toBe(direct.averageLength);
    const idf = (term: string): number => Math.log(1 + direct.size / (1 + direct.documentFrequency(term)));
    const a = built.scoreGroups([['timer'], ['unique123']], idf, { k1: 1.2, b: 0.75 });
    const b = direct.scoreGroups([['timer'], ['unique123']], idf, { k1: 1.2, b: 0.75 });
    expect([...a.total]).toEqual([...b.total]);
    expect(built.scoreDocuments(['timer'])).toEqual(direct.scoreDocuments(['timer']));
  });
});
