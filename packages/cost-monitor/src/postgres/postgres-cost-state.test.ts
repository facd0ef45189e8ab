import { BackendUnreachableError, BadInputError } from '@ragbridge/core-interfaces';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { closedPort, describePostgres } from '@ragbridge/testkit/postgres';
import { openPostgresCostState } from './postgres-cost-state.js';

describe('openPostgresCostState options', () => {
  it('rejects unknown options, a bad schema name, and giving both or neither of url and pool', async () => {
    await expect(openPostgresCostState({ url: 'postgres://h/db', shema: 'x' } as never)).rejects.toThrow(BadInputError);
    await expect(openPostgresCostState({ url: 'postgres://h/db', schema: 'Robert"; DROP TABLE x' })).rejects.toThrow(/schema: must be a lower-case SQL identifier/);
    await expect(openPostgresCostState({})).rejects.toThrow(/exactly one of url and pool/);
    const pool = { query: async () => ({ rows: [], rowCount: 0 }), connect: async () => ({}) as never, end: async () => undefined };
    await expect(openPostgresCostState({ pool, maxConnections: 3 })).rejects.toThrow(/maxConnections and connectTimeoutMs only with url/);
  });

  it('a refused connection is a BackendUnreachableError naming the host without the password', async () => {
    const url = `postgres://ragbridge:s3cret-pass@127.0.0.1:${await closedPort()}/ragbridge`;
    const error = await openPostgresCostState({ url }).catch((e: unknown) => e);
    expect(BackendUnreachableError.isInstance(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toMatch(/Could not connect to PostgreSQL \(ECONNREFUSED\)/);
    expect(message).toContain('127.0.0.1:');
    expect(message).toContain('Check that PostgreSQL is running');
    expect(message).not.toContain('s3cret-pass');
    expect((error as BackendUnreachableError).endpoint).not.toContain('s3cret-pass');
  });
});

describePostgres('openPostgresCostState on PostgreSQL', ({ url, schema, admin }) => {
  it('creates its tables once when replicas start together, and records the version', async () => {
    const states = await Promise.all([1, 2, 3].map(() => openPostgresCostState({ url, schema })));
    const { rows } = await admin.query(`SELECT component, version FROM "${schema}".ragbridge_schema_versions`);
    expect(rows).toEqual([{ component: 'cost-monitor', version: 1 }]);
    const tables = await admin.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [schema]);
    expect(tables.rows.map((r) => r.table_name)).toEqual(['alerts_sent', 'budget_reservations', 'ragbridge_schema_versions', 'usage_events', 'usage_queries']);
    await Promise.all(states.map((s) => s.close()));
  });

  it('refuses tables newer than it knows', async () => {
    const newer = `${schema}_newer`;
    await (await openPostgresCostState({ url, schema: newer })).close();
    await admin.query(`UPDATE "${newer}".ragbridge_schema_versions SET version = 99 WHERE component = 'cost-monitor'`);
    await expect(openPostgresCostState({ url, schema: newer })).rejects.toThrow(/at version 99, newer than this package knows/);
    await admin.query(`DROP SCHEMA "${newer}" CASCADE`);
  });

  it('uses a pool it is given and leaves it open', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const state = await openPostgresCostState({ pool, schema });
    await state.close();
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await pool.end();
  });
});
