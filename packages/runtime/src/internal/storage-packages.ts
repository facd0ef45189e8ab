/**
 * The packages PostgreSQL storage needs, optional peer dependencies of the runtime: imported with
 * `import()` only when the configuration's `storage.kind` is `postgres`, so a SQLite install never
 * loads (or needs) them. The cost monitor's and the caches' PostgreSQL parts are subpaths of
 * packages the runtime depends on; they import `@ragbridge/postgres-connection` (their optional
 * peer, which `@ragbridge/store-postgres` brings with it), and the runtime opens the one `pg` pool
 * they all share.
 */
export type StoragePackage = '@ragbridge/store-postgres' | 'pg' | '@ragbridge/cost-monitor/postgres' | '@ragbridge/caches/postgres';

/** Imports a storage package by name (the default is Node's own `import()`). */
export type StorageImporter = (name: StoragePackage) => Promise<unknown>;

/** The packages to install for PostgreSQL storage, as one command names them. */
export const POSTGRES_INSTALL = 'npm install @ragbridge/store-postgres pg';

/** Node's import of a name kept in a variable, so bundlers and Nx do not take it for a static dependency. */
export const defaultStorageImporter: StorageImporter = (name) => import(name);
