// PostgreSQL plumbing of the `@ragbridge/caches/postgres` entry point, the only code that
// imports `pg` (an optional peer dependency). `@ragbridge/cost-monitor/postgres` has its own copy of
// the connection and migration parts: the two packages do not depend on each other.
import { AuthenticationError, BackendUnreachableError, BadInputError } from '@ragbridge/core-interfaces';
import pg from 'pg';
import { z } from 'zod';

/** One query's answer: the rows (pg parses `bigint` and `numeric` as strings). */
export interface PostgresQueryResult {
  rows: Array<Record<string, unknown>>;
  rowCount: number | null;
}

/** A connection taken from a {@link PostgresPool} for a transaction. */
export interface PostgresPoolClient {
  query(text: string, values?: unknown[]): Promise<PostgresQueryResult>;
  /** Returns the connection to the pool; an error destroys it instead. */
  release(error?: Error | boolean): void;
}

/** What the PostgreSQL stores use of a pool: a `pg` `Pool` fits. */
export interface PostgresPool {
  query(text: string, values?: unknown[]): Promise<PostgresQueryResult>;
  connect(): Promise<PostgresPoolClient>;
  end(): Promise<void>;
}

const isPool = (v: unknown): v is PostgresPool =>
  typeof v === 'object' && v !== null && ['query', 'connect', 'end'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function');

/** The connection options every PostgreSQL factory of this package takes. */
export const postgresConnectionShape = {
  /** A PostgreSQL URL, e.g. `process.env.DATABASE_URL` (`postgres://user:password@host:5432/database`). Give this or `pool`. */
  url: z.string().min(1).optional(),
  /** A `pg` Pool to use instead of opening one; it stays open when the state closes. Give this or `url`. */
  pool: z.custom<PostgresPool>(isPool, 'must be a pg Pool (query, connect and end)').optional(),
  /** The schema holding the tables, created if missing; replicas that share state share it. @default 'ragbridge' */
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier (letters, digits, _; at most 63)')
    .optional(),
  /** Most connections of the pool opened from `url`. @default 10 */
  maxConnections: z.number().int().positive().optional(),
  /** How long opening a connection may take before it fails, in ms. @default 10_000 */
  connectTimeoutMs: z.number().int().positive().optional(),
};

/**
 * Refinement: exactly one of `url` and `pool`, and the pool settings only with `url` (a pool that
 * is given keeps its own).
 */
export const oneConnection = (o: { url?: string | undefined; pool?: unknown; maxConnections?: number | undefined; connectTimeoutMs?: number | undefined }): boolean =>
  o.pool === undefined ? o.url !== undefined : o.url === undefined && o.maxConnections === undefined && o.connectTimeoutMs === undefined;
export const ONE_CONNECTION_MESSAGE = 'give exactly one of url and pool (maxConnections and connectTimeoutMs only with url)';

/** A pool and what errors may say about it. */
export interface PostgresDatabase {
  pool: PostgresPool;
  schema: string;
  /** The URL the pool was opened from, for errors (shown redacted), if known. */
  url: string | undefined;
  /** Whether closing the state ends the pool (it was opened from `url`). */
  ownsPool: boolean;
}

/** Opens a pool from a URL, or takes the one given. No connection is made until the first query. */
export function openDatabase(options: {
  url?: string | undefined;
  pool?: PostgresPool | undefined;
  schema?: string | undefined;
  maxConnections?: number | undefined;
  connectTimeoutMs?: number | undefined;
}): PostgresDatabase {
  const schema = options.schema ?? 'ragbridge';
  if (options.pool) return { pool: options.pool, schema, url: undefined, ownsPool: false };
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  // An idle connection the server drops emits 'error' on the pool, which would otherwise end the
  // process; the next query reports the problem instead.
  pool.on('error', () => undefined);
  return { pool: pool as unknown as PostgresPool, schema, url: options.url, ownsPool: true };
}

/** `"schema"`: a validated identifier, quoted. */
export const quoted = (identifier: string): string => `"${identifier}"`;

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', 'EPIPE']);
// invalid_authorization_specification, invalid_password
const AUTH_CODES = new Set(['28000', '28P01']);

/** The error code of a pg or socket error (an AggregateError of both address families carries it too). */
function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const inner = (error as { errors?: unknown } | null)?.errors;
  return Array.isArray(inner) ? codeOf(inner[0]) : undefined;
}

/**
 * A clear error for a failed connection: the server cannot be reached, refused the credentials,
 * or has no such database. The URL is shown without its password. Other errors pass unchanged.
 */
export function connectionError(error: unknown, db: PostgresDatabase): unknown {
  const code = codeOf(error);
  const where = { backend: 'postgres', ...(db.url !== undefined && { endpoint: db.url }), cause: error };
  const timedOut = error instanceof Error && /connection timeout|timeout expired/i.test(error.message);
  if ((code !== undefined && UNREACHABLE_CODES.has(code)) || timedOut) {
    return new BackendUnreachableError({
      ...where,
      message: `Could not connect to PostgreSQL (${code ?? 'connection timed out'})`,
      hint: 'Check that PostgreSQL is running and that the URL (DATABASE_URL) names the right host and port.',
    });
  }
  if (code !== undefined && AUTH_CODES.has(code)) {
    return new AuthenticationError({
      ...where,
      message: `PostgreSQL refused the connection: ${(error as Error).message}`,
      hint: 'Check the user name and password in the URL (DATABASE_URL), and that pg_hba.conf lets this host in.',
    });
  }
  if (code === '3D000') {
    return new BadInputError({
      ...where,
      message: `PostgreSQL has no such database: ${(error as Error).message}`,
      hint: 'Create the database (createdb) or fix its name in the URL (DATABASE_URL).',
    });
  }
  return error;
}

/** Runs `work` in one transaction on one connection, rolling back if it throws. */
export async function inTransaction<T>(db: PostgresDatabase, work: (client: PostgresPoolClient) => Promise<T>): Promise<T> {
  let client: PostgresPoolClient;
  try {
    client = await db.pool.connect();
  } catch (error) {
    throw connectionError(error, db);
  }
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    // A connection that failed mid-transaction may be broken: drop it rather than reuse it.
    client.release(error instanceof Error ? error : true);
    throw connectionError(error, db);
  }
}

/** Runs one statement on the pool, with connection failures made clear. */
export async function query(db: PostgresDatabase, text: string, values?: unknown[]): Promise<PostgresQueryResult> {
  try {
    return await db.pool.query(text, values);
  } catch (error) {
    throw connectionError(error, db);
  }
}

/**
 * Brings `component`'s tables in `db.schema` to the newest of `steps` (step `i` takes version `i`
 * to `i + 1`; `{schema}` stands for the quoted schema). Runs in one transaction under an advisory
 * lock, so replicas starting together migrate once. The lock and the version table
 * (`ragbridge_schema_versions`, one row per component) are the same in `@ragbridge/cost-monitor/postgres`,
 * so both may migrate one schema at the same time.
 */
export async function migrate(db: PostgresDatabase, component: string, steps: readonly string[]): Promise<void> {
  const schema = quoted(db.schema);
  await inTransaction(db, async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('ragbridge.migrate'), hashtext($1))`, [db.schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.ragbridge_schema_versions (component text PRIMARY KEY, version integer NOT NULL)`);
    const { rows } = await client.query(`SELECT version FROM ${schema}.ragbridge_schema_versions WHERE component = $1`, [component]);
    const current = Number(rows[0]?.version ?? 0);
    if (current > steps.length) {
      throw new BadInputError({
        backend: 'postgres',
        message: `The ${component} tables in schema "${db.schema}" are at version ${current}, newer than this package knows (${steps.length})`,
        hint: 'Upgrade this package to the version the other replicas run, or use another schema.',
      });
    }
    for (let version = current; version < steps.length; version++) await client.query((steps[version] as string).replaceAll('{schema}', schema));
    await client.query(
      `INSERT INTO ${schema}.ragbridge_schema_versions (component, version) VALUES ($1, $2) ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version`,
      [component, steps.length],
    );
  });
}

/** pg returns `bigint`, `numeric` and `count(*)` as strings: the number (0 for SQL NULL). */
export const num = (value: unknown): number => Number(value ?? 0);
