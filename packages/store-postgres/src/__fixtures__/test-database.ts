import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';
import { openPostgresStore, type PostgresStore, type PostgresStoreOptions } from '../index.js';

/**
 * The PostgreSQL the tests use: `DATABASE_URL` (e.g. from `eval "$(bash tools/pg-cluster.sh start)"`).
 * Without it the PostgreSQL tests are skipped with a note, unless RAGBRIDGE_REQUIRE_POSTGRES=1 (CI),
 * where they fail instead.
 */
export const databaseUrl = process.env.DATABASE_URL || undefined;
const required = process.env.RAGBRIDGE_REQUIRE_POSTGRES === '1';

/** True when the PostgreSQL tests of this file should be skipped (no database, not required). */
export const skipPostgres = databaseUrl === undefined && !required;
if (skipPostgres) {
  console.warn(
    '[store-postgres] DATABASE_URL is not set: skipping the PostgreSQL tests. Start a cluster with `eval "$(bash tools/pg-cluster.sh start)"` (PostgreSQL 15 + pgvector) to run them.',
  );
}

/** DATABASE_URL, or a failure saying it is missing (when RAGBRIDGE_REQUIRE_POSTGRES=1). */
export function requireDatabaseUrl(): string {
  if (databaseUrl === undefined) {
    throw new Error('RAGBRIDGE_REQUIRE_POSTGRES=1 but DATABASE_URL is not set: start PostgreSQL (bash tools/pg-cluster.sh start) and export DATABASE_URL.');
  }
  return databaseUrl;
}

/** A schema name of this test run, not used by anyone else. */
export function randomSchemaName(label: string): string {
  return `rbtest_${label}_${randomBytes(5).toString('hex')}`;
}

/**
 * Schemas of one test file: each `open()` (or `name()`) makes a fresh random schema; all are
 * dropped after the file's tests (call at the top of a describe block).
 */
export function testSchemas(label: string) {
  const names: string[] = [];
  afterAll(async () => {
    if (names.length === 0 || databaseUrl === undefined) return;
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      for (const name of names) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    } finally {
      await client.end();
    }
  });
  return {
    /** A new schema name, dropped after the file. */
    name(): string {
      const name = randomSchemaName(label);
      names.push(name);
      return name;
    },
    /** A store in a new schema (or in `schema`, e.g. to open a second handle). */
    async open(options: Omit<PostgresStoreOptions, 'url' | 'pool'> = {}): Promise<PostgresStore> {
      const schema = options.schema ?? this.name();
      return openPostgresStore({ url: requireDatabaseUrl(), maxConnections: 4, ...options, schema });
    },
  };
}

/** A plain client on DATABASE_URL for checks behind the store's back; ended by the caller. */
export async function rawClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: requireDatabaseUrl() });
  await client.connect();
  return client;
}
