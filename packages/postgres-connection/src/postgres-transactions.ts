import type { PostgresPoolClient } from './postgres-pool.js';

/**
 * Runs `body` in a transaction on one pooled connection: COMMIT when it resolves, ROLLBACK when it
 * throws (the error passes unchanged). A connection whose ROLLBACK fails is broken and is
 * discarded, not returned to the pool. Generic in the client, so a `pg.Pool` hands `body` a
 * `pg.PoolClient`.
 */
export async function inPoolTransaction<T, C extends PostgresPoolClient = PostgresPoolClient>(pool: { connect(): Promise<C> }, body: (client: C) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await body(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
