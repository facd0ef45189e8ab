import { performance } from 'node:perf_hooks';
import type { PostgresStorageConfig } from '@ragbridge/config-profiles';
import { AuthenticationError, BackendUnreachableError, redactSecrets, redactUrl } from '@ragbridge/core-interfaces';
import { connectionFailureCode, postgresConnectionError, postgresTarget, sqlState } from '@ragbridge/postgres-connection';
import { openPostgresStore, POSTGRES_STORE_DEFAULTS, PostgresStoreError, type VectorIndexState } from '@ragbridge/store-postgres';
import pg from 'pg';

/** How long the doctor waits for the database to accept a connection, in ms. */
const CONNECT_TIMEOUT_MS = 5_000;

/** One line of the database section: ✓ works, ! works but worth knowing, ✗ does not work. */
export interface DatabaseCheck {
  mark: '✓' | '!' | '✗' | '·';
  text: string;
  fix?: string;
}

/** What the doctor found about the PostgreSQL storage; `ok` is false when commands would fail. */
export interface DatabaseReport {
  /** The database as shown: URL without user and password, and the schema. */
  where: string;
  checks: DatabaseCheck[];
  ok: boolean;
}

/**
 * Why the database could not be used, and what to do, without the URL's password. Failures are
 * told apart as the stores tell them apart (`postgresConnectionError`); the doctor adds the fix.
 */
function connectionProblem(error: unknown, url: string): DatabaseCheck {
  const message = redactSecrets(error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  const mapped = postgresConnectionError(error, postgresTarget(url));
  if (AuthenticationError.isInstance(mapped)) return { mark: '✗', text: `refused the credentials (${message})`, fix: 'check the user and password in DATABASE_URL, and pg_hba.conf' };
  if (sqlState(error) === '3D000') return { mark: '✗', text: `no such database (${message})`, fix: 'create it (createdb), or name an existing one in DATABASE_URL' };
  if (BackendUnreachableError.isInstance(mapped)) {
    const why = connectionFailureCode(error) ?? (/timeout/i.test(message) ? 'connection timed out' : message);
    return { mark: '✗', text: `not reachable (${why})`, fix: 'start PostgreSQL, or correct the host and port in DATABASE_URL (storage.url)' };
  }
  return { mark: '✗', text: `cannot be used (${message})` };
}

/** pgvector: created in the database, available to create, or not installed on the server. */
async function vectorCheck(client: pg.PoolClient): Promise<DatabaseCheck> {
  const created = await client.query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'vector'");
  if (created.rows[0]) return { mark: '✓', text: `pgvector ${created.rows[0].extversion} installed` };
  const available = await client.query<{ default_version: string }>("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'");
  if (available.rows[0]) {
    return {
      mark: '!',
      text: `pgvector ${available.rows[0].default_version} is on the server but not created in this database yet: the first ingest or ragbridge migrate creates it`,
      fix: 'if the role may not create extensions, have an administrator run CREATE EXTENSION vector; in the database',
    };
  }
  return { mark: '✗', text: 'pgvector is not installed on the server', fix: 'install pgvector (docs/postgres.md: apt install postgresql-<version>-pgvector, or the pgvector image)' };
}

/** One line per vector space: its vectors and HNSW index, or what to do when the index is missing. */
function vectorIndexCheck(space: VectorIndexState): DatabaseCheck {
  const what = `vectors of ${space.identityKey}: ${space.vectors.toLocaleString('en-US')}`;
  if (space.indexed) return { mark: '✓', text: `${what}, HNSW index` };
  return {
    mark: '!',
    text: `${what}, no HNSW index (a bulk load cut short?): every vector search compares all of them`,
    fix: 'run ragbridge migrate again (it builds missing indexes), or call buildVectorIndexes() on the store',
  };
}

/** The document store's schema version and vector indexes, opened without migrating (nothing is written), or why it cannot be used yet. */
async function schemaChecks(pool: pg.Pool, schema: string): Promise<DatabaseCheck[]> {
  try {
    const store = await openPostgresStore({ pool, schema, migrate: false });
    try {
      const version: DatabaseCheck = { mark: '✓', text: `schema ${schema}: document store at version ${await store.migrationVersion()}` };
      return [version, ...(await store.vectorIndexes()).map(vectorIndexCheck)];
    } finally {
      await store.close();
    }
  } catch (error) {
    const message = redactSecrets(error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
    // A schema that is not a store yet is created by the first write; a newer one needs an upgrade here.
    if (PostgresStoreError.isInstance(error) && !/newer/.test(message)) {
      return [{ mark: '·', text: `schema ${schema} holds no document store of this version yet: the first ingest or ragbridge migrate creates (or upgrades) its tables` }];
    }
    return [{ mark: '✗', text: message }];
  }
}

/**
 * Checks the PostgreSQL storage as the doctor reports it: the database answers (and how fast),
 * pgvector is installed, the versions of ragbridge's tables in the schema and each vector space's
 * HNSW index. Reads only; the URL is shown without user and password.
 */
export async function checkDatabase(storage: PostgresStorageConfig): Promise<DatabaseReport> {
  const schema = storage.schema ?? POSTGRES_STORE_DEFAULTS.schema;
  const where = `PostgreSQL at ${redactUrl(storage.url)}, schema ${schema}`;
  // Two connections: the checks' own, and the store's when it is opened to read its version.
  const pool = new pg.Pool({ connectionString: storage.url, max: 2, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  pool.on('error', () => undefined);
  const began = performance.now();
  try {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      return { where, checks: [connectionProblem(error, storage.url)], ok: false };
    }
    try {
      const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
      const reachable: DatabaseCheck = { mark: '✓', text: `reachable (PostgreSQL ${rows[0]?.server_version ?? 'unknown'}, ${Math.round(performance.now() - began)} ms)` };
      const vector = await vectorCheck(client);
      // Without pgvector the store cannot be opened at all: the vector line says what to do.
      const checks = [reachable, vector, ...(vector.mark === '✓' ? await schemaChecks(pool, schema) : [])];
      return { where, checks, ok: checks.every((c) => c.mark !== '✗') };
    } catch (error) {
      return { where, checks: [connectionProblem(error, storage.url)], ok: false };
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
}

/** The database section of the doctor's report. */
export function formatDatabase(report: DatabaseReport): string {
  const lines = [`Database: ${report.where}`];
  for (const check of report.checks) {
    lines.push(`  ${check.mark} ${check.text}`);
    if (check.fix) lines.push(`       fix: ${check.fix}`);
  }
  return lines.join('\n');
}
