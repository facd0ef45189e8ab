import { BadInputError } from '@ragbridge/core-interfaces';
import { describePostgres } from '@ragbridge/testkit/postgres';
import { afterAll, expect, it } from 'vitest';
import { openPostgresDatabase, type PostgresDatabase } from './postgres-database.js';
import { migrate } from './postgres-migrations.js';

// Each step fails if it runs twice (no IF NOT EXISTS), so a step applied again shows.
const NOTES_V1 = [`CREATE TABLE {schema}.notes (id integer PRIMARY KEY)`];
const NOTES_V2 = [...NOTES_V1, `ALTER TABLE {schema}.notes ADD COLUMN body text NOT NULL DEFAULT ''`];
const TAGS_V1 = [`CREATE TABLE {schema}.tags (name text PRIMARY KEY)`];

describePostgres('migrate on PostgreSQL', ({ url, schema, admin }) => {
  const opened: PostgresDatabase[] = [];
  const schemas: string[] = [];
  /** A database handle on a fresh schema (dropped after the block), or on `name`. */
  const open = (name?: string): PostgresDatabase => {
    if (name === undefined) schemas.push((name = `${schema}_${schemas.length}`));
    const db = openPostgresDatabase({ url, schema: name, maxConnections: 2 });
    opened.push(db);
    return db;
  };
  afterAll(async () => {
    await Promise.all(opened.map((db) => db.pool.end()));
    for (const name of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  });
  const versions = async (db: PostgresDatabase) =>
    (await admin.query(`SELECT component, version FROM "${db.schema}".ragbridge_schema_versions ORDER BY component`)).rows;
  const columns = async (db: PostgresDatabase, table: string) =>
    (await admin.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`, [db.schema, table])).rows.map((r) => r.column_name);

  it('creates the schema and tables, records the version, and running it again changes nothing', async () => {
    const db = open();
    await migrate(db, 'notes', NOTES_V1);
    await admin.query(`INSERT INTO "${db.schema}".notes VALUES (7)`);
    await migrate(db, 'notes', NOTES_V1);
    expect(await versions(db)).toEqual([{ component: 'notes', version: 1 }]);
    expect((await admin.query(`SELECT id FROM "${db.schema}".notes`)).rows).toEqual([{ id: 7 }]);
  });

  it('applies only the steps past the recorded version', async () => {
    const db = open();
    await migrate(db, 'notes', NOTES_V1);
    await migrate(db, 'notes', NOTES_V2);
    expect(await versions(db)).toEqual([{ component: 'notes', version: 2 }]);
    expect(await columns(db, 'notes')).toEqual(['id', 'body']);
  });

  it('replicas starting together migrate once, and two components may share the schema at the same time', async () => {
    const first = open();
    const replicas = [first, ...[1, 2, 3, 4].map(() => open(first.schema))];
    await Promise.all([...replicas.map((db) => migrate(db, 'notes', NOTES_V2)), ...replicas.map((db) => migrate(db, 'tags', TAGS_V1))]);
    expect(await versions(first)).toEqual([
      { component: 'notes', version: 2 },
      { component: 'tags', version: 1 },
    ]);
    expect(await columns(first, 'notes')).toEqual(['id', 'body']);
    expect(await columns(first, 'tags')).toEqual(['name']);
  });

  it('refuses tables newer than the steps it knows, and changes nothing', async () => {
    const db = open();
    await migrate(db, 'notes', NOTES_V2);
    const error = await migrate(db, 'notes', NOTES_V1).catch((e: unknown) => e);
    expect(BadInputError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(`The notes tables in schema "${db.schema}" are at version 2, newer than this package knows (1)`);
    expect(await versions(db)).toEqual([{ component: 'notes', version: 2 }]);
  });

  it('a failing step leaves nothing behind: no schema, no table, no version', async () => {
    const db = open();
    await expect(migrate(db, 'notes', [...NOTES_V1, 'ALTER TABLE {schema}.missing ADD COLUMN x integer'])).rejects.toThrow(/missing/);
    expect((await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [db.schema])).rowCount).toBe(0);
  });
});
