import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';

/**
 * The schema this version writes. 6: no FTS5 tables (keyword search is an in-memory index the
 * store keeps), a change log of document writes (other connections' indexes catch up from it), a
 * revision counter, and a store id (snapshots beside the file name the store they belong to).
 */
export const SCHEMA_VERSION = 6;

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

/**
 * Schema 6's additions: every document inserted or deleted is logged (a replacement logs both), so
 * an in-memory index catches up by reading the documents changed since the last sequence it saw;
 * `revision` counts write transactions (documents and vectors).
 */
const SCHEMA_6_ADDITIONS = `
  CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('put', 'delete')));
  CREATE TRIGGER documents_logged_put AFTER INSERT ON documents BEGIN INSERT INTO changes (doc_id, kind) VALUES (new.id, 'put'); END;
  CREATE TRIGGER documents_logged_delete AFTER DELETE ON documents BEGIN INSERT INTO changes (doc_id, kind) VALUES (old.id, 'delete'); END;
  INSERT INTO meta (key, value) VALUES ('revision', '0') ON CONFLICT(key) DO NOTHING;
`;

/** A random id for a store created or rebuilt (a snapshot beside an older file of that name is then not taken for this one). */
function setStoreId(db: Database.Database): void {
  db.prepare("INSERT INTO meta (key, value) VALUES ('store_id', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(randomBytes(16).toString('hex'));
}

const TABLES = ['index_snapshots', 'changes', 'vectors', 'vector_spaces', 'chunks_vocab', 'chunks_fts', 'documents_fts', 'chunks', 'documents'];

/** Reads the schema version of an open store (0 for a new file). */
export function schemaVersion(db: Database.Database): number {
  const hasMeta = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get()?.n ?? 0;
  if (!hasMeta) return 0;
  const row = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").get();
  return row ? Number(row.value) : 0;
}

/** Refuses a store of another schema version (for connections that cannot migrate, e.g. read-only ones). */
export function requireSchema(db: Database.Database, path: string): void {
  const version = schemaVersion(db);
  if (version !== SCHEMA_VERSION) {
    throw new Error(`the store ${path} has schema ${version}, this version reads ${SCHEMA_VERSION}: open it once for writing to upgrade it`);
  }
}

/**
 * Creates the schema in a new file, or upgrades an older one in place: 2 to 5 keep documents,
 * chunks and vectors (dropping the FTS5 tables 5 had); older ones are rebuilt empty when `rebuild`
 * allows, refused otherwise.
 */
export function migrate(db: Database.Database, rebuild: boolean, path: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  let version = schemaVersion(db);
  if (version > SCHEMA_VERSION) {
    throw new Error(`the store was written by a newer ragbridge (schema ${version}, this version reads ${SCHEMA_VERSION}); upgrade @ragbridge/pipeline`);
  }
  if (version === SCHEMA_VERSION) {
    if (!db.prepare("SELECT 1 FROM meta WHERE key = 'store_id'").get()) setStoreId(db);
    return;
  }
  if (version >= 2) {
    db.transaction(() => {
      upgradeInPlace(db, version);
      setStoreId(db);
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
      for (const table of TABLES) db.exec(`DROP TABLE IF EXISTS ${table}`);
      db.exec("DELETE FROM meta WHERE key IN ('schema_version', 'revision', 'changes_pruned_through')");
    })();
    version = 0;
  }
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
      ${SCHEMA_6_ADDITIONS}
    `);
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
    setStoreId(db);
  })();
}

/** Upgrades schema 2–5 to the current one, keeping documents, chunks and vectors. */
function upgradeInPlace(db: Database.Database, version: number): void {
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
  if (version <= 4) {
    // 5 counts removed and replaced vectors per identity (in-memory indexes then only add).
    db.exec('ALTER TABLE vector_spaces ADD COLUMN generation INTEGER NOT NULL DEFAULT 0');
    db.exec(VECTOR_GENERATION_TRIGGERS);
  }
  // 6: the FTS5 index nobody read is gone (the vocabulary table first: it reads the FTS5 table).
  for (const table of ['chunks_vocab', 'chunks_fts', 'documents_fts']) db.exec(`DROP TABLE IF EXISTS ${table}`);
  db.exec(SCHEMA_6_ADDITIONS);
  db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION));
}
