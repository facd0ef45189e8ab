import { AuthenticationError, BackendUnreachableError, RagbridgeError } from '@ragbridge/core-interfaces';
import { PostgresStoreError } from '../postgres-store-errors.js';

/** Where the store connects, for error messages: the backend name and the URL without credentials. */
export interface DatabaseTarget {
  backend: 'postgres';
  /** Shown redacted (no user-info, no secret-looking query values): RagbridgeError redacts it again. */
  endpoint: string;
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOENT']);

/** A PostgreSQL error (SQLSTATE in `code`), as node-postgres raises it. */
function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The system error code of a failed connection (Node puts it on the error, or on each of an AggregateError's). */
function systemCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return code;
  const inner = (error as { errors?: unknown })?.errors;
  if (Array.isArray(inner)) for (const e of inner) if (UNREACHABLE_CODES.has((e as { code?: string })?.code ?? '')) return (e as { code: string }).code;
  return undefined;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Maps a failure to reach or log in to PostgreSQL to the error the caller should see (connection
 * refused, host unknown, login refused, database missing); anything else is returned unchanged.
 * Messages name the server by its redacted URL, never the password.
 */
export function connectionError(error: unknown, target: DatabaseTarget): unknown {
  if (RagbridgeError.isInstance(error)) return error;
  const state = sqlState(error);
  if (state === '28P01' || state === '28000') {
    return new AuthenticationError({
      ...target,
      cause: error,
      message: `PostgreSQL refused the login: ${messageOf(error)}`,
      hint: 'Check the user name and password in the connection URL (or PGUSER / PGPASSWORD) and that pg_hba.conf lets this host in.',
    });
  }
  if (state === '3D000') {
    return new PostgresStoreError({
      ...target,
      cause: error,
      message: `PostgreSQL has no such database: ${messageOf(error)}`,
      hint: 'Create it (createdb <name>) or fix the database name at the end of the URL.',
    });
  }
  if (state === '57P03' || state === '53300') {
    return new BackendUnreachableError({
      ...target,
      cause: error,
      message: `PostgreSQL is not taking connections: ${messageOf(error)}`,
      hint: state === '53300' ? 'Lower maxConnections of the stores sharing this server, or raise max_connections.' : 'Retry when the server has started.',
    });
  }
  const code = systemCode(error);
  if (code !== undefined || /Connection terminated|connection timeout/i.test(messageOf(error))) {
    return new BackendUnreachableError({
      ...target,
      cause: error,
      message: `Could not connect to PostgreSQL (${code ?? messageOf(error)})`,
      hint: 'Check that PostgreSQL is running and that the host and port in the URL are right.',
    });
  }
  return error;
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
