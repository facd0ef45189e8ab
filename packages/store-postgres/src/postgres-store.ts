import type { Chunk, DocumentStoreStats, DocumentStoreV2, SourceDocument } from '@ragbridge/core-interfaces';
import { postgresTarget, registerUrlPassword } from '@ragbridge/postgres-connection';
import pg from 'pg';
import { connectionError, type DatabaseTarget } from './internal/database-errors.js';
import { CHUNK_COLUMNS, DOCUMENT_COLUMNS, toChunk, toDocument, type ChunkRow, type DocumentRow } from './internal/document-rows.js';
import { removeDocument, writeDocument } from './internal/document-writes.js';
import { keywordCandidates } from './internal/keyword-candidates.js';
import { migrateSchema, SCHEMA_VERSION } from './internal/schema-migrations.js';
import { storeTables, type StoreTables } from './internal/sql-names.js';
import { inTransaction } from './internal/transactions.js';
import { VectorSpaces, type VectorIndexState } from './internal/vector-spaces.js';
import { resolvePostgresStoreOptions, type PostgresStoreOptions } from './postgres-store-options.js';

/** A {@link DocumentStoreV2} on PostgreSQL with pgvector, shared by every process that opens the same schema. */
export interface PostgresStore extends DocumentStoreV2 {
  /** The PostgreSQL schema holding the store's tables. */
  readonly schema: string;
  /** The schema version of the tables (the latest this package knows, once opened). */
  migrationVersion(): Promise<number>;
  /** Each vector space (embedder identity): its vector count and whether its HNSW index exists. */
  vectorIndexes(): Promise<VectorIndexState[]>;
  /**
   * Builds the HNSW index of every vector space lacking one (see `deferVectorIndex`; also mends a
   * bulk load cut short), one space at a time; `onBuild` hears of each build before it starts.
   * Writes to a space wait while its index is built; searches go on. Returns the builds made.
   */
  buildVectorIndexes(options?: { onBuild?: (space: { identityKey: string; vectors: number }) => void }): Promise<Array<{ identityKey: string; vectors: number; seconds: number }>>;
}

/**
 * Opens (and unless `migrate: false`, creates or upgrades) a document store in a PostgreSQL schema.
 * Needs the pgvector extension (created when missing and the user may). With `url` the store owns
 * its pool and `close()` ends it; with `pool` it borrows yours.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const o = resolvePostgresStoreOptions(options);
  if (o.url !== undefined) registerUrlPassword(o.url);
  const owned = o.pool === undefined;
  // A lent pool is a pg.Pool (the options schema checks its methods); its type stays out of the declarations.
  const pool = (o.pool as pg.Pool | undefined) ?? new pg.Pool({ connectionString: o.url, max: o.maxConnections });
  // An idle connection the server drops (restart, admin kill) is discarded; the next query reconnects.
  if (owned) pool.on('error', () => undefined);
  const target = postgresTarget(o.url, pool);
  const t = storeTables(o.schema);
  let vectorSchema: string;
  try {
    vectorSchema = (await migrateSchema(pool, t, o.migrate, target)).vectorSchema;
  } catch (error) {
    if (owned) await pool.end().catch(() => undefined);
    throw connectionError(error, target);
  }
  return createStore(pool, owned, t, new VectorSpaces(pool, t, vectorSchema, target, o.efSearch, o.hnsw, o.deferVectorIndex), target);
}

function createStore(pool: pg.Pool, owned: boolean, t: StoreTables, vectors: VectorSpaces, target: DatabaseTarget): PostgresStore {
  const bumpRevision = async (client: pg.ClientBase): Promise<void> => {
    await client.query(`UPDATE ${t.collection} SET revision = revision + 1`);
  };
  let closed = false;
  return {
    specificationVersion: 'v2',
    schema: t.schemaName,
    async migrationVersion() {
      const { rows } = await pool.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${t.migrations}`);
      return rows[0]?.version ?? SCHEMA_VERSION;
    },
    vectorIndexes: () => vectors.indexes(),
    buildVectorIndexes: (options) => vectors.buildIndexes(options?.onBuild),
    async listDocuments(): Promise<SourceDocument[]> {
      const { rows } = await pool.query<DocumentRow>(`SELECT ${DOCUMENT_COLUMNS} FROM ${t.documents} ORDER BY name COLLATE "C", id COLLATE "C"`);
      return rows.map(toDocument);
    },
    async getDocument(id) {
      const { rows } = await pool.query<DocumentRow>(`SELECT ${DOCUMENT_COLUMNS} FROM ${t.documents} WHERE id = $1`, [id]);
      return rows[0] && toDocument(rows[0]);
    },
    async getDocumentBySource(source) {
      const { rows } = await pool.query<DocumentRow>(`SELECT ${DOCUMENT_COLUMNS} FROM ${t.documents} WHERE source = $1`, [source]);
      return rows[0] && toDocument(rows[0]);
    },
    async putDocument(record) {
      await inTransaction(pool, (client) => writeDocument(client, t, record));
    },
    async deleteDocument(id) {
      return inTransaction(pool, (client) => removeDocument(client, t, id));
    },
    async getChunks(ids): Promise<Chunk[]> {
      if (ids.length === 0) return [];
      const { rows } = await pool.query<ChunkRow>(`SELECT ${CHUNK_COLUMNS} FROM ${t.chunks} WHERE id = ANY($1)`, [[...new Set(ids)]]);
      const byId = new Map(rows.map((r) => [r.id, toChunk(r)]));
      return ids.flatMap((id) => {
        const chunk = byId.get(id);
        return chunk ? [chunk] : [];
      });
    },
    async getDocumentChunks(docId) {
      const { rows } = await pool.query<ChunkRow>(`SELECT ${CHUNK_COLUMNS} FROM ${t.chunks} WHERE doc_id = $1 ORDER BY ord`, [docId]);
      return rows.map(toChunk);
    },
    async putVectors(batch) {
      await vectors.put(batch, bumpRevision);
    },
    async chunksWithoutVectors(identity) {
      return vectors.missing(identity);
    },
    async revision() {
      const { rows } = await pool.query<{ store_id: string; revision: string }>(`SELECT store_id, revision FROM ${t.collection}`);
      const row = rows[0];
      return row ? `${row.store_id}:${row.revision}` : 'empty';
    },
    async stats(): Promise<DocumentStoreStats> {
      const { rows } = await pool.query<{ documents: string; chunks: string }>(`SELECT documents, chunks FROM ${t.collection}`);
      const counts: Record<string, number> = {};
      for (const { key, space } of await vectors.all()) {
        const { rows: n } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${vectors.tableOf(space)}`);
        if ((n[0]?.n ?? 0) > 0) counts[key] = n[0]?.n as number;
      }
      return { documents: Number(rows[0]?.documents ?? 0), chunks: Number(rows[0]?.chunks ?? 0), vectors: counts };
    },
    keywordSearch: {
      specificationVersion: 'v1',
      keywordCandidates: (query) => keywordCandidates(pool, t, query, target),
    },
    vectorSearch: {
      specificationVersion: 'v1',
      vectorCandidates: (query) => vectors.search(query),
    },
    async close() {
      if (closed) return;
      closed = true;
      if (owned) await pool.end();
    },
  };
}
