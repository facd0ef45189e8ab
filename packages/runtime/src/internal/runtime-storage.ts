import type * as CachesPostgres from '@ragbridge/caches/postgres';
import type { EmbeddingCacheStore } from '@ragbridge/caches';
import { ConfigError, type PostgresStorageConfig, type RagbridgeConfig } from '@ragbridge/config-profiles';
import { redactSecrets, type DocumentStoreV2 } from '@ragbridge/core-interfaces';
import type * as CostPostgres from '@ragbridge/cost-monitor/postgres';
import type { AlertState, BudgetReservations, UsageLedger } from '@ragbridge/cost-monitor';
import type * as StorePostgres from '@ragbridge/store-postgres';
import type * as Pg from 'pg';
import { isNotInstalled } from './optional-packages.js';
import { ensureParentDir, resolveDataPath } from './runtime-config.js';
import { defaultStorageImporter, POSTGRES_INSTALL, type StorageImporter, type StoragePackage } from './storage-packages.js';

/**
 * How long opening a PostgreSQL connection may take before the call fails, in ms: a database that
 * does not answer is reported rather than waited for (the operating system's TCP timeout is minutes).
 */
const CONNECT_TIMEOUT_MS = 10_000;

/** The storage options of `createRuntime` that override the configuration. */
export interface StorageOverrides {
  /** A SQLite store file instead of the configuration's storage. */
  storePath?: string | undefined;
  /** A SQLite ledger file instead of the configuration's. */
  ledgerPath?: string | undefined;
  /** A SQLite (or `:memory:`) embedding cache instead of the configuration's. */
  embeddingCachePath?: string | undefined;
  baseDir: string;
  importer?: StorageImporter | undefined;
  /** PostgreSQL: vector spaces the store creates get their HNSW index from `buildVectorIndexes()` (bulk loads). */
  deferVectorIndex?: boolean | undefined;
  /** Where an idle connection's failure is reported. */
  warn: (message: string) => void;
}

/** Where the runtime keeps documents and cost state, opened. */
export interface RuntimeStorage {
  /** The pipeline's store: a SQLite file (the pipeline opens and closes it) or an open store. */
  store: DocumentStoreV2 | string;
  /** The usage ledger: a SQLite file (the cost monitor opens and closes it) or an open one. */
  ledger: UsageLedger | string;
  /** Budgets shared through the database; absent: the cost monitor's in-process default. */
  reservations?: BudgetReservations;
  /** Once-per-window alerts decided through the database; absent: in this process. */
  alertState?: AlertState;
  /** The embedding cache's store in the database; absent: the configuration's file or memory. */
  embeddingStore?: EmbeddingCacheStore;
  /**
   * Closes what this opened, in order: the embedding store, the cost state (after the monitor has
   * flushed: call it last), the document store, then the pool.
   */
  close(): Promise<void>;
}

/** What each part of the storage is, once overrides and the configuration are read. */
interface StoragePlan {
  postgres: PostgresStorageConfig | undefined;
  store: 'postgres' | string;
  ledger: 'postgres' | string;
  /** `postgres`, or undefined: the configuration's file, `:memory:` or memory (the embedder part decides). */
  embeddingCache: 'postgres' | undefined;
}

/**
 * Which part lives where. A file given to `createRuntime` wins, then the configuration: with
 * PostgreSQL storage the ledger and embedding cache live in the same database unless it names files.
 */
function planStorage(config: RagbridgeConfig, overrides: StorageOverrides): StoragePlan {
  const { storage } = config;
  const postgres = storage.kind === 'postgres' ? storage : undefined;
  const store = overrides.storePath ?? (storage.kind === 'sqlite' ? storage.path : 'postgres');
  const ledgerFile = overrides.ledgerPath ?? config.budgets.ledger;
  const cache = config.caches.embeddings;
  const cacheInDatabase = postgres !== undefined && cache.enabled && overrides.embeddingCachePath === undefined && cache.path === undefined;
  return {
    postgres,
    store: store === 'postgres' ? store : resolveDataPath(store, overrides.baseDir),
    // The schema leaves the ledger unset only with PostgreSQL storage.
    ledger: ledgerFile === undefined ? 'postgres' : resolveDataPath(ledgerFile, overrides.baseDir),
    embeddingCache: cacheInDatabase ? 'postgres' : undefined,
  };
}

/** Imports an optional storage package, or says which to install. */
async function importStoragePackage<T>(name: StoragePackage, importer: StorageImporter): Promise<T> {
  try {
    return (await importer(name)) as T;
  } catch (error) {
    if (!isNotInstalled(error, name)) throw error;
    throw new ConfigError({
      message: 'PostgreSQL storage cannot be opened',
      issues: [{ path: 'storage.kind', message: `postgres needs ${name}, which is not installed (${POSTGRES_INSTALL})` }],
      hint: `Install it (${POSTGRES_INSTALL}), or use SQLite storage (unset DATABASE_URL, or storage.kind: sqlite).`,
    });
  }
}

/** Runs every closer (in the order given), then throws the first failure. */
async function closeAll(closers: ReadonlyArray<() => Promise<unknown>>): Promise<void> {
  let failure: unknown;
  for (const close of closers) {
    try {
      await close();
    } catch (error) {
      failure ??= error;
    }
  }
  if (failure !== undefined) throw failure;
}

/**
 * Opens the runtime's storage. SQLite parts stay file paths (their owners open them); PostgreSQL
 * parts share one pool of `storage.maxConnections` connections: the document store
 * (`@ragbridge/store-postgres`), the ledger, budget reservations and alert state
 * (`@ragbridge/cost-monitor/postgres`) and the embedding cache (`@ragbridge/caches/postgres`),
 * each creating its tables in `storage.schema` when missing. The packages are imported only here,
 * when the configuration asks for PostgreSQL.
 */
export async function openRuntimeStorage(config: RagbridgeConfig, overrides: StorageOverrides): Promise<RuntimeStorage> {
  const plan = planStorage(config, overrides);
  for (const path of [plan.store, plan.ledger]) if (path !== 'postgres') ensureParentDir(path);
  const { postgres } = plan;
  const usesDatabase = plan.store === 'postgres' || plan.ledger === 'postgres' || plan.embeddingCache === 'postgres';
  if (!postgres || !usesDatabase) {
    return { store: plan.store, ledger: plan.ledger, close: async () => undefined };
  }
  const importer = overrides.importer ?? defaultStorageImporter;
  const storeModule = await importStoragePackage<typeof StorePostgres>('@ragbridge/store-postgres', importer);
  const pg = (await importStoragePackage<{ default: typeof Pg }>('pg', importer)).default;
  const pool = new pg.Pool({
    connectionString: postgres.url,
    max: postgres.maxConnections ?? storeModule.POSTGRES_STORE_DEFAULTS.maxConnections,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // A connection the server drops while idle emits 'error' on the pool, which would end the
  // process; the next query reconnects (or fails with a clear error), so it is only reported.
  pool.on('error', (error) => overrides.warn(`PostgreSQL: an idle connection failed (${redactSecrets(error.message)}); the next query opens a new one`));
  const schema = postgres.schema === undefined ? {} : { schema: postgres.schema };
  // Closed in this order: the cache, the cost state (the monitor has flushed by then), the store, the pool.
  const closers: Array<() => Promise<unknown>> = [];
  const opened: Partial<RuntimeStorage> = {};
  try {
    if (plan.embeddingCache === 'postgres') {
      const caches = await importStoragePackage<typeof CachesPostgres>('@ragbridge/caches/postgres', importer);
      const embeddingStore = await caches.openPostgresEmbeddingStore({ pool, ...schema });
      closers.push(() => embeddingStore.close());
      opened.embeddingStore = embeddingStore;
    }
    if (plan.ledger === 'postgres') {
      const costs = await importStoragePackage<typeof CostPostgres>('@ragbridge/cost-monitor/postgres', importer);
      const state = await costs.openPostgresCostState({ pool, ...schema });
      closers.push(() => state.close());
      Object.assign(opened, { ledger: state.ledger, reservations: state.reservations, alertState: state.alertState });
    }
    if (plan.store === 'postgres') {
      const store = await storeModule.openPostgresStore({
        pool,
        ...schema,
        ...(postgres.efSearch !== undefined && { efSearch: postgres.efSearch }),
        ...(postgres.hnsw !== undefined && { hnsw: postgres.hnsw }),
        ...(overrides.deferVectorIndex && { deferVectorIndex: true }),
      });
      closers.push(() => store.close());
      opened.store = store;
    }
  } catch (error) {
    await closeAll([...closers, () => pool.end()]).catch(() => undefined);
    throw error;
  }
  closers.push(() => pool.end());
  return {
    store: opened.store ?? plan.store,
    ledger: opened.ledger ?? plan.ledger,
    ...(opened.reservations && { reservations: opened.reservations }),
    ...(opened.alertState && { alertState: opened.alertState }),
    ...(opened.embeddingStore && { embeddingStore: opened.embeddingStore }),
    close: () => closeAll(closers),
  };
}
