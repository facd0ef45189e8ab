import { createServer } from 'node:net';
import { AuthenticationError, BackendUnreachableError, BadInputError } from '@ragbridge/core-interfaces';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { connectionError } from './internal/database-errors.js';
import { openPostgresStore, PostgresStoreError } from './index.js';
import { rawClient, randomSchemaName, requireDatabaseUrl, skipPostgres } from './__fixtures__/test-database.js';

const PASSWORD = 'hunter2-very-secret';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

function expectNoSecret(error: unknown): void {
  const e = error as Error & { endpoint?: string };
  for (const text of [e.message, e.stack ?? '', e.endpoint ?? '', JSON.stringify(e)]) expect(text).not.toContain(PASSWORD);
}

describe('options', () => {
  it.each([
    [{ url: 'postgres://localhost/db', schema: 'Bad-Name' }, 'schema: must be a lower-case identifier'],
    [{ url: 'postgres://localhost/db', schema: 'pg_toast' }, 'schema: must not start with pg_'],
    [{ schema: 'ok' }, 'give exactly one of url or pool'],
    [{ url: 'postgres://localhost/db', pool: new pg.Pool() }, 'give exactly one of url or pool'],
    [{ url: 'mysql://localhost/db' }, 'url: must be a postgres:// or postgresql:// URL'],
    [{ url: 'postgres://localhost/db', efSearch: 0 }, 'efSearch'],
    [{ url: 'postgres://localhost/db', colour: 'blue' }, 'colour'],
  ])('%j is refused: %s', async (options, problem) => {
    const error = await openPostgresStore(options as never).catch((e: unknown) => e);
    expect(BadInputError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('Invalid openPostgresStore options');
    expect((error as Error).message).toContain(problem);
  });

  it('never shows the URL (and its password) in an options error', async () => {
    const error = await openPostgresStore({ url: `postgres://app:${PASSWORD}@localhost/db`, schema: 'Bad' }).catch((e: unknown) => e);
    expect(BadInputError.isInstance(error)).toBe(true);
    expectNoSecret(error);
  });
});

describe('connection errors', () => {
  it('a refused port is BackendUnreachableError naming the server, without the password', async () => {
    const port = await closedPort();
    const error = await openPostgresStore({ url: `postgres://app:${PASSWORD}@127.0.0.1:${port}/ragbridge` }).catch((e: unknown) => e);
    expect(BackendUnreachableError.isInstance(error)).toBe(true);
    expect((error as BackendUnreachableError).isRetryable).toBe(true);
    expect((error as Error).message).toContain('Could not connect to PostgreSQL (ECONNREFUSED)');
    expect((error as Error).message).toContain(`127.0.0.1:${port}/ragbridge`);
    expect((error as Error).message).toContain('Check that PostgreSQL is running');
    expectNoSecret(error);
  });

  it('a refused login (SQLSTATE 28P01) is AuthenticationError, a missing database (3D000) PostgresStoreError', () => {
    const target = { backend: 'postgres', endpoint: 'postgres://db.example:5432/rag' } as const;
    const refused = Object.assign(new pg.DatabaseError('password authentication failed for user "app"', 0, 'error'), { code: '28P01' });
    const error = connectionError(refused, target);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('PostgreSQL refused the login: password authentication failed for user "app"');
    const missing = connectionError(Object.assign(new pg.DatabaseError('database "rag" does not exist', 0, 'error'), { code: '3D000' }), target);
    expect(PostgresStoreError.isInstance(missing)).toBe(true);
    expect((missing as Error).message).toContain('PostgreSQL has no such database: database "rag" does not exist [postgres at postgres://db.example:5432/rag]');
  });
});

describe.skipIf(skipPostgres)('a database without pgvector', () => {
  it('says pgvector is not installed, without the password', async (context) => {
    const admin = await rawClient();
    const { rows } = await admin.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
    if (!rows[0]?.rolsuper) {
      await admin.end();
      context.skip('needs a superuser DATABASE_URL to make a database and a user without pgvector');
    }
    const name = randomSchemaName('nopgvector');
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.query(`CREATE ROLE ${name} LOGIN PASSWORD '${PASSWORD}'`);
    await admin.query(`GRANT CREATE ON DATABASE ${name} TO ${name}`);
    try {
      // The same server, a database where vector was never created, a user who may not create it.
      const url = new URL(requireDatabaseUrl());
      url.username = name;
      url.password = PASSWORD;
      url.pathname = `/${name}`;
      const error = await openPostgresStore({ url: url.toString() }).catch((e: unknown) => e);
      expect(PostgresStoreError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/^pgvector is not installed in this database: permission denied to create extension "vector"/);
      expect((error as Error).message).toContain('ask the database owner to run CREATE EXTENSION vector');
      expectNoSecret(error);
      const off = await openPostgresStore({ url: url.toString(), migrate: false }).catch((e: unknown) => e);
      expect((off as Error).message).toMatch(/^pgvector is not installed in this database/);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS ${name}`);
      await admin.end();
    }
  });
});
