import { AuthenticationError, BackendUnreachableError, BadInputError, RagbridgeError, redactSecrets } from '@ragbridge/core-interfaces';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { postgresConnectionError, postgresTarget, registerUrlPassword } from './postgres-errors.js';

const PASSWORD = 'hunter2-very-secret';
const target = postgresTarget(`postgres://app:${PASSWORD}@db.example:5432/rag`);

function expectNoSecret(error: unknown): void {
  const e = error as Error & { endpoint?: string };
  for (const text of [e.message, e.stack ?? '', e.endpoint ?? '', JSON.stringify(e)]) expect(text).not.toContain(PASSWORD);
}

const databaseError = (message: string, code: string) => Object.assign(new pg.DatabaseError(message, 0, 'error'), { code });

describe('postgresTarget', () => {
  it('names the server of a URL without user and password', () => {
    expect(target).toEqual({ backend: 'postgres', endpoint: 'postgres://db.example:5432/rag' });
  });

  it('names the server of a pg Pool given instead, from its settings', () => {
    const fromUrl = new pg.Pool({ connectionString: `postgres://app:${PASSWORD}@db.example:6543/lent` });
    expect(postgresTarget(undefined, fromUrl).endpoint).toBe('postgres://db.example:6543/lent');
    const fromFields = new pg.Pool({ host: 'db.internal', port: 5433, database: 'docs', password: PASSWORD });
    expect(postgresTarget(undefined, fromFields).endpoint).toBe('postgres://db.internal:5433/docs');
    expect(postgresTarget(undefined, { query: () => undefined }).endpoint).toBe('postgres://localhost:5432/');
  });
});

describe('postgresConnectionError', () => {
  it('a refused login (SQLSTATE 28P01) is an AuthenticationError naming the server, without the password', () => {
    const error = postgresConnectionError(databaseError('password authentication failed for user "app"', '28P01'), target);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('PostgreSQL refused the login: password authentication failed for user "app"');
    expect((error as Error).message).toContain('db.example:5432/rag');
    expectNoSecret(error);
  });

  it('a missing database (3D000) is a BadInputError, or the class the caller names', () => {
    const missing = databaseError('database "rag" does not exist', '3D000');
    const error = postgresConnectionError(missing, target);
    expect(BadInputError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/^PostgreSQL has no such database: database "rag" does not exist/);
    class StoreError extends RagbridgeError {
      static override readonly errorName: string = 'StoreError';
    }
    expect(StoreError.isInstance(postgresConnectionError(missing, target, { missingDatabase: StoreError }))).toBe(true);
  });

  it('a server that cannot be reached, or takes no connections, is a retryable BackendUnreachableError', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    // Node tries both address families of `localhost` and reports an AggregateError of both.
    const both = new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:1'), { code: 'ECONNREFUSED' }), refused]);
    for (const [failure, text] of [
      [refused, 'Could not connect to PostgreSQL (ECONNREFUSED)'],
      [both, 'Could not connect to PostgreSQL (ECONNREFUSED)'],
      [new Error('Connection terminated due to connection timeout'), 'Could not connect to PostgreSQL (Connection terminated due to connection timeout)'],
      [new Error('timeout expired'), 'Could not connect to PostgreSQL (timeout expired)'],
      [databaseError('sorry, too many clients already', '53300'), 'PostgreSQL is not taking connections: sorry, too many clients already'],
      [databaseError('the database system is starting up', '57P03'), 'PostgreSQL is not taking connections: the database system is starting up'],
    ] as const) {
      const error = postgresConnectionError(failure, target);
      expect(BackendUnreachableError.isInstance(error), text).toBe(true);
      expect((error as BackendUnreachableError).isRetryable).toBe(true);
      expect((error as Error).message).toContain(text);
      expect((error as Error & { cause?: unknown }).cause).toBe(failure);
      expectNoSecret(error);
    }
  });

  it('returns other errors unchanged: SQL errors, and errors ragbridge already made', () => {
    const duplicate = databaseError('duplicate key value violates unique constraint', '23505');
    expect(postgresConnectionError(duplicate, target)).toBe(duplicate);
    const own = new BadInputError({ message: 'tables newer than this package' });
    expect(postgresConnectionError(own, target)).toBe(own);
  });
});

describe('registerUrlPassword', () => {
  it('keeps the password out of any text ragbridge redacts, such as a driver message quoting it', () => {
    const password = 'pw/only-in-this-test-81f3';
    const text = `the driver said: ${password} is wrong`;
    expect(redactSecrets(text)).toContain(password);
    registerUrlPassword(`postgres://app:${encodeURIComponent(password)}@db.example/rag`);
    expect(redactSecrets(text)).toBe('the driver said: [redacted] is wrong');
    expect(() => registerUrlPassword('not a url')).not.toThrow();
  });
});
