import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openPostgresStore, PostgresStoreError } from './index.js';
import { rawClient, requireDatabaseUrl, skipPostgres, testSchemas } from './__fixtures__/test-database.js';

describe.skipIf(skipPostgres)('schema migrations', () => {
  const schemas = testSchemas('migrations');

  async function migrationRows(schema: string): Promise<Array<{ version: number }>> {
    const client = await rawClient();
    try {
      return (await client.query<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`)).rows;
    } finally {
      await client.end();
    }
  }

  it('creates the schema with a version table, and opening again changes nothing', async () => {
    const schema = schemas.name();
    const first = await schemas.open({ schema });
    const version = await first.migrationVersion();
    expect(version).toBeGreaterThanOrEqual(1);
    await first.putDocument({
      document: { id: 'kept', source: '/kept', name: 'kept.txt', mediaType: 'text/plain', contentHash: 'h', pageCount: 1, byteSize: 1, ingestedAt: 1 },
      chunks: [],
      documentTerms: 'kept',
    });
    await first.close();
    const again = await schemas.open({ schema });
    expect(await again.migrationVersion()).toBe(version);
    expect((await again.listDocuments()).map((d) => d.id)).toEqual(['kept']);
    await again.close();
    expect((await migrationRows(schema)).map((r) => r.version)).toEqual(Array.from({ length: version }, (_, i) => i + 1));
  });

  it('two stores opening an empty schema at once migrate it once (advisory lock)', async () => {
    const schema = schemas.name();
    const stores = await Promise.all([1, 2, 3].map(() => schemas.open({ schema })));
    try {
      const versions = await Promise.all(stores.map((s) => s.migrationVersion()));
      expect(new Set(versions).size).toBe(1);
      expect((await migrationRows(schema)).length).toBe(versions[0]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('refuses a schema migrated by a newer version, naming both versions', async () => {
    const schema = schemas.name();
    await (await schemas.open({ schema })).close();
    const client = await rawClient();
    await client.query(`INSERT INTO "${schema}".schema_migrations (version, description) VALUES (999, 'from the future')`);
    await client.end();
    const error = await openPostgresStore({ url: requireDatabaseUrl(), schema }).catch((e: unknown) => e);
    expect(PostgresStoreError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`Schema "${schema}" was migrated by a newer @ragbridge/store-postgres \\(schema version 999; this version knows up to \\d+\\)`));
    expect((error as Error).message).toContain('Upgrade @ragbridge/store-postgres');
    const readOnly = await openPostgresStore({ url: requireDatabaseUrl(), schema, migrate: false }).catch((e: unknown) => e);
    expect(PostgresStoreError.isInstance(readOnly)).toBe(true);
  });

  it('with migrate: false, refuses a schema that holds no store (and creates nothing)', async () => {
    const schema = schemas.name();
    const error = await openPostgresStore({ url: requireDatabaseUrl(), schema, migrate: false }).catch((e: unknown) => e);
    expect(PostgresStoreError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(`Schema "${schema}" is not a ragbridge store`);
    const client = await rawClient();
    const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    await client.end();
    expect(found.rowCount).toBe(0);
    await (await schemas.open({ schema })).close();
    const opened = await openPostgresStore({ url: requireDatabaseUrl(), schema, migrate: false });
    expect(await opened.migrationVersion()).toBeGreaterThanOrEqual(1);
    await opened.close();
  });

  it('opens on a lent pg.Pool and leaves it open when closed', async () => {
    const pool = new pg.Pool({ connectionString: requireDatabaseUrl(), max: 2 });
    try {
      const store = await openPostgresStore({ pool, schema: schemas.name() });
      expect((await store.stats()).documents).toBe(0);
      await store.close();
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
    } finally {
      await pool.end();
    }
  });
});
