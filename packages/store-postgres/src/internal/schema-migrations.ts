import { quoteIdentifier } from '@ragbridge/postgres-connection';
import type pg from 'pg';
import { PostgresStoreError } from '../postgres-store-errors.js';
import { type DatabaseTarget, pgvectorMissing } from './database-errors.js';
import { lockKey, type StoreTables } from './sql-names.js';
import { inTransaction } from './transactions.js';

/** One step of the schema, applied once, in order, in the migration transaction. */
interface Migration {
  version: number;
  description: string;
  statements(t: StoreTables): string[];
}

/**
 * The schema's history. A published migration is never edited: a change is a new entry. Each
 * vector space's table (`vectors_<id>`, `vector(<dims>)` with its HNSW index) is created by the
 * first `putVectors` of its embedder identity, when the dimensions are known.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'documents, chunks with their tsvector, incremental term statistics, vector spaces',
    statements: (t) => [
      // One row: the counts BM25 needs and the change counter, updated by every write's transaction.
      `CREATE TABLE ${t.collection} (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        store_id uuid NOT NULL DEFAULT gen_random_uuid(),
        revision bigint NOT NULL DEFAULT 0,
        documents bigint NOT NULL DEFAULT 0,
        chunks bigint NOT NULL DEFAULT 0,
        chunk_terms bigint NOT NULL DEFAULT 0,
        document_terms bigint NOT NULL DEFAULT 0
      )`,
      `INSERT INTO ${t.collection} DEFAULT VALUES`,
      `CREATE TABLE ${t.documents} (
        id text PRIMARY KEY,
        source text NOT NULL UNIQUE,
        name text NOT NULL,
        title text,
        media_type text NOT NULL,
        content_hash text NOT NULL,
        page_count integer NOT NULL,
        byte_size bigint NOT NULL,
        ingested_at bigint NOT NULL,
        terms text NOT NULL,
        term_count integer NOT NULL,
        tsv tsvector NOT NULL
      )`,
      `CREATE INDEX documents_tsv ON ${t.documents} USING gin (tsv)`,
      `CREATE TABLE ${t.chunks} (
        pk bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        doc_id text NOT NULL REFERENCES ${t.documents} (id) ON DELETE CASCADE,
        ord integer NOT NULL,
        text text NOT NULL,
        page integer NOT NULL,
        page_end integer NOT NULL,
        page_label text NOT NULL,
        section_path jsonb NOT NULL,
        section_title text,
        section_anchor text,
        char_start integer NOT NULL,
        char_end integer NOT NULL,
        terms text NOT NULL,
        heading_terms text NOT NULL,
        term_count integer NOT NULL,
        tsv tsvector NOT NULL
      )`,
      // Keyword search reads tsv in every matching row, then the terms of the chosen ones: both
      // kept in the row, uncompressed up to 4 kB rows (only the text goes to TOAST before them).
      // Measured at 100k chunks: reading a TOASTed tsv took ~3× as long, TOASTed terms ~2×.
      `ALTER TABLE ${t.chunks} SET (toast_tuple_target = 4080)`,
      `ALTER TABLE ${t.chunks} ALTER COLUMN tsv SET STORAGE MAIN, ALTER COLUMN terms SET STORAGE MAIN, ALTER COLUMN heading_terms SET STORAGE MAIN`,
      `CREATE INDEX chunks_doc_ord ON ${t.chunks} (doc_id, ord)`,
      `CREATE INDEX chunks_tsv ON ${t.chunks} USING gin (tsv)`,
      `CREATE TABLE ${t.chunkTermStats} (term text PRIMARY KEY, chunks integer NOT NULL)`,
      `CREATE TABLE ${t.documentTermStats} (term text PRIMARY KEY, documents integer NOT NULL)`,
      `CREATE TABLE ${t.vectorSpaces} (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        identity_key text NOT NULL UNIQUE,
        identity jsonb NOT NULL,
        dimensions integer NOT NULL,
        element_type text NOT NULL
      )`,
    ],
  },
];

/** The schema version this package writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

function newerSchema(t: StoreTables, found: number, target: DatabaseTarget): PostgresStoreError {
  return new PostgresStoreError({
    ...target,
    message: `Schema "${t.schemaName}" was migrated by a newer @ragbridge/store-postgres (schema version ${found}; this version knows up to ${SCHEMA_VERSION})`,
    hint: 'Upgrade @ragbridge/store-postgres in this application (every replica must run a version that knows the schema), or use another schema.',
  });
}

async function appliedVersion(client: pg.ClientBase, t: StoreTables): Promise<number | undefined> {
  const exists = await client.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [`${t.schema}.schema_migrations`]);
  if (!exists.rows[0]?.present) return undefined;
  const row = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${t.migrations}`);
  return row.rows[0]?.version ?? 0;
}

/** The schema pgvector's types live in; creates the extension when `create` and it is missing. */
async function vectorExtensionSchema(client: pg.ClientBase, create: boolean, target: DatabaseTarget): Promise<string> {
  const find = async (): Promise<string | undefined> =>
    (await client.query<{ schema: string }>("SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector'")).rows[0]?.schema;
  const found = await find();
  if (found !== undefined) return found;
  if (!create) return Promise.reject(pgvectorMissing(new Error('the extension "vector" is not created and migrate is false'), target));
  try {
    // Database-wide: stores of two schemas migrating at once would both try to create it.
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey('create-extension-vector')]);
    await client.query('CREATE EXTENSION IF NOT EXISTS vector');
  } catch (error) {
    throw pgvectorMissing(error, target);
  }
  const created = await find();
  if (created === undefined) throw pgvectorMissing(new Error('CREATE EXTENSION vector left no extension'), target);
  return created;
}

/** What opening found: the schema version and where pgvector lives. */
export interface MigrationResult {
  version: number;
  /** Migrations this call applied (0 when the schema was current). */
  applied: number;
  /** The quoted schema of pgvector's types and operators. */
  vectorSchema: string;
}

/**
 * Brings the store's schema to {@link SCHEMA_VERSION} in one transaction under an advisory lock on
 * the schema name, so replicas starting at once migrate once (the others wait, then find it
 * current). Refuses a schema migrated by a newer version. With `migrate` false only checks.
 */
export async function migrateSchema(pool: pg.Pool, t: StoreTables, migrate: boolean, target: DatabaseTarget): Promise<MigrationResult> {
  return inTransaction(pool, async (client) => {
    if (migrate) await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey('migrate', t.schemaName)]);
    const vectorSchema = quoteIdentifier(await vectorExtensionSchema(client, migrate, target));
    const current = await appliedVersion(client, t);
    if (current !== undefined && current > SCHEMA_VERSION) throw newerSchema(t, current, target);
    if (current === SCHEMA_VERSION) return { version: current, applied: 0, vectorSchema };
    if (!migrate) {
      throw new PostgresStoreError({
        ...target,
        message: `Schema "${t.schemaName}" is ${current === undefined ? 'not a ragbridge store' : `at version ${current}`}, and this version of @ragbridge/store-postgres needs ${SCHEMA_VERSION}`,
        hint: 'Open it once with migrate: true (the default) to create or upgrade its tables.',
      });
    }
    const schemaExists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [t.schemaName]);
    if (schemaExists.rowCount === 0) await client.query(`CREATE SCHEMA ${t.schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${t.migrations} (
      version integer PRIMARY KEY,
      description text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const pending = MIGRATIONS.filter((m) => m.version > (current ?? 0));
    for (const migration of pending) {
      for (const statement of migration.statements(t)) await client.query(statement);
      await client.query(`INSERT INTO ${t.migrations} (version, description) VALUES ($1, $2)`, [migration.version, migration.description]);
    }
    return { version: SCHEMA_VERSION, applied: pending.length, vectorSchema };
  });
}
