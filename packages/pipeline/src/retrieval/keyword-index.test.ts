import { describe, expect, it } from 'vitest';
import { BM25_DEFAULTS, DocumentDescription, KeywordIndex } from './keyword-index.js';
import { RowTermCounts } from './row-term-counts.js';
import { analyze, analyzeQueryGroups } from './text-analysis.js';

const docs = [
  { id: 'priv', text: 'RISC-V Privileged Architecture 20211203 machine-level CSRs mstatus privilege levels' },
  { id: 'user', text: 'RISC-V Unprivileged ISA 20191213 base integer instructions RV32I' },
  { id: 'fda', text: 'General Principles of Software Validation Final Guidance for Industry and FDA Staff 2002' },
  { id: 'pccp', text: 'Predetermined Change Control Plan machine learning enabled device software functions guidance' },
];

describe('KeywordIndex', () => {
  it('scores a few rows with the collection statistics as an index over the whole collection does', () => {
    const texts = [
      'machine-level CSRs hold the privilege state of a hart',
      'the mstatus register keeps the global interrupt enable',
      'software validation covers the whole life cycle of the device',
      'privileged architecture: machine mode, supervisor mode and user mode',
      'vector registers are grouped by LMUL',
      'the hart enters machine mode on reset',
    ];
    const rows = texts.map((text, i) => ({ id: `c${i}`, docId: docs[i % docs.length]?.id as string, page: i + 1, terms: analyze(text).join(' '), headingTerms: analyze(i % 2 ? 'Machine mode' : 'Registers').join(' ') }));
    const documents = docs.map((d) => ({ id: d.id, terms: analyze(d.text).join(' ') }));
    const whole = new KeywordIndex(rows, documents);
    const groups = analyzeQueryGroups('machine mode privilege registers of a hart 20211203');
    const terms = [...new Set(groups.flat())];
    const some = [3, 0, 5];
    // What a store reports for the question: the whole collection's statistics and matching documents.
    const described = documents.map((d) => ({ ...d, list: d.terms.split(' ') }));
    const collection = {
      chunks: rows.length,
      averageChunkTerms: whole.averageLength,
      chunkFrequency: Object.fromEntries(terms.map((t) => [t, whole.chunkFrequency(t)])),
      documents: documents.length,
      averageDocumentTerms: described.reduce((n, d) => n + d.list.length, 0) / documents.length,
      documentFrequency: Object.fromEntries(terms.map((t) => [t, described.filter((d) => d.list.includes(t)).length])),
    };
    const holding = described.filter((d) => terms.some((t) => d.list.includes(t))).map(({ id, terms: text }) => ({ id, terms: text }));
    const part = new KeywordIndex(
      some.map((i) => rows[i] as (typeof rows)[number]),
      holding,
      { collection },
    );
    const idf = (index: KeywordIndex) => (term: string) => Math.log(1 + index.chunkCount / (1 + index.chunkFrequency(term)));
    const all = whole.scoreGroups(groups, idf(whole), BM25_DEFAULTS).total;
    const few = part.scoreGroups(groups, idf(part), BM25_DEFAULTS).total;
    expect(some.map((_, j) => few[j])).toEqual(some.map((i) => all[i]));
    expect(part.chunkCount).toBe(rows.length);
    expect(terms.map((t) => part.chunkFrequency(t))).toEqual(terms.map((t) => whole.chunkFrequency(t)));
    expect(part.scoreDocuments(terms)).toEqual(whole.scoreDocuments(terms));
    expect(part.scoreDocuments(terms).size).toBeGreaterThan(0);
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

describe('RowTermCounts', () => {
  it('counts a row’s wanted terms as splitting it does, and only scans again for terms not asked before', () => {
    const row = { id: 'c1', docId: 'd', page: 1, terms: analyze('the funct3 field 0010011 and funct3 again 0x7b0 words').join(' '), headingTerms: analyze('funct3 encoding').join(' ') };
    const split = (wanted: string[]): Map<string, number> => {
      const counts = new Map<string, number>();
      for (const t of row.terms.split(' ')) if (wanted.includes(t)) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const t of row.headingTerms.split(' ')) if (wanted.includes(t)) counts.set(t, (counts.get(t) ?? 0) + 0.5);
      return counts;
    };
    const cache = new RowTermCounts();
    const first = cache.count(row, new Set(['funct3', 'field']));
    expect(first.length).toBe(row.terms.split(' ').length);
    expect(first.density).toBeCloseTo(2 / row.terms.split(' ').length);
    expect([first.counts.get('funct3'), first.counts.get('field')]).toEqual([split(['funct3']).get('funct3'), 1]);
    expect(first.counts.get('funct3')).toBe(2.5);
    const second = cache.count(row, new Set(['funct3', 'encod', 'missing']));
    expect(second).toBe(first);
    expect([second.counts.get('encod'), second.counts.get('missing')]).toEqual([0.5, 0]);
    // Other terms under the same id: counted afresh.
    const changed = cache.count({ ...row, terms: 'funct3' }, new Set(['funct3']));
    expect([changed.length, changed.counts.get('funct3')]).toEqual([1, 1.5]);
  });
});

describe('DocumentDescription', () => {
  it('counts whole terms only, as splitting the terms would', () => {
    const terms = 'mstatus mie mstatus.mie mie mstatusx xmie mie';
    const described = new DocumentDescription('d', terms);
    const split = new Map<string, number>();
    for (const term of terms.split(' ')) split.set(term, (split.get(term) ?? 0) + 1);
    for (const term of ['mstatus', 'mie', 'mstatus.mie', 'mstatusx', 'xmie', 'x', 'status', 'absent']) expect(described.count(term), term).toBe(split.get(term) ?? 0);
    expect(described.length).toBe(7);
    expect(described.tf).toEqual(split);
    expect(new DocumentDescription('e', '').length).toBe(0);
    expect(new DocumentDescription('e', '').count('a')).toBe(0);
  });
});
