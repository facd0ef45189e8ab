// @ragbridge/caches/postgres: the embedding cache's store in PostgreSQL, shared by every process
// on one schema. Needs @ragbridge/postgres-connection (an optional peer, which brings `pg`).
export type { PostgresEmbeddingStore, PostgresEmbeddingStoreOptions } from './postgres-embedding-store.js';
export { openPostgresEmbeddingStore } from './postgres-embedding-store.js';
export type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from '@ragbridge/postgres-connection';
