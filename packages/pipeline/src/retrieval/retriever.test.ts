import type { DocumentRecord } from '@ragbridge/core-interfaces';
import { createMockEmbedder, createMockReranker } from '@ragbridge/core-interfaces/testing';
import { describe, expect, it } from 'vitest';
import { createPipeline } from '../pipeline.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import { kthLargest } from './keyword-index.js';
import { isEditionTerm } from './query-context.js';
import { definitionPattern } from './question-signals.js';
import { createRetriever } from './retriever.js';
import { analyze } from './text-analysis.js';

const texts = [
  'The RV32I base integer ISA has 32 general-purpose registers x0-x31.',
  'Register x0 is hardwired to the constant zero.',
  'The FDA guidance describes software validation after a change.',
  'Vector registers are grouped according to LMUL.',
  'The FDA guidance describes software validation after a change.',
];

function record(): DocumentRecord {
  return {
    document: { id: 'd', source: '/d.pdf', name: 'd.pdf', mediaType: 'application/pdf', contentHash: 'h', pageCount: 5, byteSize: 1, ingestedAt: 1 },
    chunks: texts.map((text, i) => ({
      id: `d:${i}`,
      docId: 'd',
      text,
      page: i + 1,
      pageEnd: i + 1,
      pageLabel: String(i + 1),
      sectionPath: [],
      charStart: 0,
      charEnd: text.length,
      terms: analyze(text).join(' '),
      headingTerms: '',
    })),
    documentTerms: 'd',
  };
}

describe('retriever', () => {
  it('finds keyword hits, removes near-duplicates and measures evidence', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    await store.putDocument(record());
    const result = await createRetriever({ store }).retrieve('how many registers does RV32I have', { k: 5 });
    expect(result.hits[0]?.chunk.id).toBe('d:0');
    expect(result.hits.every((h) => h.reason === 'keyword')).toBe(true);
    const validation = await createRetriever({ store }).retrieve('FDA software validation after a change');
    expect(validation.hits.filter((h) => h.chunk.text.startsWith('The FDA guidance'))).toHaveLength(1);
    expect(validation.evidence.coverage).toBeGreaterThan(0.9);
    const unrelated = await createRetriever({ store }).retrieve('sourdough baking temperature');
    expect(unrelated.hits).toEqual([]);
    expect(unrelated.evidence.coverage).toBe(0);
    expect(unrelated.evidence.unknownTerms).toContain('sourdough');
  });

  it('fuses dense and keyword results and says why each hit was found', async () => {
    const embedder = createMockEmbedder({ dimensions: 64 });
    const pipeline = createPipeline({ store: ':memory:', embedder });
    await pipeline.store.putDocument(record());
    expect(await pipeline.indexVectors()).toBe(5);
    const result = await pipeline.retrieve('registers x0-x31', { k: 5 });
    const reasons = new Map(result.hits.map((h) => [h.chunk.id, h.reason]));
    expect(reasons.get('d:0')).toBe('both');
    expect([...reasons.values()]).toContain('dense');
    expect(result.usage.map((u) => u.operation)).toEqual(['embed']);
    await pipeline.close();
  });

  it('with keywordFallback, retrieves a question that cannot be embedded with keywords alone and says why', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    await store.putDocument(record());
    const embedder = createMockEmbedder();
    embedder.faults.inject('server-error');
    await expect(createRetriever({ store, embedder }).retrieve('how many registers does RV32I have')).rejects.toMatchObject({ name: 'ServerError' });
    const result = await createRetriever({ store, embedder, keywordFallback: true }).retrieve('how many registers does RV32I have');
    expect(result.hits[0]?.chunk.id).toBe('d:0');
    expect(result.hits.every((h) => h.reason === 'keyword')).toBe(true);
    expect(result.queryEmbedFailure?.error).toMatchObject({ name: 'ServerError' });
    expect(result.usage).toEqual([]);
  });

  it('answers encoding questions from the code table, not from prose about the instruction', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    const prose = 'The MRET instruction returns from a machine-mode trap handler and restores the previous privilege mode from the MPP field.';
    const table = 'Trap-Return Instructions\n0001000 00010 00000 000 00000 1110011 SRET\n0011000 00010 00000 000 00000 1110011 MRET\n0001000 00101 00000 000 00000 1110011 WFI';
    const rec = record();
    rec.chunks = [prose, table].map((text, i) => ({ ...(rec.chunks[0] as (typeof rec.chunks)[number]), id: `d:${i}`, text, page: i + 1, terms: analyze(text).join(' ') }));
    await store.putDocument(rec);
    const question = 'What is the complete 32-bit encoding of the MRET instruction?';
    expect((await createRetriever({ store }).retrieve(question)).hits[0]?.chunk.id).toBe('d:1');
    expect((await createRetriever({ store, signals: { codeDensity: 0 } }).retrieve(question)).hits[0]?.chunk.id).toBe('d:0');
  });

  it('prefers the chunk that holds the question phrase verbatim, single letters included', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    const scattered = 'Each page-table entry of a leaf page table has bits for read, write and execute; the D field and the G bit differ, as do other bits of the page-table entry.';
    const phrase = 'Two schemes to manage the A and D bits of a leaf page-table entry are permitted.';
    const rec = record();
    rec.chunks = [scattered, phrase].map((text, i) => ({ ...(rec.chunks[0] as (typeof rec.chunks)[number]), id: `d:${i}`, text, page: i + 1, terms: analyze(text).join(' ') }));
    await store.putDocument(rec);
    const question = 'What do the A and D bits in a leaf page-table entry mean?';
    expect((await createRetriever({ store }).retrieve(question)).hits[0]?.chunk.id).toBe('d:1');
    expect((await createRetriever({ store, signals: { phrase: 0 } }).retrieve(question)).hits[0]?.chunk.id).toBe('d:0');
  });

  it('treats years and versions in a question as naming the edition, not as what the answer page holds', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    const title = 'The RISC-V Instruction Set Manual, Version 1.0, May 2011. This manual describes the user-level jump instructions.';
    const body = 'JAL stores the address of the following instruction into the link register x1; jumps can target a 32 MB range.';
    const rec = record();
    rec.chunks = [title, body].map((text, i) => ({ ...(rec.chunks[0] as (typeof rec.chunks)[number]), id: `d:${i}`, text, page: i + 1, terms: analyze(text).join(' ') }));
    await store.putDocument(rec);
    const question = 'Which link register do JAL jump instructions use in the 2011 v1.0 manual?';
    expect((await createRetriever({ store }).retrieve(question)).hits[0]?.chunk.id).toBe('d:1');
    // At full weight the edition terms pull the title chunk up.
    const gap = async (editionTermWeight: number): Promise<number> => {
      const hits = (await createRetriever({ store, editionTermWeight }).retrieve(question)).hits;
      const score = (id: string): number => hits.find((h) => h.chunk.id === id)?.score ?? 0;
      return score('d:0') - score('d:1');
    };
    expect(await gap(1)).toBeGreaterThan((await gap(0.25)) + 0.1);
    expect(['2011', '20211203', 'v1.7'].every(isEditionTerm)).toBe(true);
    expect(['1.7', '2011a', '0x2011', '3000'].some(isEditionTerm)).toBe(false);
  });

  it('answers "what is X" from the chunk that defines X rather than one that only uses it', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    const uses = 'Setting vl and vtype: vsetvli writes vl and vtype; vl and vtype are implicit operands, so vtype and vl must be set before vector instructions read vtype.';
    const defines = 'RVV operational state.\n• vtype: Vector Type. It describes the element width SEW and the register grouping LMUL.';
    const rec = record();
    rec.chunks = [uses, defines].map((text, i) => ({ ...(rec.chunks[0] as (typeof rec.chunks)[number]), id: `d:${i}`, text, page: i + 1, terms: analyze(text).join(' ') }));
    await store.putDocument(rec);
    const question = 'In the vector extension, what is vtype and what does it hold?';
    expect((await createRetriever({ store }).retrieve(question)).hits[0]?.chunk.id).toBe('d:1');
    expect((await createRetriever({ store, signals: { definition: 0 } }).retrieve(question)).hits[0]?.chunk.id).toBe('d:0');
  });

  it('recognises definition questions and the sentences that define their term', () => {
    expect(definitionPattern('What is the complete 32-bit encoding of the MRET instruction?')).toBeUndefined();
    expect(definitionPattern('What is it?')).toBeUndefined();
    const pmas = definitionPattern('What are PMAs?') as RegExp;
    expect(pmas.test('A PMA is a physical memory attribute.')).toBe(true);
    expect(pmas.test('The checker reads the PMAs of the region.')).toBe(false);
    const lmul = definitionPattern('Define LMUL.') as RegExp;
    expect(lmul.test('• LMUL: length multiplier')).toBe(true);
    expect(lmul.test('registers grouped by LMUL are')).toBe(false);
    expect((definitionPattern('What does mstatus.MIE mean?') as RegExp).test('The mstatus.MIE bit enables interrupts.')).toBe(false);
    expect((definitionPattern('What does mstatus.MIE mean?') as RegExp).test('mstatus.MIE is the global interrupt enable.')).toBe(true);
  });

  it('reorders candidates with a reranker', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    await store.putDocument(record());
    const reranker = createMockReranker();
    const result = await createRetriever({ store, reranker }).retrieve('vector registers LMUL', { k: 3 });
    expect(result.hits[0]?.chunk.id).toBe('d:3');
    expect(result.hits[0]?.rerankScore).toBe(1);
    expect(reranker.requests).toHaveLength(1);
  });
});

describe('kthLargest', () => {
  it('selects the k-th largest value as a sort would, with ties', () => {
    let seed = 3;
    const next = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let round = 0; round < 200; round++) {
      const length = 1 + Math.floor(next() * 300);
      const values = Float32Array.from({ length }, () => Math.floor(next() * 20) / 4);
      const k = 1 + Math.floor(next() * length);
      const sorted = [...values].sort((a, b) => b - a);
      expect(kthLargest(values.slice(), k)).toBe(sorted[k - 1]);
    }
  });
});
