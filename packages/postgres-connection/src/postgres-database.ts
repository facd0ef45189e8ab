import pg from 'pg';
import type { PostgresConnectionOptions } from './postgres-connection-options.js';
import { postgresConnectionError, postgresTarget, registerUrlPassword, type PostgresTarget } from './postgres-errors.js';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from './postgres-pool.js';
import { inPoolTransaction } from './postgres-transactions.js';

/** A pool, the schema its tables live in, and what errors may say about it. */
export interface PostgresDatabase {
  pool: PostgresPool;
  /** The schema name, unquoted (see `quoteIdentifier`). */
  schema: string;
  /** Where the pool connects, for errors (the URL without its password). */
  target: PostgresTarget;
  /** Whether closing the state ends the pool (it was opened from `url`). */
  ownsPool: boolean;
}

/**
 * Opens a pool from `url` (its password registered as a secret), or takes the `pool` given. No
 * connection is made until the first query.
 */
export function openPostgresDatabase(options: PostgresConnectionOptions): PostgresDatabase {
  const schema = options.schema ?? 'ragbridge';
  if (options.pool) return { pool: options.pool, schema, target: postgresTarget(undefined, options.pool), ownsPool: false };
  if (options.url !== undefined) registerUrlPassword(options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  // An idle connection the server drops emits 'error' on the pool, which would otherwise end the
  // process; the next query reports the problem instead.
  pool.on('error', () => undefined);
  return { pool: pool as unknown as PostgresPool, schema, target: postgresTarget(options.url), ownsPool: true };
}

/** Runs one statement on the pool, with connection failures made clear. */
export async function query(db: PostgresDatabase, text: string, values?: unknown[]): Promise<PostgresQueryResult> {
  try {
    return await db.pool.query(text, values);
  } catch (error) {
    throw postgresConnectionError(error, db.target);
  }
}

/** Runs `work` in one transaction on one connection (see `inPoolTransaction`), with connection failures made clear. */
export async function inTransaction<T>(db: PostgresDatabase, work: (client: PostgresPoolClient) => Promise<T>): Promise<T> {
  try {
    return await inPoolTransaction(db.pool, work);
  } catch (error) {
    throw postgresConnectionError(error, db.target);
  }
}
