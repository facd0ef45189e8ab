import Database from 'better-sqlite3';
import { z } from 'zod';
import { decodeVector, encodeVector, identityHash } from './internal/embedding-vectors.js';
import { parseOptions } from './internal/options.js';

/** One vector to store. */
export interface EmbeddingCacheRecord {
  /** The cache key (a hash of identity, input type and text). */
  key: string;
  /** `embedderIdentityKey()` of the embedder that produced the vector. */
  identityKey: string;
  vector: readonly number[];
}

/**
 * Where an embedding cache keeps vectors. Keys already include the embedder's identity, so one
 * store can serve many embedders without mixing them.
 */
export interface EmbeddingCacheStore {
  /** The vectors stored under `keys`, `undefined` where there is none, in the same order. */
  getMany(keys: readonly string[]): Array<number[] | undefined> | Promise<Array<number[] | undefined>>;
  putMany(records: readonly EmbeddingCacheRecord[]): void | Promise<void>;
  /** Entries stored for one identity key, or for all. */
  count(identityKey?: string): number | Promise<number>;
  close?(): void | Promise<void>;
}

const memoryStoreOptionsSchema = z.strictObject({
  /** Most vectors kept; the least recently used go first. @default 100_000 */
  maxEntries: z.number().int().positive().optional(),
});

/** Options of {@link createMemoryEmbeddingStore}. */
export type MemoryEmbeddingStoreOptions = z.input<typeof memoryStoreOptionsSchema>;

/** An in-process LRU {@link EmbeddingCacheStore} (lost when the process ends). */
export function createMemoryEmbeddingStore(options: MemoryEmbeddingStoreOptions = {}): EmbeddingCacheStore {
  const parsed = parseOptions(memoryStoreOptionsSchema, options, 'createMemoryEmbeddingStore');
  const maxEntries = parsed.maxEntries ?? 100_000;
  const entries = new Map<string, { identityKey: string; vector: number[] }>();
  return {
    getMany(keys) {
      return keys.map((key) => {
        const hit = entries.get(key);
        if (!hit) return undefined;
        entries.delete(key);
        entries.set(key, hit);
        // A copy, so a caller that changes its vector cannot change the cache.
        return hit.vector.slice();
      });
    },
    putMany(records) {
      for (const r of records) {
        entries.delete(r.key);
        entries.set(r.key, { identityKey: r.identityKey, vector: [...r.vector] });
      }
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    count(identityKey) {
      if (identityKey === undefined) return entries.size;
      let n = 0;
      for (const e of entries.values()) if (e.identityKey === identityKey) n++;
      return n;
    },
  };
}

const sqliteStoreOptionsSchema = z.strictObject({
  /** Database file (may be the ledger's file); `:memory:` for tests. */
  path: z.string().min(1),
  /**
   * `float64` returns exactly the vectors the backend sent; `float32` halves the disk space and
   * rounds each value to 32-bit (what the models compute in anyway). @default 'float64'
   */
  precision: z.enum(['float64', 'float32']).optional(),
});

/** Options of {@link openSqliteEmbeddingStore}. */
export type SqliteEmbeddingStoreOptions = z.input<typeof sqliteStoreOptionsSchema>;

/**
 * A persistent {@link EmbeddingCacheStore} in SQLite (WAL). Vectors survive restarts, so an
 * unchanged corpus re-embeds without a single backend call.
 */
export function openSqliteEmbeddingStore(options: SqliteEmbeddingStoreOptions): EmbeddingCacheStore & { close(): void } {
  const parsed = parseOptions(sqliteStoreOptionsSchema, options, 'openSqliteEmbeddingStore');
  const float32 = parsed.precision === 'float32';
  const db = new Database(parsed.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS embedding_cache (
      key TEXT PRIMARY KEY,
      identity TEXT NOT NULL,
      dims INTEGER NOT NULL,
      precision INTEGER NOT NULL,
      vector BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS embedding_cache_identity ON embedding_cache(identity);
    CREATE TABLE IF NOT EXISTS embedding_identities (
      identity TEXT PRIMARY KEY,
      identity_key TEXT NOT NULL
    ) WITHOUT ROWID;
  `);
  const get = db.prepare<[string], { precision: number; vector: Buffer }>('SELECT precision, vector FROM embedding_cache WHERE key = ?');
  const put = db.prepare('INSERT OR REPLACE INTO embedding_cache (key, identity, dims, precision, vector) VALUES (?, ?, ?, ?, ?)');
  const putIdentity = db.prepare('INSERT OR IGNORE INTO embedding_identities (identity, identity_key) VALUES (?, ?)');
  const countAll = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM embedding_cache');
  const countOne = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM embedding_cache WHERE identity = ?');
  const putAll = db.transaction((records: readonly EmbeddingCacheRecord[]) => {
    const seen = new Set<string>();
    for (const r of records) {
      const identity = identityHash(r.identityKey);
      if (!seen.has(identity)) {
        putIdentity.run(identity, r.identityKey);
        seen.add(identity);
      }
      const precision = float32 ? 4 : 8;
      put.run(r.key, identity, r.vector.length, precision, encodeVector(r.vector, precision));
    }
  });
  return {
    getMany(keys) {
      return keys.map((key) => {
        const row = get.get(key);
        return row ? decodeVector(row.vector, row.precision) : undefined;
      });
    },
    putMany(records) {
      if (records.length) putAll(records);
    },
    count(identityKey) {
      return (identityKey === undefined ? countAll.get() : countOne.get(identityHash(identityKey)))?.n ?? 0;
    },
    close() {
      if (db.open) db.close();
    },
  };
}
