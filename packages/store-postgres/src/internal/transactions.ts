import { inPoolTransaction } from '@ragbridge/postgres-connection';
import type pg from 'pg';

/**
 * Runs `body` in a transaction on one pooled connection: COMMIT when it resolves, ROLLBACK when it
 * throws. A connection whose ROLLBACK fails is broken and is discarded, not returned to the pool.
 */
export function inTransaction<T>(pool: pg.Pool, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return inPoolTransaction<T, pg.PoolClient>(pool, body);
}
