import { postgresConnectionError, sqlState, type PostgresTarget } from '@ragbridge/postgres-connection';
import { PostgresStoreError } from '../postgres-store-errors.js';

/** Where the store connects, for error messages: the backend name and the URL without credentials. */
export type DatabaseTarget = PostgresTarget;

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Maps a failure to reach or log in to PostgreSQL to the error the caller should see (connection
 * refused, host unknown, login refused, database missing: a {@link PostgresStoreError}); anything
 * else is returned unchanged. Messages name the server by its redacted URL, never the password.
 */
export function connectionError(error: unknown, target: DatabaseTarget): unknown {
  return postgresConnectionError(error, target, { missingDatabase: PostgresStoreError });
}

/** `CREATE EXTENSION vector` failed (or the extension is missing and migrations are off). */
export function pgvectorMissing(error: unknown, target: DatabaseTarget): PostgresStoreError {
  const state = sqlState(error);
  const hint =
    state === '42501'
      ? 'pgvector is on the server, but this user may not create the extension: ask the database owner to run CREATE EXTENSION vector; in this database.'
      : 'Install pgvector on the PostgreSQL server (Debian/Ubuntu: apt install postgresql-<major>-pgvector; or build it from github.com/pgvector/pgvector), then run CREATE EXTENSION vector; in this database, or let the store create it (migrate: true).';
  return new PostgresStoreError({ ...target, cause: error, message: `pgvector is not installed in this database: ${messageOf(error)}`, hint });
}
