import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  embedderIdentityKey,
  type Chunk,
  type DocumentRecord,
  type DocumentStoreV1,
  type EmbedderIdentity,
  type IndexedChunk,
  type KeywordQuery,
  type ScoredId,
  type SourceDocument,
  type VectorBatch,
  type VectorQuery,
} from '@ragbridge/core-interfaces';
import { ANN_THRESHOLD_DEFAULT, buildAnnIndexInSlices, ExactVectorIndex, type VectorIndex } from './vector-index.js';

const SCHEMA_VERSION = 5;

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
}

interface ChunkRow {
  rowid: number;
  terms: string;
  heading_terms: string;
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

/** FTS5 query text: every term quoted, OR-ed. */
function matchExpression(terms: readonly string[]): string {
  return terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ');
}

/** The vector index of one embedder identity, and what it holds of the stored vectors. */
interface IndexEntry {
  /** Exact until the HNSW graph built in the background replaces it. */
  index: VectorIndex;
  /** Chunk rowid of each index position. */
  rowids: number[];
  /** The store's revision (this connection's writes, other connections' commits) last caught up with. */
  revision: string;
  /** The identity's removal count when loaded: while unchanged, vectors were only added since. */
  generation: number;
  /** Highest `vectors` rowid the index holds: vectors added since have higher ones. */
  lastRowid: number;
  /** Settles when the background HNSW build ends (undefined: none started). */
  building?: Promise<void>;
  /** True while that build runs. */
  graphPending?: boolean;
}

/** A SQLite document store: the embedded default of {@link DocumentStoreV1}. */
export interface SqliteStore extends DocumentStoreV1 {
  /** The database file path. */
  readonly path: string;
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
  vectorIndexStatus(identity: EmbedderIdentity): { index: 'exact' | 'hnsw'; size: number; building: boolean } | undefined;
}

/**
 * Opens (and creates or migrates) a SQLite store: documents, chunks, an FTS5 index with BM25
 * over pre-analyzed terms (so technical tokens keep their form), and vectors keyed by the
 * embedder identity. Every write runs in a transaction (WAL journal), so a crash mid-ingest
 * leaves the previous content.
 */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  if (options.path !== ':memory:' && !options.readonly) mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  try {
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    if (!options.readonly) migrate(db, options.rebuildOnSchemaChange ?? false, options.path);
  } catch (error) {
    db.close();
    const code = (error as { code?: unknown }).code;
    // Another file given as the store: say so, and leave it as it is.
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new Error(`${options.path} is not a ragbridge store (${(error as Error).message}); it was left unchanged: give another path`, { cause: error });
    }
    throw error;
  }
  const annThreshold = options.annThreshold ?? ANN_THRESHOLD_DEFAULT;

  const statements = {
    listDocuments: db.prepare<[], DocumentRow>('SELECT * FROM documents ORDER BY name'),
    getDocument: db.prepare<[string], DocumentRow>('SELECT * FROM documents WHERE id = ?'),
    getDocumentBySource: db.prepare<[string], DocumentRow>('SELECT * FROM documents WHERE source = ?'),
    chunkRowids: db.prepare<[string], { rowid: number }>('SELECT pk AS rowid FROM chunks WHERE doc_id = ?'),
    deleteChunkFts: db.prepare<[number]>('DELETE FROM chunks_fts WHERE rowid = ?'),
    deleteChunks: db.prepare<[string]>('DELETE FROM chunks WHERE doc_id = ?'),
    documentRowid: db.prepare<[string], { rowid: number }>('SELECT rowid FROM documents WHERE id = ?'),
    deleteDocFts: db.prepare<[number]>('DELETE FROM documents_fts WHERE rowid = ?'),
    deleteDocument: db.prepare<[string]>('DELETE FROM documents WHERE id = ?'),
    insertDocument: db.prepare(
      'INSERT INTO documents (id, source, name, title, media_type, content_hash, page_count, byte_size, ingested_at, terms) VALUES (@id, @source, @name, @title, @mediaType, @contentHash, @pageCount, @byteSize, @ingestedAt, @terms)',
    ),
    insertDocFts: db.prepare<[number, string]>('INSERT INTO documents_fts (rowid, terms) VALUES (?, ?)'),
    insertChunk: db.prepare(
      'INSERT INTO chunks (id, doc_id, ord, text, page, page_end, page_label, section_path, section_title, section_anchor, char_start, char_end, terms, heading_terms) VALUES (@id, @docId, @ord, @text, @page, @pageEnd, @pageLabel, @sectionPath, @sectionTitle, @sectionAnchor, @charStart, @charEnd, @terms, @headingTerms)',
    ),
    insertChunkFts: db.prepare<[number | bigint, string, string]>('INSERT INTO chunks_fts (rowid, terms, heading_terms) VALUES (?, ?, ?)'),
    chunkById: db.prepare<[string], ChunkRow>('SELECT pk AS rowid, * FROM chunks WHERE id = ?'),
    documentChunks: db.prepare<[string], ChunkRow>('SELECT pk AS rowid, * FROM chunks WHERE doc_id = ? ORDER BY ord'),
    searchChunks: db.prepare<[string, number], { rowid: number; score: number }>(
      'SELECT rowid, -bm25(chunks_fts, 1.0, 0.35) AS score FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts, 1.0, 0.35) LIMIT ?',
    ),
    chunkIdsByRowids: db.prepare<[string], { rowid: number; id: string }>('SELECT pk AS rowid, id FROM chunks WHERE pk IN (SELECT value FROM json_each(?))'),
    chunksByIds: db.prepare<[string], ChunkRow>('SELECT pk AS rowid, * FROM chunks WHERE id IN (SELECT value FROM json_each(?))'),
    searchDocuments: db.prepare<[string, number], { id: string; score: number }>(
      'SELECT d.id AS id, -bm25(documents_fts) AS score FROM documents_fts JOIN documents d ON d.rowid = documents_fts.rowid WHERE documents_fts MATCH ? ORDER BY bm25(documents_fts) LIMIT ?',
    ),
    upsertSpace: db.prepare<[string, number, string]>(
      'INSERT INTO vector_spaces (identity_key, dimensions, identity_json) VALUES (?, ?, ?) ON CONFLICT(identity_key) DO NOTHING',
    ),
    spaceDims: db.prepare<[string], { dimensions: number }>('SELECT dimensions FROM vector_spaces WHERE identity_key = ?'),
    space: db.prepare<[string], { dimensions: number; generation: number }>('SELECT dimensions, generation FROM vector_spaces WHERE identity_key = ?'),
    putVector: db.prepare<[string, number | bigint, Buffer]>(
      'INSERT INTO vectors (identity_key, chunk_rowid, vector) VALUES (?, ?, ?) ON CONFLICT(identity_key, chunk_rowid) DO UPDATE SET vector = excluded.vector',
    ),
    vectorsAfter: db.prepare<[string, number], { rowid: number; chunk_rowid: number; vector: Buffer }>(
      'SELECT rowid, chunk_rowid, vector FROM vectors WHERE identity_key = ? AND rowid > ? ORDER BY rowid',
    ),
    chunksWithoutVectors: db.prepare<[string], { id: string }>(
      'SELECT c.id AS id FROM chunks c LEFT JOIN vectors v ON v.chunk_rowid = c.pk AND v.identity_key = ? WHERE v.chunk_rowid IS NULL ORDER BY c.pk',
    ),
    allDocumentTerms: db.prepare<[], { id: string; terms: string }>('SELECT id, terms FROM documents ORDER BY rowid'),
    allChunkTerms: db.prepare<[], { id: string; doc_id: string; page: number; terms: string; heading_terms: string }>(
      'SELECT id, doc_id, page, terms, heading_terms FROM chunks ORDER BY pk',
    ),
    termTotals: db.prepare<[], { n: number }>('SELECT sum(cnt) AS n FROM chunks_vocab'),
    termDf: db.prepare<[string], { doc: number }>('SELECT doc FROM chunks_vocab WHERE term = ?'),
    chunkIdByRowid: db.prepare<[number], { id: string }>('SELECT id FROM chunks WHERE pk = ?'),
    counts: db.prepare<[], { documents: number; chunks: number }>('SELECT (SELECT count(*) FROM documents) AS documents, (SELECT count(*) FROM chunks) AS chunks'),
    vectorCounts: db.prepare<[], { identity_key: string; n: number }>('SELECT identity_key, count(*) AS n FROM vectors GROUP BY identity_key'),
  };

  /**
   * In-memory vector indexes per identity, caught up after writes by this connection and after
   * any commit by another connection (another process ingesting, or a second store object on the
   * same file): vectors added since join the index; a vector removed or replaced (the identity's
   * `generation`, counted by triggers) makes it load again.
   */
  const indexes = new Map<string, IndexEntry>();
  let termTotal: number | undefined;
  let localWrites = 0;
  let localVectorWrites = 0;
  const invalidateVectors = (): void => {
    termTotal = undefined;
    localWrites++;
  };
  // Changes by this connection bump localWrites; commits by other connections bump data_version.
  const revision = (): string => `${localWrites}:${String(db.pragma('data_version', { simple: true }))}`;

  const removeDocument = (id: string): boolean => {
    const doc = statements.documentRowid.get(id);
    if (!doc) return false;
    for (const { rowid } of statements.chunkRowids.all(id)) statements.deleteChunkFts.run(rowid);
    statements.deleteChunks.run(id);
    statements.deleteDocFts.run(doc.rowid);
    statements.deleteDocument.run(id);
    return true;
  };

  const putDocumentTx = db.transaction((record: DocumentRecord) => {
    const { document } = record;
    const previous = statements.getDocumentBySource.get(document.source);
    if (previous) removeDocument(previous.id);
    removeDocument(document.id);
    statements.insertDocument.run({ ...document, title: document.title ?? null, terms: record.documentTerms });
    const docRowid = statements.documentRowid.get(document.id)?.rowid as number;
    statements.insertDocFts.run(docRowid, record.documentTerms);
    record.chunks.forEach((chunk, ord) => {
      const info = statements.insertChunk.run({
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
      statements.insertChunkFts.run(info.lastInsertRowid, chunk.terms, chunk.headingTerms);
    });
  });

  const putVectorsTx = db.transaction((key: string, dims: number, identity: EmbedderIdentity, entries: VectorBatch['entries']) => {
    statements.upsertSpace.run(key, dims, JSON.stringify(identity));
    const known = statements.spaceDims.get(key)?.dimensions;
    if (known !== dims) throw new Error(`vectors for ${identity.modelId} have ${dims} dimensions, the store holds ${known} for this identity`);
    for (const { chunkId, vector } of entries) {
      const row = statements.chunkById.get(chunkId);
      if (!row) throw new Error(`no chunk "${chunkId}" to attach a vector to`);
      const f32 = vector instanceof Float32Array ? vector : Float32Array.from(vector);
      statements.putVector.run(key, row.rowid, Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength));
    }
  });

  /** Starts the background HNSW build of an exact index past the threshold (once). */
  const buildGraph = (key: string, entry: IndexEntry): void => {
    const exact = entry.index;
    if (entry.building || !(exact instanceof ExactVectorIndex) || exact.size < annThreshold) return;
    entry.graphPending = true;
    entry.building = buildAnnIndexInSlices(exact, { dimensions: exact.dimensions }, () => indexes.get(key) === entry)
      .then(
        (ann) => {
          if (!ann || indexes.get(key) !== entry) return;
          // Vectors added after the last slice (in the same turn) join before the swap.
          while (ann.size < exact.size) ann.add(exact.vector(ann.size));
          entry.index = ann;
        },
        // The exact index keeps serving; the next reload (a vector removed or replaced) tries again.
        () => undefined,
      )
      .finally(() => (entry.graphPending = false));
  };

  /** Adds the stored vectors of `key` after `entry.lastRowid` to the entry's index. */
  const addStoredVectors = (key: string, entry: IndexEntry): void => {
    for (const row of statements.vectorsAfter.iterate(key, entry.lastRowid)) {
      entry.rowids.push(row.chunk_rowid);
      entry.lastRowid = row.rowid;
      const v = row.vector;
      // Copied into the index (normalized): a view suffices when aligned.
      entry.index.add(v.byteOffset % 4 === 0 ? new Float32Array(v.buffer, v.byteOffset, v.byteLength / 4) : new Float32Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)));
    }
  };

  /**
   * The vector index of an embedder identity, caught up with the store. Search is exact at once;
   * past `annThreshold` vectors the HNSW graph is built in the background, in slices (a graph of
   * ten thousand vectors takes over a second to build, which would stop this thread's event
   * loop), and replaces the exact index when done. Vectors added meanwhile join the index and
   * the graph being built; a removed or replaced vector makes both start again.
   */
  const loadIndex = (key: string): IndexEntry | undefined => {
    const rev = `${localVectorWrites}:${revision()}`;
    const cached = indexes.get(key);
    if (cached && cached.revision === rev) return cached;
    const space = statements.space.get(key);
    if (!space) {
      indexes.delete(key);
      return undefined;
    }
    if (cached && cached.generation === space.generation) {
      addStoredVectors(key, cached);
      cached.revision = rev;
      buildGraph(key, cached);
      return cached;
    }
    const entry: IndexEntry = { index: new ExactVectorIndex(space.dimensions), rowids: [], revision: rev, generation: space.generation, lastRowid: 0 };
    addStoredVectors(key, entry);
    indexes.set(key, entry);
    buildGraph(key, entry);
    return entry;
  };

  return {
    specificationVersion: 'v1',
    path: options.path,
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
      invalidateVectors();
    },
    async deleteDocument(id) {
      const removed = db.transaction(() => removeDocument(id)).immediate();
      if (removed) invalidateVectors();
      return removed;
    },
    async getChunks(ids) {
      if (ids.length === 0) return [];
      const rows = new Map(statements.chunksByIds.all(JSON.stringify(ids)).map((row) => [row.id, row]));
      return ids.flatMap((id) => {
        const row = rows.get(id);
        return row ? [toChunk(row)] : [];
      });
    },
    async getIndexedChunks(ids) {
      if (ids.length === 0) return [];
      const rows = new Map(statements.chunksByIds.all(JSON.stringify(ids)).map((row) => [row.id, row]));
      const out: IndexedChunk[] = [];
      for (const id of ids) {
        const row = rows.get(id);
        if (row) out.push({ ...toChunk(row), terms: row.terms, headingTerms: row.heading_terms });
      }
      return out;
    },
    async getDocumentChunks(docId) {
      return statements.documentChunks.all(docId).map(toChunk);
    },
    async searchChunks(query: KeywordQuery): Promise<ScoredId[]> {
      if (query.terms.length === 0) return [];
      const hits = statements.searchChunks.all(matchExpression(query.terms), query.limit);
      const ids = new Map(statements.chunkIdsByRowids.all(JSON.stringify(hits.map((h) => h.rowid))).map((r) => [r.rowid, r.id]));
      return hits.flatMap((h) => {
        const id = ids.get(h.rowid);
        return id === undefined ? [] : [{ id, score: h.score }];
      });
    },
    async searchDocuments(query: KeywordQuery): Promise<ScoredId[]> {
      if (query.terms.length === 0) return [];
      return statements.searchDocuments.all(matchExpression(query.terms), query.limit);
    },
    async scanChunkTerms(sinceRevision) {
      const current = revision();
      if (sinceRevision === current) return { revision: current, changed: false, rows: [], documents: [] };
      const rows = statements.allChunkTerms.all().map((r) => ({ id: r.id, docId: r.doc_id, page: r.page, terms: r.terms, headingTerms: r.heading_terms }));
      return { revision: current, changed: true, rows, documents: statements.allDocumentTerms.all() };
    },
    async termFrequencies(terms) {
      const documentFrequency: Record<string, number> = {};
      for (const term of terms) documentFrequency[term] = statements.termDf.get(term)?.doc ?? 0;
      termTotal ??= statements.termTotals.get()?.n ?? 0;
      const chunks = statements.counts.get()?.chunks ?? 0;
      return { chunks, averageChunkTerms: chunks > 0 ? termTotal / chunks : 0, documentFrequency };
    },
    async putVectors(batch: VectorBatch) {
      if (batch.entries.length === 0) return;
      const dims = batch.entries[0]?.vector.length ?? 0;
      if (batch.entries.some((e) => e.vector.length !== dims)) throw new Error('all vectors of a batch must have the same length');
      putVectorsTx.immediate(embedderIdentityKey(batch.identity), dims, batch.identity, batch.entries);
      // The next search catches the index up: new vectors join it, a replaced one reloads it.
      localVectorWrites++;
    },
    async chunksWithoutVectors(identity) {
      return statements.chunksWithoutVectors.all(embedderIdentityKey(identity)).map((r) => r.id);
    },
    async searchVectors(query: VectorQuery): Promise<ScoredId[]> {
      const entry = loadIndex(embedderIdentityKey(query.identity));
      if (!entry) return [];
      const vector = query.vector instanceof Float32Array ? query.vector : Float32Array.from(query.vector);
      return entry.index.search(vector, query.limit).map(({ id, score }) => ({
        id: statements.chunkIdByRowid.get(entry.rowids[id] as number)?.id ?? '',
        score,
      }));
    },
    async warmVectorIndex(identity) {
      const key = embedderIdentityKey(identity);
      const entry = loadIndex(key);
      if (!entry) return 'none';
      await entry.building;
      return entry.index instanceof ExactVectorIndex ? 'exact' : 'hnsw';
    },
    vectorIndexStatus(identity) {
      const entry = indexes.get(embedderIdentityKey(identity));
      if (!entry) return undefined;
      return { index: entry.index instanceof ExactVectorIndex ? 'exact' : 'hnsw', size: entry.index.size, building: entry.graphPending === true };
    },
    async stats() {
      const counts = statements.counts.get() ?? { documents: 0, chunks: 0 };
      const vectors: Record<string, number> = {};
      for (const row of statements.vectorCounts.all()) vectors[row.identity_key] = row.n;
      return { ...counts, vectors };
    },
    async close() {
      // Background graph builds see their entry gone and stop.
      indexes.clear();
      db.close();
    },
  };
}

/**
 * A vector removed (its chunk deleted: cascades fire triggers) or replaced bumps its identity's
 * generation; one only added does not. Any connection's in-memory index compares generations to
 * know whether it may just add the rows past the last one it holds.
 */
const VECTOR_GENERATION_TRIGGERS = `
  CREATE TRIGGER vectors_removed AFTER DELETE ON vectors
  BEGIN UPDATE vector_spaces SET generation = generation + 1 WHERE identity_key = old.identity_key; END;
  CREATE TRIGGER vectors_replaced AFTER UPDATE ON vectors
  BEGIN UPDATE vector_spaces SET generation = generation + 1 WHERE identity_key = old.identity_key; END;
`;

function migrate(db: Database.Database, rebuild: boolean, path: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  const row = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").get();
  let version = row ? Number(row.value) : 0;
  if (version > SCHEMA_VERSION) {
    throw new Error(`the store was written by a newer ragbridge (schema ${version}, this version reads ${SCHEMA_VERSION}); upgrade @ragbridge/pipeline`);
  }
  if (version === SCHEMA_VERSION) return;
  if (version >= 2 && version <= 4) {
    db.transaction(() => {
      if (version === 2) {
        // 3 keeps each document's description terms readable (for in-memory document scoring). Old
        // rows get none and an empty content hash, so the next ingest of their files redoes them.
        db.exec("ALTER TABLE documents ADD COLUMN terms TEXT NOT NULL DEFAULT ''");
        db.exec("UPDATE documents SET content_hash = ''");
      }
      if (version <= 3) {
        // 4 keeps the section a chunk cites (HTML, Markdown). Old rows get none until re-ingested.
        db.exec('ALTER TABLE chunks ADD COLUMN section_title TEXT');
        db.exec('ALTER TABLE chunks ADD COLUMN section_anchor TEXT');
      }
      // 5 counts removed and replaced vectors per identity (in-memory indexes then only add).
      db.exec('ALTER TABLE vector_spaces ADD COLUMN generation INTEGER NOT NULL DEFAULT 0');
      db.exec(VECTOR_GENERATION_TRIGGERS);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION));
    })();
    return;
  }
  if (version > 0) {
    if (!rebuild) {
      throw new Error(
        `the store ${path} was written by an older ragbridge (schema ${version}, this version needs ${SCHEMA_VERSION}); delete it and ingest your documents again`,
      );
    }
    db.transaction(() => {
      for (const table of ['vectors', 'vector_spaces', 'chunks_vocab', 'chunks_fts', 'documents_fts', 'chunks', 'documents']) db.exec(`DROP TABLE IF EXISTS ${table}`);
      db.exec("DELETE FROM meta WHERE key = 'schema_version'");
    })();
    version = 0;
  }
  const tokenizer = "tokenize = \"unicode61 remove_diacritics 0 tokenchars '._-'\"";
  db.transaction(() => {
    db.exec(`
      CREATE TABLE documents (
        id TEXT PRIMARY KEY, source TEXT NOT NULL UNIQUE, name TEXT NOT NULL, title TEXT, media_type TEXT NOT NULL,
        content_hash TEXT NOT NULL, page_count INTEGER NOT NULL, byte_size INTEGER NOT NULL, ingested_at INTEGER NOT NULL,
        terms TEXT NOT NULL DEFAULT ''
      );
      CREATE TABLE chunks (
        pk INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE, ord INTEGER NOT NULL,
        text TEXT NOT NULL, page INTEGER NOT NULL, page_end INTEGER NOT NULL, page_label TEXT NOT NULL,
        section_path TEXT NOT NULL, char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,
        terms TEXT NOT NULL, heading_terms TEXT NOT NULL, section_title TEXT, section_anchor TEXT
      );
      CREATE INDEX chunks_doc ON chunks(doc_id, ord);
      CREATE VIRTUAL TABLE chunks_fts USING fts5(terms, heading_terms, content = '', contentless_delete = 1, ${tokenizer});
      CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, 'row');
      CREATE VIRTUAL TABLE documents_fts USING fts5(terms, content = '', contentless_delete = 1, ${tokenizer});
      CREATE TABLE vector_spaces (
        identity_key TEXT PRIMARY KEY, dimensions INTEGER NOT NULL, identity_json TEXT NOT NULL, generation INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE vectors (
        identity_key TEXT NOT NULL REFERENCES vector_spaces(identity_key),
        chunk_rowid INTEGER NOT NULL REFERENCES chunks(pk) ON DELETE CASCADE,
        vector BLOB NOT NULL,
        PRIMARY KEY (identity_key, chunk_rowid)
      );
      CREATE INDEX vectors_chunk ON vectors(chunk_rowid);
      ${VECTOR_GENERATION_TRIGGERS}
    `);
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
  })();
}
