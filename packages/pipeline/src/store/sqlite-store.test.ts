import type { DocumentRecord, EmbedderIdentity, IndexedChunk } from '@ragbridge/core-interfaces';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { analyze, analyzeQueryGroups } from '../retrieval/text-analysis.js';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';

const stores: SqliteStore[] = [];
const open = (path = ':memory:', annThreshold?: number): SqliteStore => {
  const store = openSqliteStore({ path, ...(annThreshold !== undefined && { annThreshold }) });
  stores.push(store);
  return store;
};
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
});

function record(id: string, texts: string[], source = `/docs/${id}.pdf`): DocumentRecord {
  return {
    document: { id, source, name: `${id}.pdf`, mediaType: 'application/pdf', contentHash: `hash-${id}-${texts.length}`, pageCount: texts.length, byteSize: 10, ingestedAt: 1 },
    chunks: texts.map((text, i) => ({
      id: `${id}:${i}`,
      docId: id,
      text,
      page: i + 1,
      pageEnd: i + 1,
      pageLabel: String(i + 1),
      sectionPath: ['Intro'],
      charStart: 0,
      charEnd: text.length,
      terms: analyze(text).join(' '),
      headingTerms: analyze('Intro').join(' '),
    })),
    documentTerms: analyze(`${id} manual`).join(' '),
  };
}

/** Turns a current store back into what schema 5 looked like: no change log, revision or snapshots; FTS5 tables. */
function toSchema5(raw: import('better-sqlite3').Database): void {
  raw.exec('DROP TRIGGER documents_logged_put; DROP TRIGGER documents_logged_delete; DROP TABLE changes');
  raw.exec("DELETE FROM meta WHERE key IN ('revision', 'store_id', 'changes_pruned_through')");
  const tokenizer = "tokenize = \"unicode61 remove_diacritics 0 tokenchars '._-'\"";
  raw.exec(`CREATE VIRTUAL TABLE chunks_fts USING fts5(terms, heading_terms, content = '', contentless_delete = 1, ${tokenizer});
    CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, 'row');
    CREATE VIRTUAL TABLE documents_fts USING fts5(terms, content = '', contentless_delete = 1, ${tokenizer});`);
  raw.exec("INSERT INTO chunks_fts (rowid, terms, heading_terms) SELECT pk, terms, heading_terms FROM chunks");
  raw.prepare("UPDATE meta SET value = '5' WHERE key = 'schema_version'").run();
}

/** What schema 5 added to 4: the vector generation column and its triggers. */
function toSchema4(raw: import('better-sqlite3').Database): void {
  toSchema5(raw);
  raw.exec('DROP TRIGGER vectors_removed; DROP TRIGGER vectors_replaced; ALTER TABLE vector_spaces DROP COLUMN generation');
}

/** Ids of the keyword candidates of a query (sorted). */
const search = async (store: SqliteStore, query: string): Promise<string[]> =>
  (await store.keywordSearch.keywordCandidates({ groups: analyzeQueryGroups(query), limit: 10, rareTermLimit: 0 })).chunks.map((h) => h.id).sort();

/** The description terms of the documents holding a term. */
const describing = async (store: SqliteStore, term: string): Promise<Array<{ id: string; terms: string }>> =>
  (await store.keywordSearch.keywordCandidates({ groups: [[term]], limit: 0, rareTermLimit: 0 })).documents;

describe('SQLite store', () => {
  it('keeps technical tokens findable', async () => {
    const store = open();
    await store.putDocument(
      record('spec', [
        'The funct3 field selects the operation.',
        'RV32I has registers x0-x31.',
        'Set mstatus.MIE to enable interrupts.',
        'CSR 0x7b0 is dcsr.',
        'Unrelated text about validation plans.',
      ]),
    );
    expect(await search(store, 'funct3')).toEqual(['spec:0']);
    expect(await search(store, 'RV32I')).toEqual(['spec:1']);
    expect(await search(store, 'x0-x31')).toEqual(['spec:1']);
    expect(await search(store, 'x31')).toEqual(['spec:1']);
    expect(await search(store, 'mstatus.MIE')).toEqual(['spec:2']);
    expect(await search(store, 'MIE')).toEqual(['spec:2']);
    expect(await search(store, '0x7b0')).toEqual(['spec:3']);
  });

  it('selects the best candidates by BM25 and reports the collection statistics', async () => {
    const store = open();
    await store.putDocument(record('a', ['one register', 'registers registers registers hold values', 'nothing here']));
    const best = await store.keywordSearch.keywordCandidates({ groups: [['regist'], ['missing']], limit: 1, rareTermLimit: 0 });
    expect(best.chunks.map((c) => c.id)).toEqual(['a:1']);
    expect(best.stats).toMatchObject({ chunks: 3, chunkFrequency: { regist: 2, missing: 0 }, documents: 1, documentFrequency: { regist: 0, missing: 0 } });
    expect(best.stats.averageChunkTerms).toBeCloseTo((2 + 5 + 1) / 3);
  });

  it('replaces a document atomically and deletes it with its index entries and vectors', async () => {
    const store = open();
    await store.putDocument(record('a', ['alpha text', 'beta text']));
    await store.putDocument(record('a', ['gamma text']));
    expect(await search(store, 'alpha')).toEqual([]);
    expect(await search(store, 'gamma')).toEqual(['a:0']);
    expect((await store.stats()).chunks).toBe(1);
    expect(await store.deleteDocument('a')).toBe(true);
    expect(await store.deleteDocument('a')).toBe(false);
    expect(await search(store, 'gamma')).toEqual([]);
    expect(await store.stats()).toMatchObject({ documents: 0, chunks: 0 });
  });

  it('a failed write leaves the previous content', async () => {
    const store = open();
    await store.putDocument(record('a', ['alpha text']));
    const broken = record('a', ['new text', 'more']);
    (broken.chunks[1] as { id: string }).id = 'a:0'; // duplicate chunk id: the insert fails mid-transaction
    await expect(store.putDocument(broken)).rejects.toThrow(/UNIQUE/);
    expect(await search(store, 'alpha')).toEqual(['a:0']);
    expect(await search(store, 'new')).toEqual([]);
  });

  it('keeps vectors per embedder identity and never mixes them', async () => {
    const store = open();
    await store.putDocument(record('a', ['one', 'two', 'three']));
    const small: EmbedderIdentity = { provider: 'x', modelId: 'small', revision: '1', pooling: 'mean', normalized: true };
    const other: EmbedderIdentity = { ...small, modelId: 'other' };
    await store.putVectors({ identity: small, entries: [{ chunkId: 'a:0', vector: [1, 0] }, { chunkId: 'a:1', vector: [0, 1] }] });
    expect((await store.vectorSearch.vectorCandidates({ identity: small, vector: [0.9, 0.1], limit: 1 }))[0]?.id).toBe('a:0');
    expect(await store.vectorSearch.vectorCandidates({ identity: other, vector: [1, 0], limit: 5 })).toEqual([]);
    expect(await store.chunksWithoutVectors(small)).toEqual(['a:2']);
    expect(await store.chunksWithoutVectors(other)).toEqual(['a:0', 'a:1', 'a:2']);
    await expect(store.putVectors({ identity: small, entries: [{ chunkId: 'a:2', vector: [1, 0, 0] }] })).rejects.toThrow(/dimensions/);
    await store.putDocument(record('a', ['one']));
    expect(await store.vectorSearch.vectorCandidates({ identity: small, vector: [0, 1], limit: 5 })).toEqual([]);
  });

  it('persists to a file and refuses a store written by a newer schema', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rb-store-')), 'store.db');
    const first = openSqliteStore({ path });
    await first.putDocument(record('a', ['persisted text']));
    await first.close();
    const again = open(path);
    expect(await search(again, 'persisted')).toEqual(['a:0']);
    await again.close();
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(path);
    raw.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    raw.close();
    expect(() => openSqliteStore({ path })).toThrow(/newer ragbridge/);
  });

  it('upgrades a schema-2 store in place: documents kept, marked for re-ingest, description terms readable', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rb-store-')), 'store.db');
    const first = openSqliteStore({ path });
    await first.putDocument({ ...record('a', ['kept text']), documentTerms: 'alpha beta' });
    expect(await describing(first, 'alpha')).toEqual([{ id: 'a', terms: 'alpha beta' }]);
    await first.close();
    // What schema 2 looked like: no terms column on documents, no section columns on chunks.
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(path);
    toSchema4(raw);
    raw.exec('ALTER TABLE documents DROP COLUMN terms');
    raw.exec('ALTER TABLE chunks DROP COLUMN section_title');
    raw.exec('ALTER TABLE chunks DROP COLUMN section_anchor');
    raw.prepare("UPDATE meta SET value = '2' WHERE key = 'schema_version'").run();
    raw.close();
    const upgraded = open(path);
    expect(await search(upgraded, 'kept')).toEqual(['a:0']);
    expect((await upgraded.getDocument('a'))?.contentHash).toBe('');
    expect(await describing(upgraded, 'alpha')).toEqual([]);
    await upgraded.putDocument({ ...record('a', ['kept text']), documentTerms: 'alpha' });
    expect(await describing(upgraded, 'alpha')).toEqual([{ id: 'a', terms: 'alpha' }]);
  });

  it('upgrades a schema-5 store in place: documents, chunks and vectors kept, the FTS5 tables dropped', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rb-store-')), 'store.db');
    const identity: EmbedderIdentity = { provider: 'x', modelId: 'two-d', revision: '1', pooling: 'mean', normalized: true };
    const first = openSqliteStore({ path });
    await first.putDocument(record('a', ['kept text', 'other words']));
    await first.putVectors({ identity, entries: [{ chunkId: 'a:0', vector: [1, 0] }] });
    await first.close();
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(path);
    toSchema5(raw);
    raw.close();
    const upgraded = open(path);
    expect(await search(upgraded, 'kept')).toEqual(['a:0']);
    expect((await upgraded.vectorSearch.vectorCandidates({ identity, vector: [1, 0], limit: 5 })).map((h) => h.id)).toEqual(['a:0']);
    const revision = await upgraded.revision();
    await upgraded.putDocument(record('b', ['new text']));
    expect(await upgraded.revision()).not.toBe(revision);
    expect(await search(upgraded, 'text')).toEqual(['a:0', 'b:0']);
    await upgraded.close();
    const check = new Database(path, { readonly: true });
    const tables = check.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%fts%' OR name LIKE '%vocab%'").all();
    expect(tables).toEqual([]);
    check.close();
  });

  it('snapshots the keyword index of an upgraded store at its first close, though its change log is empty', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rb-store-')), 'store.db');
    const first = openSqliteStore({ path });
    await first.putDocument(record('a', ['kept text']));
    await first.close();
    const { rmSync } = await import('node:fs');
    rmSync(`${path}-keywords`);
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(path);
    toSchema5(raw);
    raw.close();
    await openSqliteStore({ path }).close();
    const reopened = open(path);
    expect(await search(reopened, 'kept')).toEqual(['a:0']);
    expect(reopened.keywordIndexStatus()).toMatchObject({ loadedFrom: 'snapshot', fullScans: 0, documents: 1 });
  });

  it('keeps the section a chunk cites, with and without an anchor', async () => {
    const store = open();
    const base = record('page', ['under a setting', 'under a heading without id', 'before any heading'], '/docs/page.html');
    const [a, b, c] = base.chunks as [IndexedChunk, IndexedChunk, IndexedChunk];
    await store.putDocument({
      ...base,
      chunks: [{ ...a, section: { title: 'work_mem (integer)', anchor: 'GUC-WORK-MEM' } }, { ...b, section: { title: 'Notes' } }, c],
    });
    const chunks = await store.getChunks(['page:0', 'page:1', 'page:2']);
    expect(chunks.map((ch) => ch.section)).toEqual([{ title: 'work_mem (integer)', anchor: 'GUC-WORK-MEM' }, { title: 'Notes' }, undefined]);
    expect(chunks[2]).not.toHaveProperty('section');
    expect((await store.getDocumentChunks('page'))[0]?.section?.anchor).toBe('GUC-WORK-MEM');
    expect((await store.getChunks(['page:0']))[0]?.section?.title).toBe('work_mem (integer)');
  });

  it('upgrades a schema-3 store in place: chunks kept without sections, new ones get them', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rb-store-')), 'store.db');
    const first = openSqliteStore({ path });
    await first.putDocument(record('a', ['kept text']));
    await first.close();
    // What schema 3 looked like: no section columns on chunks.
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(path);
    toSchema4(raw);
    raw.exec('ALTER TABLE chunks DROP COLUMN section_title');
    raw.exec('ALTER TABLE chunks DROP COLUMN section_anchor');
    raw.prepare("UPDATE meta SET value = '3' WHERE key = 'schema_version'").run();
    raw.close();
    const upgraded = open(path);
    expect(await search(upgraded, 'kept')).toEqual(['a:0']);
    expect((await upgraded.getDocument('a'))?.contentHash).toBe('hash-a-1');
    expect((await upgraded.getChunks(['a:0']))[0]).not.toHaveProperty('section');
    const next = record('b', ['new text'], '/docs/b.md');
    await upgraded.putDocument({ ...next, chunks: next.chunks.map((ch) => ({ ...ch, section: { title: 'Intro', anchor: 'intro' } })) });
    expect((await upgraded.getChunks(['b:0']))[0]?.section).toEqual({ title: 'Intro', anchor: 'intro' });
    await upgraded.close();
    const check = new Database(path, { readonly: true });
    expect(check.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get()).toEqual({ value: '6' });
    check.close();
  });

  it('refuses a file that is not a database, naming it, and leaves it unchanged', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rb-store-')), 'notes.db');
    const text = 'These are my notes, not a database. '.repeat(40);
    writeFileSync(path, text);
    expect(() => openSqliteStore({ path })).toThrow(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a ragbridge store \\(file is not a database\\); it was left unchanged`));
    expect(() => openSqliteStore({ path, rebuildOnSchemaChange: true })).toThrow(/is not a ragbridge store/);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('upgrades a schema-4 store in place: vectors kept, removals counted from then on', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rb-store-')), 'store.db');
    const identity: EmbedderIdentity = { provider: 'x', modelId: 'two-d', revision: '1', pooling: 'mean', normalized: true };
    const first = openSqliteStore({ path });
    await first.putDocument(record('a', ['first']));
    await first.putDocument(record('b', ['second']));
    await first.putVectors({ identity, entries: [{ chunkId: 'a:0', vector: [1, 0] }, { chunkId: 'b:0', vector: [0, 1] }] });
    await first.close();
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(path);
    toSchema4(raw);
    raw.prepare("UPDATE meta SET value = '4' WHERE key = 'schema_version'").run();
    raw.close();
    const upgraded = open(path);
    const other = open(path);
    expect((await upgraded.vectorSearch.vectorCandidates({ identity, vector: [1, 0], limit: 5 })).map((h) => h.id)).toEqual(['a:0', 'b:0']);
    await other.deleteDocument('a');
    expect((await upgraded.vectorSearch.vectorCandidates({ identity, vector: [1, 0], limit: 5 })).map((h) => h.id)).toEqual(['b:0']);
  });

  it('sees vectors another connection wrote: the in-memory index is rebuilt after their commit', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rb-store-')), 'store.db');
    const identity: EmbedderIdentity = { provider: 'x', modelId: 'two-d', revision: '1', pooling: 'mean', normalized: true };
    const writer = open(path);
    const reader = open(path);
    await writer.putDocument(record('a', ['first', 'second']));
    await writer.putVectors({ identity, entries: [{ chunkId: 'a:0', vector: [1, 0] }] });
    expect((await reader.vectorSearch.vectorCandidates({ identity, vector: [0, 1], limit: 5 })).map((h) => h.id)).toEqual(['a:0']);
    // Another connection adds a vector: the reader's cached index must not hide it.
    await writer.putVectors({ identity, entries: [{ chunkId: 'a:1', vector: [0, 1] }] });
    expect((await reader.vectorSearch.vectorCandidates({ identity, vector: [0, 1], limit: 5 })).map((h) => h.id)).toEqual(['a:1', 'a:0']);
    // And a replaced document's vectors are gone for the reader too.
    await writer.putDocument(record('a', ['first only']));
    expect(await reader.vectorSearch.vectorCandidates({ identity, vector: [0, 1], limit: 5 })).toEqual([]);
  });

  it('searches exactly at once past the ANN threshold and builds the graph in slices, then serves from it', async () => {
    const identity: EmbedderIdentity = { provider: 'x', modelId: 'd16', revision: '1', pooling: 'mean', normalized: true };
    const store = open(':memory:', 500);
    const n = 3000;
    let state = 7;
    const random = (): number => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
    const vectors = Array.from({ length: n }, () => Array.from({ length: 16 }, random));
    await store.putDocument(record('big', [...vectors.map((_, i) => `chunk ${i}`), 'late one', 'late two']));
    await store.putVectors({ identity, entries: vectors.map((vector, i) => ({ chunkId: `big:${i}`, vector })) });
    // The first search does not wait for the graph: it is answered exactly.
    const probe = vectors[1234] as number[];
    expect((await store.vectorSearch.vectorCandidates({ identity, vector: probe, limit: 1 }))[0]?.id).toBe('big:1234');
    // The build yields to the event loop between slices.
    let turns = 0;
    let building = true;
    const spin = (): void => {
      turns++;
      if (building) setImmediate(spin);
    };
    setImmediate(spin);
    expect(await store.warmVectorIndex(identity)).toBe('hnsw');
    building = false;
    expect(turns).toBeGreaterThan(1);
    expect((await store.vectorSearch.vectorCandidates({ identity, vector: probe, limit: 1 }))[0]?.id).toBe('big:1234');
    // New vectors join the graph and are found at once.
    const unit = (d: number): number[] => Array.from({ length: 16 }, (_, i) => (i === d ? 1 : 0));
    await store.putVectors({ identity, entries: [{ chunkId: `big:${n}`, vector: unit(3) }] });
    expect((await store.vectorSearch.vectorCandidates({ identity, vector: unit(3), limit: 1 }))[0]?.id).toBe(`big:${n}`);
    expect(await store.warmVectorIndex(identity)).toBe('hnsw');
    // A replaced vector: the old one is gone from the results, the new one found.
    await store.putVectors({ identity, entries: [{ chunkId: `big:${n}`, vector: unit(5) }, { chunkId: `big:${n + 1}`, vector: unit(7) }] });
    expect((await store.vectorSearch.vectorCandidates({ identity, vector: unit(5), limit: 1 }))[0]?.id).toBe(`big:${n}`);
    expect((await store.vectorSearch.vectorCandidates({ identity, vector: unit(3), limit: 1 }))[0]?.id).not.toBe(`big:${n}`);
    expect((await store.vectorSearch.vectorCandidates({ identity, vector: unit(7), limit: 1 }))[0]?.id).toBe(`big:${n + 1}`);
    expect(await store.warmVectorIndex(identity)).toBe('hnsw');
    // A document added (chunks, then their vectors) keeps the graph: the new vector joins it.
    await store.putDocument(record('more', ['extra', 'other']));
    await store.putVectors({ identity, entries: [{ chunkId: 'more:0', vector: unit(9) }] });
    expect((await store.vectorSearch.vectorCandidates({ identity, vector: unit(9), limit: 1 }))[0]?.id).toBe('more:0');
    expect(store.vectorIndexStatus(identity)).toEqual({ index: 'hnsw', size: n + 3, building: false });
    // A document removed drops its vectors: exact again at once, the graph rebuilt in the background.
    await store.deleteDocument('more');
    expect((await store.vectorSearch.vectorCandidates({ identity, vector: unit(9), limit: 1 }))[0]?.id).not.toBe('more:0');
    expect(store.vectorIndexStatus(identity)).toEqual({ index: 'exact', size: n + 2, building: true });
    expect(await store.warmVectorIndex(identity)).toBe('hnsw');
    expect((await store.vectorSearch.vectorCandidates({ identity, vector: unit(7), limit: 1 }))[0]?.id).toBe(`big:${n + 1}`);
    expect(await store.warmVectorIndex({ ...identity, modelId: 'none' })).toBe('none');
    expect(store.vectorIndexStatus({ ...identity, modelId: 'none' })).toBeUndefined();
  });

  it('keeps its graph while another connection only adds: new vectors join it, a removal reloads it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rb-store-')), 'store.db');
    const identity: EmbedderIdentity = { provider: 'x', modelId: 'd8', revision: '1', pooling: 'mean', normalized: true };
    const unit = (d: number, n = 8): number[] => Array.from({ length: n }, (_, i) => (i === d ? 1 : i === (d + 1) % n ? 0.1 : 0));
    const writer = open(path);
    const reader = open(path, 50);
    let state = 3;
    const random = (): number => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
    const vectors = Array.from({ length: 200 }, () => Array.from({ length: 8 }, random));
    await writer.putDocument(record('base', vectors.map((_, i) => `chunk ${i}`)));
    await writer.putVectors({ identity, entries: vectors.map((vector, i) => ({ chunkId: `base:${i}`, vector })) });
    expect(await reader.warmVectorIndex(identity)).toBe('hnsw');
    // Another connection commits a document, then its vectors: the reader's graph takes them in.
    await writer.putDocument(record('added', ['one', 'two']));
    expect((await reader.vectorSearch.vectorCandidates({ identity, vector: unit(2), limit: 1 })).length).toBe(1);
    expect(reader.vectorIndexStatus(identity)).toEqual({ index: 'hnsw', size: 200, building: false });
    await writer.putVectors({ identity, entries: [{ chunkId: 'added:0', vector: [9, 0, 0, 0, 0, 0, 0, 9] }] });
    expect((await reader.vectorSearch.vectorCandidates({ identity, vector: [1, 0, 0, 0, 0, 0, 0, 1], limit: 1 }))[0]?.id).toBe('added:0');
    expect(reader.vectorIndexStatus(identity)).toEqual({ index: 'hnsw', size: 201, building: false });
    // A replaced vector (another connection re-embeds a chunk): the old one must not be found.
    await writer.putVectors({ identity, entries: [{ chunkId: 'added:0', vector: [0, 9, 0, 0, 0, 0, 9, 0] }] });
    expect((await reader.vectorSearch.vectorCandidates({ identity, vector: [0, 1, 0, 0, 0, 0, 1, 0], limit: 1 }))[0]?.id).toBe('added:0');
    expect((await reader.vectorSearch.vectorCandidates({ identity, vector: [1, 0, 0, 0, 0, 0, 0, 1], limit: 1 }))[0]?.id).not.toBe('added:0');
    expect(reader.vectorIndexStatus(identity)).toMatchObject({ index: 'exact', size: 201 });
    // A removed document: its vectors are gone for the reader.
    await writer.deleteDocument('added');
    const hits = await reader.vectorSearch.vectorCandidates({ identity, vector: [0, 1, 0, 0, 0, 0, 1, 0], limit: 300 });
    expect(hits.some((h) => h.id.startsWith('added:'))).toBe(false);
    expect(hits).toHaveLength(200);
  });
});

describe('SQLite store export', () => {
  it('exports a document as stored: its record with index terms, and its vectors per identity, ready for another store', async () => {
    const store = open();
    const identity: EmbedderIdentity = { provider: 'x', modelId: 'two-d', revision: '1', pooling: 'mean', normalized: true };
    const other: EmbedderIdentity = { ...identity, modelId: 'three-d' };
    const original = record('a', ['first text', 'second text']);
    await store.putDocument(original);
    await store.putVectors({ identity, entries: [{ chunkId: 'a:1', vector: [0.5, 0.25] }] });
    await store.putVectors({ identity: other, entries: [{ chunkId: 'a:0', vector: [1, 0, 0] }] });
    const exported = await store.exportDocument('a');
    expect(exported?.record).toEqual(original);
    expect(exported?.vectors.map((b) => ({ identity: b.identity, entries: b.entries.map((e) => ({ chunkId: e.chunkId, vector: [...e.vector] })) }))).toEqual([
      { identity: other, entries: [{ chunkId: 'a:0', vector: [1, 0, 0] }] },
      { identity, entries: [{ chunkId: 'a:1', vector: [0.5, 0.25] }] },
    ]);
    expect(await store.exportDocument('missing')).toBeUndefined();
    const copy = open();
    await copy.putDocument(exported?.record as DocumentRecord);
    for (const batch of exported?.vectors ?? []) await copy.putVectors(batch);
    expect(await copy.stats()).toEqual(await store.stats());
  });
});
