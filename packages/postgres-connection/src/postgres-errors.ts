import { AuthenticationError, BackendUnreachableError, BadInputError, RagbridgeError, redactUrl, registerSecret, type RagbridgeErrorOptions } from '@ragbridge/core-interfaces';

/** Where a pool connects, for error messages: the backend name and the URL without credentials. */
export interface PostgresTarget {
  backend: 'postgres';
  /** Shown redacted (no user-info, no secret-looking query values): RagbridgeError redacts it again. */
  endpoint: string;
}

/** The target of a pool opened from `url`, or of a pool given (read from its settings, when it is a `pg` Pool). */
export function postgresTarget(url: string | undefined, pool?: unknown): PostgresTarget {
  if (url !== undefined) return { backend: 'postgres', endpoint: redactUrl(url) };
  const o = (pool as { options?: { host?: string; port?: number; database?: string; connectionString?: string } } | undefined)?.options ?? {};
  if (o.connectionString) return { backend: 'postgres', endpoint: redactUrl(o.connectionString) };
  return { backend: 'postgres', endpoint: `postgres://${o.host ?? 'localhost'}:${o.port ?? 5432}/${o.database ?? ''}` };
}

/** Registers the password of a connection URL as a secret, so that no ragbridge error or log line shows it. */
export function registerUrlPassword(url: string): void {
  try {
    registerSecret(decodeURIComponent(new URL(url).password));
  } catch {
    // Not a URL pg understands either: it fails to connect, and the message shows it redacted.
  }
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOENT']);

/** The SQLSTATE of a PostgreSQL error (node-postgres puts it in `code`), if `error` is one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The system error code of a failed connection (Node puts it on the error, or on each of an AggregateError's), e.g. `ECONNREFUSED`. */
export function connectionFailureCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return code;
  const inner = (error as { errors?: unknown } | null)?.errors;
  if (Array.isArray(inner)) for (const e of inner) if (UNREACHABLE_CODES.has((e as { code?: string })?.code ?? '')) return (e as { code: string }).code;
  return undefined;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** How {@link postgresConnectionError} reports what it recognises. */
export interface PostgresConnectionErrorOptions {
  /** The error class of a database that does not exist (SQLSTATE 3D000). @default BadInputError */
  missingDatabase?: new (options: RagbridgeErrorOptions) => RagbridgeError;
}

/**
 * Maps a failure to reach or log in to PostgreSQL to the error the caller should see: the server
 * cannot be reached or takes no connections (`BackendUnreachableError`), refused the login
 * (`AuthenticationError`), has no such database (`BadInputError` unless `missingDatabase` says
 * otherwise). Messages name the server by its redacted URL, never the password. Anything else,
 * ragbridge's own errors included, is returned unchanged.
 */
export function postgresConnectionError(error: unknown, target: PostgresTarget, options: PostgresConnectionErrorOptions = {}): unknown {
  if (RagbridgeError.isInstance(error)) return error;
  const state = sqlState(error);
  // invalid_authorization_specification, invalid_password
  if (state === '28P01' || state === '28000') {
    return new AuthenticationError({
      ...target,
      cause: error,
      message: `PostgreSQL refused the login: ${messageOf(error)}`,
      hint: 'Check the user name and password in the connection URL (or PGUSER / PGPASSWORD) and that pg_hba.conf lets this host in.',
    });
  }
  if (state === '3D000') {
    const MissingDatabase = options.missingDatabase ?? BadInputError;
    return new MissingDatabase({
      ...target,
      cause: error,
      message: `PostgreSQL has no such database: ${messageOf(error)}`,
      hint: 'Create it (createdb <name>) or fix the database name at the end of the URL.',
    });
  }
  // cannot_connect_now (starting up), too_many_connections
  if (state === '57P03' || state === '53300') {
    return new BackendUnreachableError({
      ...target,
      cause: error,
      message: `PostgreSQL is not taking connections: ${messageOf(error)}`,
      hint: state === '53300' ? 'Lower maxConnections of the stores sharing this server, or raise max_connections.' : 'Retry when the server has started.',
    });
  }
  const code = connectionFailureCode(error);
  if (code !== undefined || /Connection terminated|connection timeout|timeout expired/i.test(messageOf(error))) {
    return new BackendUnreachableError({
      ...target,
      cause: error,
      message: `Could not connect to PostgreSQL (${code ?? messageOf(error)})`,
      hint: 'Check that PostgreSQL is running and that the host and port in the URL are right.',
    });
  }
  return error;
}
