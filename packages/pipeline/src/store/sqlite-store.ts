import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  embedderIdentityKey,
  type Chunk,
  type DocumentRecord,
  type DocumentStoreV2,
  type EmbedderIdentity,
  type IndexedChunk,
  type SourceDocument,
  type VectorBatch,
} from '@ragbridge/core-interfaces';
import { createSqliteKeywordSearch, type KeywordIndexStatus } from './sqlite-keyword-search.js';
import { migrate, requireSchema } from './sqlite-schema.js';
import { createSqliteVectorSearch, type VectorIndexStatus } from './sqlite-vector-search.js';
import { ANN_THRESHOLD_DEFAULT } from './vector-index.js';

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file; `:memory:` for a throwaway store. */
  path: string;
  /** Open read-only (e.g. for serving while another process ingests). @default false */
  readonly?: boolean;
  /**
   * When the file was written by an older schema: rebuild it empty (for stores that only cache
   * documents ingested from files, which a re-ingest restores) instead of refusing to open it.
   * @default false
   */
  rebuildOnSchemaChange?: boolean;
  /** Vector count above which search switches from exact to the HNSW index. @default {@link ANN_THRESHOLD_DEFAULT} */
  annThreshold?: number;
  /**
   * At close, write a snapshot of the keyword index beside the file (`<path>-keywords`) when
   * enough changed since the last one, so the next process opens it instead of reading every
   * chunk. Only for a file opened for writing. @default true
   */
  keywordSnapshots?: boolean;
}

interface ChunkRow {
  id: string;
  doc_id: string;
  text: string;
  page: number;
  page_end: number;
  page_label: string;
  section_path: string;
  section_title: string | null;
  section_anchor: string | null;
  char_start: number;
  char_end: number;
}

interface DocumentRow {
  id: string;
  source: string;
  name: string;
  title: string | null;
  media_type: SourceDocument['mediaType'];
  content_hash: string;
  page_count: number;
  byte_size: number;
  ingested_at: number;
}

const DOCUMENT_COLUMNS = 'id, source, name, title, media_type, content_hash, page_count, byte_size, ingested_at';
const CHUNK_COLUMNS = 'id, doc_id, text, page, page_end, page_label, section_path, section_title, section_anchor, char_start, char_end';

const toDocument = (row: DocumentRow): SourceDocument => ({
  id: row.id,
  source: row.source,
  name: row.name,
  ...(row.title !== null && { title: row.title }),
  mediaType: row.media_type,
  contentHash: row.content_hash,
  pageCount: row.page_count,
  byteSize: row.byte_size,
  ingestedAt: row.ingested_at,
});

const toChunk = (row: ChunkRow): Chunk => ({
  id: row.id,
  docId: row.doc_id,
  text: row.text,
  page: row.page,
  pageEnd: row.page_end,
  pageLabel: row.page_label,
  sectionPath: JSON.parse(row.section_path) as string[],
  ...(row.section_title !== null && { section: { title: row.section_title, ...(row.section_anchor !== null && { anchor: row.section_anchor }) } }),
  charStart: row.char_start,
  charEnd: row.char_end,
});

/** A document as stored, for copying it into another store without analysing or embedding it again. */
export interface ExportedDocument {
  /** The document with its chunks and their index terms, as `putDocument` takes it. */
  record: DocumentRecord;
  /** The stored vectors of its chunks, one batch per embedder identity. */
  vectors: VectorBatch[];
}

/** A SQLite document store: the embedded default of {@link DocumentStoreV2}. */
export interface SqliteStore extends DocumentStoreV2 {
  /** The database file path. */
  readonly path: string;
  /** A document with its chunks, index terms and vectors, read at once; undefined when it does not exist. */
  exportDocument(id: string): Promise<ExportedDocument | undefined>;
  /**
   * Loads the vector index of `identity` and waits for its HNSW graph when one is being built
   * (searches meanwhile are exact). Says which index then serves: `'none'` without vectors.
   */
  warmVectorIndex(identity: EmbedderIdentity): Promise<'exact' | 'hnsw' | 'none'>;
  /**
   * The in-memory vector index of `identity` as it stands, without loading or catching it up:
   * which index serves, how many vectors it holds, whether a graph is being built. Undefined when
   * none is loaded.
   */
  vectorIndexStatus(identity: EmbedderIdentity): VectorIndexStatus | undefined;
  /**
   * The in-memory keyword index as it stands (without loading or catching it up): what it holds,
   * where it was loaded from, how many full scans and applied changes it took. Undefined before
   * the first keyword search.
   */
  keywordIndexStatus(): KeywordIndexStatus | undefined;
}

/** Where the keyword index snapshot of the store at `path` lives: beside it, as SQLite's `-wal` does. */
export function keywordSnapshotPath(path: string): string {
  return `${path}-keywords`;
}

/** Opens the database file, creating or upgrading its schema unless read-only. */
function openDatabase(options: SqliteStoreOptions): Database.Database {
  if (options.path !== ':memory:' && !options.readonly) mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  try {
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    if (options.readonly) requireSchema(db, options.path);
    else migrate(db, options.rebuildOnSchemaChange ?? false, options.path);
    return db;
  } catch (error) {
    db.close();
    const code = (error as { code?: unknown }).code;
    // Another file given as the store: say so, and leave it as it is.
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new Error(`${options.path} is not a ragbridge store (${(error as Error).message}); it was left unchanged: give another path`, { cause: error });
    }
    throw error;
  }
}

/**
 * Opens (and creates or migrates) a SQLite store: documents, chunks with their pre-analyzed index
 * terms (so technical tokens keep their form), and vectors keyed by the embedder identity, with
 * in-memory keyword and vector indexes that follow every write, by this connection or another.
 * Every write runs in a transaction (WAL journal), so a crash mid-ingest leaves the previous
 * content.
 */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const db = openDatabase(options);
  const statements = {
    listDocuments: db.prepare<[], DocumentRow>(`SELECT ${DOCUMENT_COLUMNS} FROM documents ORDER BY name`),
    getDocument: db.prepare<[string], DocumentRow>(`SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE id = ?`),
    getDocumentBySource: db.prepare<[string], DocumentRow>(`SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE source = ?`),
    deleteDocument: db.prepare<[string]>('DELETE FROM documents WHERE id = ?'),
    insertDocument: db.prepare(
      'INSERT INTO documents (id, source, name, title, media_type, content_hash, page_count, byte_size, ingested_at, terms) VALUES (@id, @source, @name, @title, @mediaType, @contentHash, @pageCount, @byteSize, @ingestedAt, @terms)',
    ),
    insertChunk: db.prepare(
      'INSERT INTO chunks (id, doc_id, ord, text, page, page_end, page_label, section_path, section_title, section_anchor, char_start, char_end, terms, heading_terms) VALUES (@id, @docId, @ord, @text, @page, @pageEnd, @pageLabel, @sectionPath, @sectionTitle, @sectionAnchor, @charStart, @charEnd, @terms, @headingTerms)',
    ),
    chunkPk: db.prepare<[string], { pk: number }>('SELECT pk FROM chunks WHERE id = ?'),
    documentChunks: db.prepare<[string], ChunkRow>(`SELECT ${CHUNK_COLUMNS} FROM chunks WHERE doc_id = ? ORDER BY ord`),
    chunksByIds: db.prepare<[string], ChunkRow>(`SELECT ${CHUNK_COLUMNS} FROM chunks WHERE id IN (SELECT value FROM json_each(?))`),
    upsertSpace: db.prepare<[string, number, string]>(
      'INSERT INTO vector_spaces (identity_key, dimensions, identity_json) VALUES (?, ?, ?) ON CONFLICT(identity_key) DO NOTHING',
    ),
    spaceDims: db.prepare<[string], { dimensions: number }>('SELECT dimensions FROM vector_spaces WHERE identity_key = ?'),
    putVector: db.prepare<[string, number, Buffer]>(
      'INSERT INTO vectors (identity_key, chunk_rowid, vector) VALUES (?, ?, ?) ON CONFLICT(identity_key, chunk_rowid) DO UPDATE SET vector = excluded.vector',
    ),
    chunksWithoutVectors: db.prepare<[string], { id: string }>(
      'SELECT c.id AS id FROM chunks c LEFT JOIN vectors v ON v.chunk_rowid = c.pk AND v.identity_key = ? WHERE v.chunk_rowid IS NULL ORDER BY c.pk',
    ),
    counts: db.prepare<[], { documents: number; chunks: number }>('SELECT (SELECT count(*) FROM documents) AS documents, (SELECT count(*) FROM chunks) AS chunks'),
    vectorCounts: db.prepare<[], { identity_key: string; n: number }>('SELECT identity_key, count(*) AS n FROM vectors GROUP BY identity_key'),
    documentTerms: db.prepare<[string], { terms: string }>('SELECT terms FROM documents WHERE id = ?'),
    indexedChunks: db.prepare<[string], ChunkRow & { terms: string; heading_terms: string }>(
      `SELECT ${CHUNK_COLUMNS}, terms, heading_terms FROM chunks WHERE doc_id = ? ORDER BY ord`,
    ),
    documentVectors: db.prepare<[string], { identity_json: string; chunk_id: string; vector: Buffer }>(
      'SELECT s.identity_json, c.id AS chunk_id, v.vector FROM chunks c JOIN vectors v ON v.chunk_rowid = c.pk JOIN vector_spaces s ON s.identity_key = v.identity_key WHERE c.doc_id = ? ORDER BY v.identity_key, c.ord',
    ),
    revision: db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'revision'"),
    bumpRevision: db.prepare("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision'"),
  };

  // Counts write transactions of every connection: one read tells whether anything changed.
  const revision = (): string => statements.revision.get()?.value ?? '0';
  const keywords = createSqliteKeywordSearch(db, {
    snapshotPath: options.path === ':memory:' ? undefined : keywordSnapshotPath(options.path),
    writeSnapshots: (options.keywordSnapshots ?? true) && !options.readonly,
  });
  const vectors = createSqliteVectorSearch(db, options.annThreshold ?? ANN_THRESHOLD_DEFAULT, revision);

  /** Deletes a document; its chunks and their vectors go by cascade. */
  const removeDocument = (id: string): boolean => statements.deleteDocument.run(id).changes > 0;

  const putDocumentTx = db.transaction((record: DocumentRecord) => {
    const { document } = record;
    const previous = statements.getDocumentBySource.get(document.source);
    if (previous) removeDocument(previous.id);
    removeDocument(document.id);
    statements.insertDocument.run({ ...document, title: document.title ?? null, terms: record.documentTerms });
    record.chunks.forEach((chunk, ord) => {
      statements.insertChunk.run({
        id: chunk.id,
        docId: document.id,
        ord,
        text: chunk.text,
        page: chunk.page,
        pageEnd: chunk.pageEnd,
        pageLabel: chunk.pageLabel,
        sectionPath: JSON.stringify(chunk.sectionPath),
        sectionTitle: chunk.section?.title ?? null,
        sectionAnchor: chunk.section?.anchor ?? null,
        charStart: chunk.charStart,
        charEnd: chunk.charEnd,
        terms: chunk.terms,
        headingTerms: chunk.headingTerms,
      });
    });
    statements.bumpRevision.run();
  });

  const deleteDocumentTx = db.transaction((id: string): boolean => {
    const removed = removeDocument(id);
    if (removed) statements.bumpRevision.run();
    return removed;
  });

  const putVectorsTx = db.transaction((key: string, dims: number, identity: EmbedderIdentity, entries: VectorBatch['entries']) => {
    statements.upsertSpace.run(key, dims, JSON.stringify(identity));
    const known = statements.spaceDims.get(key)?.dimensions;
    if (known !== dims) throw new Error(`vectors for ${identity.modelId} have ${dims} dimensions, the store holds ${known} for this identity`);
    for (const { chunkId, vector } of entries) {
      const row = statements.chunkPk.get(chunkId);
      if (!row) throw new Error(`no chunk "${chunkId}" to attach a vector to`);
      const f32 = vector instanceof Float32Array ? vector : Float32Array.from(vector);
      statements.putVector.run(key, row.pk, Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength));
    }
    statements.bumpRevision.run();
  });

  /** One document as stored, read in one transaction (a consistent view while others write). */
  const exportDocumentTx = db.transaction((id: string): ExportedDocument | undefined => {
    const row = statements.getDocument.get(id);
    if (!row) return undefined;
    const chunks: IndexedChunk[] = statements.indexedChunks.all(id).map((c) => ({ ...toChunk(c), terms: c.terms, headingTerms: c.heading_terms }));
    const batches = new Map<string, VectorBatch>();
    for (const v of statements.documentVectors.iterate(id)) {
      let batch = batches.get(v.identity_json);
      if (!batch) batches.set(v.identity_json, (batch = { identity: JSON.parse(v.identity_json) as EmbedderIdentity, entries: [] }));
      // A copy: the row's buffer may not be aligned for a Float32Array view.
      batch.entries.push({ chunkId: v.chunk_id, vector: new Float32Array(v.vector.buffer.slice(v.vector.byteOffset, v.vector.byteOffset + v.vector.byteLength)) });
    }
    return { record: { document: toDocument(row), chunks, documentTerms: statements.documentTerms.get(id)?.terms ?? '' }, vectors: [...batches.values()] };
  });

  return {
    specificationVersion: 'v2',
    path: options.path,
    async exportDocument(id) {
      return exportDocumentTx(id);
    },
    keywordSearch: keywords.provider,
    vectorSearch: vectors.provider,
    async listDocuments() {
      return statements.listDocuments.all().map(toDocument);
    },
    async getDocument(id) {
      const row = statements.getDocument.get(id);
      return row ? toDocument(row) : undefined;
    },
    async getDocumentBySource(source) {
      const row = statements.getDocumentBySource.get(source);
      return row ? toDocument(row) : undefined;
    },
    async putDocument(record) {
      // IMMEDIATE: the write lock is taken at BEGIN, so a writer on another connection (an ingest
      // worker) is waited for (busy timeout) instead of failing the read-then-write upgrade at once.
      putDocumentTx.immediate(record);
    },
    async deleteDocument(id) {
      return deleteDocumentTx.immediate(id);
    },
    async getChunks(ids) {
      if (ids.length === 0) return [];
      const rows = new Map(statements.chunksByIds.all(JSON.stringify(ids)).map((row) => [row.id, row]));
      return ids.flatMap((id) => {
        const row = rows.get(id);
        return row ? [toChunk(row)] : [];
      });
    },
    async getDocumentChunks(docId) {
      return statements.documentChunks.all(docId).map(toChunk);
    },
    async putVectors(batch: VectorBatch) {
      if (batch.entries.length === 0) return;
      const dims = batch.entries[0]?.vector.length ?? 0;
      if (batch.entries.some((e) => e.vector.length !== dims)) throw new Error('all vectors of a batch must have the same length');
      putVectorsTx.immediate(embedderIdentityKey(batch.identity), dims, batch.identity, batch.entries);
    },
    async chunksWithoutVectors(identity) {
      return statements.chunksWithoutVectors.all(embedderIdentityKey(identity)).map((r) => r.id);
    },
    async revision() {
      return revision();
    },
    async warmVectorIndex(identity) {
      return vectors.warm(identity);
    },
    vectorIndexStatus(identity) {
      return vectors.status(identity);
    },
    keywordIndexStatus() {
      return keywords.status();
    },
    async stats() {
      const counts = statements.counts.get() ?? { documents: 0, chunks: 0 };
      const vectorCounts: Record<string, number> = {};
      for (const row of statements.vectorCounts.all()) vectorCounts[row.identity_key] = row.n;
      return { ...counts, vectors: vectorCounts };
    },
    async close() {
      try {
        await keywords.close();
      } finally {
        vectors.close();
        db.close();
      }
    },
  };
}
