import { errorFromException } from '@ragbridge/core-interfaces';
import type pg from 'pg';
import type { DatabaseTarget } from './database-errors.js';

/**
 * Runs `body` on a pooled connection whose running statement an abort of `signal` cancels
 * (pg_cancel_backend from another connection); the call then rejects with the signal's reason
 * (a `TimeoutError` reason as RequestTimeoutError). A transaction `body` left open is rolled back.
 */
export async function runCancellable<T>(pool: pg.Pool, signal: AbortSignal | undefined, target: DatabaseTarget, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let cancelling: Promise<unknown> | undefined;
  const pid = (client as unknown as { processID?: number }).processID;
  const onAbort = (): void => {
    if (pid !== undefined) cancelling = pool.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  let broken: Error | undefined;
  try {
    if (signal?.aborted) throw signal.reason;
    return await body(client);
  } catch (error) {
    // The cancel must land before the connection is reused, or it could stop another statement.
    await cancelling;
    await client.query('ROLLBACK').catch((e: unknown) => {
      broken = e instanceof Error ? e : new Error(String(e));
    });
    throw errorFromException(error, target, signal, () => error as never);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await cancelling;
    client.release(broken);
  }
}
