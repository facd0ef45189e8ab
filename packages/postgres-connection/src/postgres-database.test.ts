import { AuthenticationError, BackendUnreachableError, BadInputError } from '@ragbridge/core-interfaces';
import { closedPort, describePostgres } from '@ragbridge/testkit/postgres';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ONE_CONNECTION_MESSAGE, oneConnection, postgresConnectionShape } from './postgres-connection-options.js';
import { inTransaction, openPostgresDatabase, query } from './postgres-database.js';
import { postgresTarget } from './postgres-errors.js';
import type { PostgresPool } from './postgres-pool.js';

const schema = z.strictObject(postgresConnectionShape).refine(oneConnection, ONE_CONNECTION_MESSAGE);
const fakePool: PostgresPool = { query: async () => ({ rows: [], rowCount: 0 }), connect: async () => ({}) as never, end: async () => undefined };

describe('connection options', () => {
  it('take exactly one of url and pool, and pool settings only with url', () => {
    expect(schema.safeParse({ url: 'postgres://h/db', schema: 'docs', maxConnections: 4, connectTimeoutMs: 500 }).success).toBe(true);
    expect(schema.safeParse({ pool: fakePool }).success).toBe(true);
    for (const wrong of [{}, { url: 'postgres://h/db', pool: fakePool }, { pool: fakePool, maxConnections: 3 }, { pool: fakePool, connectTimeoutMs: 100 }]) {
      expect(schema.safeParse(wrong).error?.issues.map((i) => i.message)).toEqual([ONE_CONNECTION_MESSAGE]);
    }
  });

  it('refuse a schema that is not a plain lower-case identifier, and an object that is not a pool', () => {
    expect(schema.safeParse({ url: 'postgres://h/db', schema: 'Robert"; DROP TABLE x' }).error?.issues[0]?.message).toMatch(/lower-case SQL identifier/);
    expect(schema.safeParse({ pool: { query: () => undefined } }).error?.issues[0]?.message).toMatch(/must be a pg Pool/);
  });
});

describe('openPostgresDatabase', () => {
  it('borrows a pool given (closing is the owner’s), and names it by its settings', () => {
    const db = openPostgresDatabase({ pool: fakePool, schema: 'docs' });
    expect(db).toMatchObject({ pool: fakePool, schema: 'docs', ownsPool: false, target: { backend: 'postgres', endpoint: 'postgres://localhost:5432/' } });
  });

  it('opens (and owns) a pool from a URL, in schema ragbridge unless told, named without the password', async () => {
    const db = openPostgresDatabase({ url: 'postgres://app:s3cret-pass@db.example:5432/rag' });
    expect(db).toMatchObject({ schema: 'ragbridge', ownsPool: true, target: { endpoint: 'postgres://db.example:5432/rag' } });
    await db.pool.end();
  });

  it('a refused connection is a BackendUnreachableError naming the server without the password', async () => {
    const port = await closedPort();
    const db = openPostgresDatabase({ url: `postgres://app:s3cret-pass@127.0.0.1:${port}/rag` });
    try {
      for (const attempt of [() => query(db, 'SELECT 1'), () => inTransaction(db, async () => undefined)]) {
        const error = await attempt().catch((e: unknown) => e);
        expect(BackendUnreachableError.isInstance(error)).toBe(true);
        expect((error as Error).message).toContain(`Could not connect to PostgreSQL (ECONNREFUSED) [postgres at postgres://127.0.0.1:${port}/rag]`);
        expect(`${(error as Error).message} ${(error as Error).stack} ${(error as BackendUnreachableError).endpoint}`).not.toContain('s3cret-pass');
      }
    } finally {
      await db.pool.end();
    }
  });
});

describePostgres('a database on PostgreSQL', ({ url, schema: name, admin }) => {
  it('commits a transaction, and rolls back all of one that throws, passing its error on', async () => {
    const db = openPostgresDatabase({ url, schema: name, maxConnections: 2 });
    try {
      await query(db, `CREATE SCHEMA "${name}"`);
      await query(db, `CREATE TABLE "${name}".t (n integer PRIMARY KEY)`);
      await inTransaction(db, async (client) => {
        await client.query(`INSERT INTO "${name}".t VALUES (1), (2)`);
      });
      const error = await inTransaction(db, async (client) => {
        await client.query(`INSERT INTO "${name}".t VALUES (3)`);
        await client.query(`INSERT INTO "${name}".t VALUES (1)`);
      }).catch((e: unknown) => e);
      expect((error as { code?: string }).code).toBe('23505');
      expect((await admin.query(`SELECT n FROM "${name}".t ORDER BY n`)).rows).toEqual([{ n: 1 }, { n: 2 }]);
    } finally {
      await db.pool.end();
    }
  });

  it('uses a pg Pool it is given, as is', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const db = openPostgresDatabase({ pool: pool as unknown as PostgresPool });
    expect((await query(db, 'SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(db.target).toEqual(postgresTarget(url));
    await pool.end();
  });

  it('refused credentials are an AuthenticationError without the password; a missing database a BadInputError', async () => {
    const stranger = new URL(url);
    stranger.username = 'nobody_here';
    stranger.password = 'pw-s3cret-value';
    const refused = openPostgresDatabase({ url: stranger.toString() });
    const error = await query(refused, 'SELECT 1').catch((e: unknown) => e);
    await refused.pool.end();
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/PostgreSQL refused the login: .*"nobody_here"/);
    expect((error as Error).message).toContain(`${stranger.hostname}:${stranger.port}`);
    expect((error as Error).message).not.toContain('pw-s3cret-value');

    const nowhere = new URL(url);
    nowhere.pathname = '/no_such_database_here';
    const missing = openPostgresDatabase({ url: nowhere.toString() });
    await expect(query(missing, 'SELECT 1')).rejects.toSatisfy((e) => BadInputError.isInstance(e) && /no such database/.test((e as Error).message));
    await missing.pool.end();
  });
});
