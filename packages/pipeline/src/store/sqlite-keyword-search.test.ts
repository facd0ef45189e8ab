import type { DocumentRecord, KeywordCandidatesQuery } from '@ragbridge/core-interfaces';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { analyze, analyzeQueryGroups } from '../retrieval/text-analysis.js';
import { openKeywordSnapshot, readSnapshotTag, writeKeywordSnapshot } from './keyword-snapshot.js';
import { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
import { StoreKeywordIndex } from './store-keyword-index.js';

const stores: SqliteStore[] = [];
const open = (path: string, options: Partial<SqliteStoreOptions> = {}): SqliteStore => {
  const store = openSqliteStore({ path, ...options });
  stores.push(store);
  return store;
};
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
});
const tempFile = (): string => join(mkdtempSync(join(tmpdir(), 'rb-keywords-')), 'store.db');

const WORDS = ['cache', 'vector', 'trap', 'hart', 'counter', 'timer', 'interrupt', 'privilege', 'register', 'mstatus.mie', '0x7b0', 'funct3', 'page-table', 'größe'];

/** A document of `chunks` chunks whose words depend on `seed`, with a section path. */
function document(id: string, seed: number, chunks = 6): DocumentRecord {
  const texts = Array.from({ length: chunks }, (_, i) =>
    Array.from({ length: 12 + ((seed + i) % 9) }, (_, w) => WORDS[(seed * 7 + i * 3 + w * 5) % WORDS.length]).join(' ') + ` marker${seed}x${i}`,
  );
  return {
    document: { id, source: `/docs/${id}.pdf`, name: `${id}.pdf`, mediaType: 'application/pdf', contentHash: `h${seed}`, pageCount: chunks, byteSize: 1, ingestedAt: 1 },
    chunks: texts.map((text, i) => ({
      id: `${id}:${i}`,
      docId: id,
      text,
      page: i + 1,
      pageEnd: i + 1,
      pageLabel: String(i + 1),
      sectionPath: [`Chapter ${seed % 3}`],
      charStart: 0,
      charEnd: text.length,
      terms: analyze(text).join(' '),
      headingTerms: analyze(`Chapter ${seed % 3}`).join(' '),
    })),
    documentTerms: analyze(`${id} manual ${WORDS[seed % WORDS.length]}`).join(' '),
  };
}

const QUESTIONS = ['cache vector trap', 'mstatus.mie interrupt', 'page-table hart timer', 'marker3x2 counter', 'größe register 0x7b0', 'funct3 privilege chapter'];
const queries = (limit = 5, rareTermLimit = 3): KeywordCandidatesQuery[] => QUESTIONS.map((q) => ({ groups: analyzeQueryGroups(q), limit, rareTermLimit }));

/** Every question's candidates: what a fresh index over the same rows must also answer. */
async function answers(store: SqliteStore): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const query of queries()) out.push(await store.keywordSearch.keywordCandidates(query));
  return out;
}

/** The answers of an index built afresh from every row of the file (a copy, without the snapshot beside the original). */
async function fresh(path: string): Promise<unknown[]> {
  const copy = tempFile();
  const { default: Database } = await import('better-sqlite3');
  const raw = new Database(path, { readonly: true });
  raw.prepare('VACUUM INTO ?').run(copy);
  raw.close();
  const store = open(copy, { keywordSnapshots: false });
  const result = await answers(store);
  expect(store.keywordIndexStatus()).toMatchObject({ loadedFrom: 'scan', fullScans: 1 });
  return result;
}

describe('SQLite keyword index', () => {
  it('takes in a document put after it was built without scanning every chunk again, and answers as a fresh build', async () => {
    const path = tempFile();
    const store = open(path, { keywordSnapshots: false });
    for (let d = 0; d < 30; d++) await store.putDocument(document(`doc${d}`, d));
    await answers(store);
    expect(store.keywordIndexStatus()).toMatchObject({ loadedFrom: 'scan', fullScans: 1, chunks: 180, documents: 30, changesApplied: 0 });

    await store.putDocument(document('late', 3));
    const after = await answers(store);
    expect(store.keywordIndexStatus()).toMatchObject({ fullScans: 1, chunks: 186, documents: 31, changesApplied: 1 });
    expect(after).toEqual(await fresh(path));
  });

  it('drops replaced and deleted documents without a scan (removed slots skipped, then compacted) and answers as a fresh build', async () => {
    const path = tempFile();
    const store = open(path, { keywordSnapshots: false });
    for (let d = 0; d < 40; d++) await store.putDocument(document(`doc${d}`, d, 40));
    await answers(store);
    // Replaced (same id, other content), replaced by source under another id, deleted.
    await store.putDocument(document('doc1', 101, 40));
    await store.putDocument({ ...document('renamed', 102, 40), document: { ...document('renamed', 102, 40).document, source: '/docs/doc2.pdf' } });
    expect(await store.deleteDocument('doc3')).toBe(true);
    expect((await store.keywordSearch.keywordCandidates({ groups: [['marker3x2']], limit: 5, rareTermLimit: 3 })).chunks).toEqual([]);
    expect(store.keywordIndexStatus()).toMatchObject({ fullScans: 1, chunks: 39 * 40, documents: 39, removedChunks: 3 * 40, changesApplied: 4 });
    expect(await answers(store)).toEqual(await fresh(path));

    // Past 1,024 removed slots (and a quarter of all), the index compacts itself: still no scan, same answers.
    for (let d = 10; d < 36; d++) await store.putDocument(document(`doc${d}`, 200 + d, 40));
    const compacted = await answers(store);
    expect(store.keywordIndexStatus()).toMatchObject({ fullScans: 1, chunks: 39 * 40, removedChunks: 0 });
    expect(compacted).toEqual(await fresh(path));
  });

  it('follows another connection’s writes through the change log', async () => {
    const path = tempFile();
    const reader = open(path, { keywordSnapshots: false });
    const writer = open(path, { keywordSnapshots: false });
    for (let d = 0; d < 10; d++) await writer.putDocument(document(`doc${d}`, d));
    await answers(reader);
    await writer.putDocument(document('more', 11));
    await writer.deleteDocument('doc4');
    const after = await answers(reader);
    expect(reader.keywordIndexStatus()).toMatchObject({ fullScans: 1, changesApplied: 2, documents: 10 });
    expect(after).toEqual(await fresh(path));
  });

  it('writes a snapshot at close; the next process loads it and catches up with later changes, without a scan', async () => {
    const path = tempFile();
    const first = open(path);
    for (let d = 0; d < 12; d++) await first.putDocument(document(`doc${d}`, d));
    const before = await answers(first);
    await first.close();

    const second = open(path);
    expect(await answers(second)).toEqual(before);
    expect(second.keywordIndexStatus()).toMatchObject({ loadedFrom: 'snapshot', fullScans: 0, chunks: 72, documents: 12 });
    // Another connection writes after the snapshot: caught up from the log.
    const writer = open(path, { keywordSnapshots: false });
    await writer.putDocument(document('doc5', 55));
    await writer.putDocument(document('extra', 56));
    const caughtUp = await answers(second);
    expect(second.keywordIndexStatus()).toMatchObject({ loadedFrom: 'snapshot', fullScans: 0, changesApplied: 2 });
    expect(caughtUp).toEqual(await fresh(path));

    // A read-only connection loads the snapshot too.
    const readonly = open(path, { readonly: true });
    expect(await answers(readonly)).toEqual(caughtUp);
    expect(readonly.keywordIndexStatus()).toMatchObject({ loadedFrom: 'snapshot', fullScans: 0 });
  });

  it('prunes the change log behind an older snapshot; a connection that fell behind loads the newer snapshot', async () => {
    const path = tempFile();
    const lagging = open(path, { keywordSnapshots: false });
    const first = open(path);
    for (let d = 0; d < 10; d++) await first.putDocument(document(`doc${d}`, d));
    await answers(lagging);
    await first.close();
    // Two more rounds of changes, each snapshotted: the changes before the first snapshot go.
    for (const round of [1, 2]) {
      const writer = open(path);
      for (let d = 0; d < 10; d++) await writer.putDocument(document(`doc${d}`, d + round * 100));
      await answers(writer);
      await writer.close();
    }
    const { default: Database } = await import('better-sqlite3');
    const raw = new Database(path, { readonly: true });
    const pruned = Number((raw.prepare("SELECT value FROM meta WHERE key = 'changes_pruned_through'").get() as { value: string }).value);
    expect(pruned).toBeGreaterThan(0);
    expect(raw.prepare('SELECT count(*) AS n FROM changes WHERE seq <= ?').get(pruned)).toEqual({ n: 0 });
    raw.close();
    const after = await answers(lagging);
    expect(lagging.keywordIndexStatus()).toMatchObject({ loadedFrom: 'snapshot', fullScans: 1 });
    expect(after).toEqual(await fresh(path));
  });
});

describe('keyword snapshot', () => {
  it('writes and reads back every posting, slot and document (non-ASCII terms included), lists read on demand', async () => {
    const index = new StoreKeywordIndex();
    const a = index.addDocument('doc-ä', 'größe manual größe');
    const b = index.addDocument('doc-b', 'other');
    index.addChunk(a, { pk: 10, terms: 'größe cache cache', headingTerms: 'chapter größe' });
    index.addChunk(b, { pk: 11, terms: 'cache 0x7b0', headingTerms: '' });
    index.addChunk(a, { pk: 14, terms: 'mstatus.mie', headingTerms: 'chapter' });
    index.removeDocument('doc-b');
    const path = tempFile();
    const tag = { seq: 42, storeId: '0123456789abcdef0123456789abcdef' };
    writeKeywordSnapshot(path, index.parts(), tag);
    expect(readSnapshotTag(path)).toEqual(tag);
    expect(openKeywordSnapshot(path, (t) => t.storeId !== tag.storeId)).toBeUndefined();
    const opened = openKeywordSnapshot(path, () => true);
    expect(opened?.seq).toBe(42);
    const loaded = new StoreKeywordIndex(opened?.parts);
    for (const term of ['größe', 'cache', 'chapter', 'mstatus.mie', '0x7b0', 'missing']) {
      expect([loaded.chunkFrequency(term), [...loaded.chunksWith(term)]], term).toEqual([index.chunkFrequency(term), [...index.chunksWith(term)]]);
    }
    const groups = [['größe'], ['cache'], ['chapter']];
    const params = { k1: 1.2, b: 0.75 };
    expect(loaded.scoreGroups(groups, () => 1, params)).toEqual(index.scoreGroups(groups, () => 1, params));
    expect(loaded.stats(['größe', 'manual'])).toEqual(index.stats(['größe', 'manual']));
    expect(loaded.describedDocuments(['manual'], [])).toEqual(['doc-ä']);
    expect(loaded.describedDocuments(['cache'], [0, 1])).toEqual([]);
    expect([loaded.pkOf(0), loaded.pkOf(1)]).toEqual([10, 14]);
    opened?.close();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, 'not a snapshot at all, no, not at all: some text that is long enough to hold a header');
    expect(readSnapshotTag(path)).toBeUndefined();
    expect(openKeywordSnapshot(path, () => true)).toBeUndefined();
  });
});
