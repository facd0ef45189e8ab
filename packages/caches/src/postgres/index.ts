// @ragbridge/caches/postgres: the embedding cache's store in PostgreSQL, shared by every process
// on one schema. Needs the `pg` package (an optional peer).
export type { PostgresEmbeddingStore, PostgresEmbeddingStoreOptions } from './postgres-embedding-store.js';
export { openPostgresEmbeddingStore } from './postgres-embedding-store.js';
export type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from '../internal/postgres-connection.js';
