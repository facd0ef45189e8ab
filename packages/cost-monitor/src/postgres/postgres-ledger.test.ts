import { afterAll, beforeAll, expect, it } from 'vitest';
import { usageOf } from '../__fixtures__/test-models.js';
import type { LedgerEntry } from '../ledger/usage-ledger.js';
import { describePostgres } from '@ragbridge/testkit/postgres';
import { openPostgresCostState, type PostgresCostState } from './postgres-cost-state.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 1);

function entry(fields: Partial<LedgerEntry> = {}): LedgerEntry {
  return { ...usageOf(fields), at: T0, status: 'ok', priceState: 'priced', costUsd: 0.01, ...fields };
}

describePostgres('PostgreSQL ledger', ({ url, schema }) => {
  let a: PostgresCostState;
  let b: PostgresCostState;
  beforeAll(async () => {
    // Two replicas: each its own pool, one schema.
    [a, b] = await Promise.all([openPostgresCostState({ url, schema }), openPostgresCostState({ url, schema })]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('reads rows back by time window, backend, model, operation, status and caller, whichever replica wrote them', async () => {
    const full = entry({ at: T0, backend: 'hf-inference-providers', modelId: 'a', operation: 'chat', provider: 'groq', requestId: 'r1', caller: 'alice', inputTokens: 12, outputTokens: 3, latencyMs: 12.5 });
    await a.ledger.append([
      full,
      entry({ at: T0 + DAY, backend: 'hf-inference-providers', modelId: 'b', operation: 'embed', costUsd: null, priceState: 'unknown' }),
    ]);
    await b.ledger.append([entry({ at: T0 + 2 * DAY, backend: 'ollama', modelId: 'a', operation: 'chat', costUsd: 0, priceState: 'local', status: 'error', errorName: 'ServerError' })]);
    const ledger = b.ledger;
    expect((await ledger.query()).map((e) => e.at)).toEqual([T0, T0 + DAY, T0 + 2 * DAY]);
    expect((await ledger.query({ from: T0 + DAY, to: T0 + 2 * DAY })).map((e) => e.modelId)).toEqual(['b']);
    expect((await ledger.query({ backend: 'ollama' })).map((e) => e.status)).toEqual(['error']);
    expect(await ledger.query({ modelId: 'a' })).toHaveLength(2);
    expect((await ledger.query({ operation: 'embed' }))[0]?.costUsd).toBeNull();
    expect((await ledger.query({ status: 'error' }))[0]?.errorName).toBe('ServerError');
    expect((await ledger.query({ caller: 'alice' })).map((e) => e.requestId)).toEqual(['r1']);
    expect((await ledger.query({ limit: 1 })).map((e) => e.at)).toEqual([T0 + 2 * DAY]);

    const [first] = await a.ledger.query();
    expect(first).toEqual(full);
    expect(first).not.toHaveProperty('errorName');
  });

  it('sums costs, tokens, unpriced calls, cache hits and fallbacks in SQL', async () => {
    const at = T0 + 10 * DAY;
    await a.ledger.append([
      entry({ at, costUsd: 0.25, inputTokens: 100, outputTokens: 10 }),
      entry({ at, costUsd: null, priceState: 'unknown' }),
      entry({ at, costUsd: 0, priceState: 'cached', cacheHit: true, items: 7, operation: 'embed' }),
      entry({ at, costUsd: 0.5, fallbackStep: 1 }),
      entry({ at, costUsd: 0, status: 'blocked', priceState: 'unknown' }),
    ]);
    const totals = await b.ledger.totals({ from: at, to: at + 1 });
    expect(totals).toMatchObject({ calls: 5, okCalls: 4, blockedCalls: 1, unpricedCalls: 1, cacheHits: 1, cachedItems: 7, fallbackCalls: 1, inputTokens: 100, outputTokens: 10 });
    expect(totals.costUsd).toBeCloseTo(0.75, 10);
    expect(await b.ledger.totals({ from: at, to: at + 1, cacheHit: true })).toMatchObject({ calls: 1, items: 7 });
    expect((await b.ledger.totals({ from: at + 1, to: at + 2 })).calls).toBe(0);
  });

  it('records tracked queries (a repeated id replaces the first)', async () => {
    const at = T0 + 20 * DAY;
    await a.ledger.appendQueries([{ id: 'q1', at, latencyMs: 120, status: 'ok' }]);
    await b.ledger.appendQueries([
      { id: 'q1', at, latencyMs: 150, status: 'error' },
      { id: 'q2', at: at + 1, latencyMs: 80, status: 'ok' },
    ]);
    expect(await a.ledger.queries({ from: at })).toEqual([
      { id: 'q1', at, latencyMs: 150, status: 'error' },
      { id: 'q2', at: at + 1, latencyMs: 80, status: 'ok' },
    ]);
    expect(await a.ledger.queries({ from: at + 1, to: at + 2 })).toHaveLength(1);
  });
});
