import { migrate, ONE_CONNECTION_MESSAGE, oneConnection, openPostgresDatabase, postgresConnectionShape, query, quoteIdentifier, toNumber } from '@ragbridge/postgres-connection';
import { z } from 'zod';
import type { EmbeddingCacheStore } from '../embedding-store.js';
import { decodeVector, encodeVector, identityHash, type VectorPrecision } from '../internal/embedding-vectors.js';
import { parseOptions } from '../internal/options.js';

/** The cache's tables, one migration step per version. */
const EMBEDDING_CACHE_MIGRATIONS: readonly string[] = [
  `
CREATE TABLE {schema}.embedding_cache (
  key text PRIMARY KEY,
  identity text NOT NULL,
  dims integer NOT NULL,
  precision smallint NOT NULL,
  vector bytea NOT NULL
);
CREATE INDEX embedding_cache_identity ON {schema}.embedding_cache (identity);
CREATE TABLE {schema}.embedding_identities (
  identity text PRIMARY KEY,
  identity_key text NOT NULL
);
`,
];

const postgresEmbeddingStoreOptionsSchema = z
  .strictObject({
    ...postgresConnectionShape,
    /**
     * `float64` returns exactly the vectors the backend sent; `float32` halves the space and rounds
     * each value to 32-bit (what the models compute in anyway). @default 'float64'
     */
    precision: z.enum(['float64', 'float32']).optional(),
  })
  .refine(oneConnection, ONE_CONNECTION_MESSAGE);

/** Options of {@link openPostgresEmbeddingStore}. */
export type PostgresEmbeddingStoreOptions = z.input<typeof postgresEmbeddingStoreOptionsSchema>;

/** An {@link EmbeddingCacheStore} in PostgreSQL; its methods answer in promises. */
export interface PostgresEmbeddingStore extends EmbeddingCacheStore {
  getMany(keys: readonly string[]): Promise<Array<number[] | undefined>>;
  putMany(records: Parameters<EmbeddingCacheStore['putMany']>[0]): Promise<void>;
  count(identityKey?: string): Promise<number>;
  /** The schema holding the tables. */
  readonly schema: string;
  /** Closes the connections (unless the pool was given). */
  close(): Promise<void>;
}

/**
 * Opens (creating or migrating its tables, under an advisory lock) an embedding cache store in a
 * PostgreSQL schema that every replica shares: a vector one process embedded is a hit for all.
 * `getMany` is one query; `putMany` one upsert. Connection failures reject with
 * `BackendUnreachableError`, refused credentials with `AuthenticationError`, a missing database with
 * `BadInputError`; their messages show the URL without its password.
 */
export async function openPostgresEmbeddingStore(options: PostgresEmbeddingStoreOptions): Promise<PostgresEmbeddingStore> {
  const parsed = parseOptions(postgresEmbeddingStoreOptionsSchema, options, 'openPostgresEmbeddingStore');
  const precision: VectorPrecision = parsed.precision === 'float32' ? 4 : 8;
  const db = openPostgresDatabase(parsed);
  try {
    await migrate(db, 'caches', EMBEDDING_CACHE_MIGRATIONS);
  } catch (error) {
    if (db.ownsPool) await db.pool.end().catch(() => undefined);
    throw error;
  }
  const schema = quoteIdentifier(db.schema);
  // The identities new to the table, then the vectors, in one statement.
  const upsert = `
    WITH identities AS (
      INSERT INTO ${schema}.embedding_identities (identity, identity_key)
      SELECT * FROM unnest($1::text[], $2::text[])
      ON CONFLICT (identity) DO NOTHING
    )
    INSERT INTO ${schema}.embedding_cache (key, identity, dims, precision, vector)
    SELECT * FROM unnest($3::text[], $4::text[], $5::integer[], $6::smallint[], $7::bytea[])
    ON CONFLICT (key) DO UPDATE SET identity = EXCLUDED.identity, dims = EXCLUDED.dims, precision = EXCLUDED.precision, vector = EXCLUDED.vector`;
  return {
    schema: db.schema,
    async getMany(keys) {
      if (keys.length === 0) return [];
      const { rows } = await query(db, `SELECT key, precision, vector FROM ${schema}.embedding_cache WHERE key = ANY($1::text[])`, [[...new Set(keys)]]);
      const found = new Map(rows.map((r) => [String(r.key), decodeVector(r.vector as Buffer, toNumber(r.precision))]));
      // A key asked twice gets a copy the second time: a caller that changes one vector changes no other.
      const given = new Set<string>();
      return keys.map((key) => {
        const vector = found.get(key);
        if (!vector || !given.has(key)) return given.add(key) && vector;
        return vector.slice();
      });
    },
    async putMany(records) {
      if (records.length === 0) return;
      // One row per key (the last record wins), in key order: two replicas upserting overlapping
      // batches lock rows in the same order and cannot deadlock.
      const byKey = new Map(records.map((r) => [r.key, r]));
      const rows = [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const identities = new Map(rows.map((r) => [identityHash(r.identityKey), r.identityKey]));
      await query(db, upsert, [
        [...identities.keys()],
        [...identities.values()],
        rows.map((r) => r.key),
        rows.map((r) => identityHash(r.identityKey)),
        rows.map((r) => r.vector.length),
        rows.map(() => precision),
        rows.map((r) => encodeVector(r.vector, precision)),
      ]);
    },
    async count(identityKey) {
      const { rows } =
        identityKey === undefined
          ? await query(db, `SELECT COUNT(*) AS n FROM ${schema}.embedding_cache`)
          : await query(db, `SELECT COUNT(*) AS n FROM ${schema}.embedding_cache WHERE identity = $1`, [identityHash(identityKey)]);
      return toNumber(rows[0]?.n);
    },
    async close() {
      if (db.ownsPool) await db.pool.end();
    },
  };
}
