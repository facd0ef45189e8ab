import { describe, expect, it } from 'vitest';
import type { PostgresPoolClient } from './postgres-pool.js';
import { inPoolTransaction } from './postgres-transactions.js';

/** A pool of one recording connection; `failing` statements reject. */
function recordingPool(failing: string[] = []) {
  const sent: string[] = [];
  const released: Array<Error | boolean | undefined> = [];
  const client: PostgresPoolClient = {
    async query(text) {
      sent.push(text);
      if (failing.includes(text)) throw new Error(`${text} failed`);
      return { rows: [], rowCount: 0 };
    },
    release: (error) => void released.push(error),
  };
  return { pool: { connect: async () => client }, sent, released };
}

describe('inPoolTransaction', () => {
  it('commits what the body did and returns its result, then gives the connection back', async () => {
    const { pool, sent, released } = recordingPool();
    const result = await inPoolTransaction(pool, async (client) => {
      await client.query('INSERT 1');
      return 'done';
    });
    expect(result).toBe('done');
    expect(sent).toEqual(['BEGIN', 'INSERT 1', 'COMMIT']);
    expect(released).toEqual([undefined]);
  });

  it('rolls back when the body throws, rethrows its error unchanged, and reuses the connection', async () => {
    const { pool, sent, released } = recordingPool(['INSERT 1']);
    const error = await inPoolTransaction(pool, (client) => client.query('INSERT 1')).catch((e: unknown) => e);
    expect((error as Error).message).toBe('INSERT 1 failed');
    expect(sent).toEqual(['BEGIN', 'INSERT 1', 'ROLLBACK']);
    expect(released).toEqual([undefined]);
  });

  it('discards a connection whose ROLLBACK fails (it is broken), still rejecting with the first error', async () => {
    const { pool, released } = recordingPool(['COMMIT', 'ROLLBACK']);
    await expect(inPoolTransaction(pool, async () => 1)).rejects.toThrow('COMMIT failed');
    expect(released).toHaveLength(1);
    expect((released[0] as Error).message).toBe('ROLLBACK failed');
  });
});
