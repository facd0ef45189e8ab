export type { PostgresStore } from './postgres-store.js';
export type { VectorIndexState } from './internal/vector-spaces.js';
export { openPostgresStore } from './postgres-store.js';
export type { PostgresPool, PostgresStoreOptions } from './postgres-store-options.js';
export { POSTGRES_STORE_DEFAULTS } from './postgres-store-options.js';
export { PostgresStoreError } from './postgres-store-errors.js';
