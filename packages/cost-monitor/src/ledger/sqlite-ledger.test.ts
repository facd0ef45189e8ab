import { BadInputError } from '@ragbridge/core-interfaces';
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { usageOf } from '../__fixtures__/test-models.js';
import { openSqliteLedger } from './sqlite-ledger.js';
import type { LedgerEntry } from './usage-ledger.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 1);

function entry(fields: Partial<LedgerEntry> = {}): LedgerEntry {
  return { ...usageOf(fields), at: T0, status: 'ok', priceState: 'priced', costUsd: 0.01, ...fields };
}

describe('openSqliteLedger', () => {
  it('reads rows back by time window, backend, model, operation and status', () => {
    const ledger = openSqliteLedger({ path: ':memory:' });
    ledger.append([
      entry({ at: T0, backend: 'hf-inference-providers', modelId: 'a', operation: 'chat', provider: 'groq', requestId: 'r1' }),
      entry({ at: T0 + DAY, backend: 'hf-inference-providers', modelId: 'b', operation: 'embed', costUsd: null, priceState: 'unknown' }),
      entry({ at: T0 + 2 * DAY, backend: 'ollama', modelId: 'a', operation: 'chat', costUsd: 0, priceState: 'local', status: 'error', errorName: 'ServerError' }),
    ]);
    expect(ledger.query().map((e) => e.at)).toEqual([T0, T0 + DAY, T0 + 2 * DAY]);
    expect(ledger.query({ from: T0 + DAY, to: T0 + 2 * DAY }).map((e) => e.modelId)).toEqual(['b']);
    expect(ledger.query({ backend: 'ollama' }).map((e) => e.status)).toEqual(['error']);
    expect(ledger.query({ modelId: 'a' })).toHaveLength(2);
    expect(ledger.query({ operation: 'embed' })[0]?.costUsd).toBeNull();
    expect(ledger.query({ status: 'error' })[0]?.errorName).toBe('ServerError');
    expect(ledger.query({ limit: 1 }).map((e) => e.at)).toEqual([T0 + 2 * DAY]);

    const first = ledger.query()[0] as LedgerEntry;
    expect(first).toMatchObject({ provider: 'groq', requestId: 'r1', streamed: false, cacheHit: false, priceState: 'priced', status: 'ok' });
    expect(first).not.toHaveProperty('errorName');
    ledger.close();
  });

  it('sums costs, unpriced calls, cache hits and fallbacks', () => {
    const ledger = openSqliteLedger({ path: ':memory:' });
    ledger.append([
      entry({ costUsd: 0.25, inputTokens: 100, outputTokens: 10 }),
      entry({ costUsd: null, priceState: 'unknown' }),
      entry({ costUsd: 0, priceState: 'cached', cacheHit: true, items: 7, operation: 'embed' }),
      entry({ costUsd: 0.5, fallbackStep: 1 }),
      entry({ costUsd: 0, status: 'blocked', priceState: 'unknown' }),
    ]);
    const totals = ledger.totals();
    expect(totals).toMatchObject({ calls: 5, okCalls: 4, blockedCalls: 1, unpricedCalls: 1, cacheHits: 1, cachedItems: 7, fallbackCalls: 1, inputTokens: 100, outputTokens: 10 });
    expect(totals.costUsd).toBeCloseTo(0.75, 10);
    expect(ledger.totals({ from: T0 + 1 }).calls).toBe(0);
    ledger.close();
  });

  it('keeps rows across reopening the file and records tracked queries', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rb-ledger-')), 'usage.db');
    const ledger = openSqliteLedger({ path });
    ledger.append([entry({ requestId: 'kept' })]);
    ledger.appendQueries([{ id: 'q1', at: T0, latencyMs: 120, status: 'ok' }]);
    ledger.close();

    const again = openSqliteLedger({ path, synchronous: 'full' });
    expect(again.query().map((e) => e.requestId)).toEqual(['kept']);
    expect(again.queries()).toEqual([{ id: 'q1', at: T0, latencyMs: 120, status: 'ok' }]);
    expect(again.queries({ from: T0 + 1 })).toEqual([]);
    again.close();

    const reader = openSqliteLedger({ path, readonly: true });
    expect(reader.totals().calls).toBe(1);
    expect(() => reader.append([entry()])).toThrow(/read-only/);
    reader.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('adds the caller column to a ledger written before it existed, keeping its rows', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rb-ledger-')), 'usage.db');
    const old = new Database(path);
    old.exec(`CREATE TABLE usage_events (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, started_at INTEGER NOT NULL, backend TEXT NOT NULL,
      model_id TEXT NOT NULL, provider TEXT, operation TEXT NOT NULL, streamed INTEGER NOT NULL, input_tokens INTEGER NOT NULL,
      output_tokens INTEGER NOT NULL, tokens_estimated INTEGER NOT NULL, items INTEGER NOT NULL, latency_ms REAL NOT NULL, cost_usd REAL,
      price_state TEXT NOT NULL, cache_hit INTEGER NOT NULL, fallback_step INTEGER NOT NULL, request_id TEXT, status TEXT NOT NULL,
      error_name TEXT, query_id TEXT)`);
    old.prepare(`INSERT INTO usage_events (at, started_at, backend, model_id, operation, streamed, input_tokens, output_tokens, tokens_estimated,
      items, latency_ms, cost_usd, price_state, cache_hit, fallback_step, status) VALUES (?, ?, 'paid', 'm', 'chat', 0, 1, 1, 0, 1, 1, 0.5, 'priced', 0, 0, 'ok')`).run(T0, T0);
    old.close();
    const ledger = openSqliteLedger({ path });
    ledger.append([entry({ caller: 'alice', costUsd: 0.25 })]);
    expect(ledger.query().map((e) => [e.costUsd, e.caller ?? '-'])).toEqual([
      [0.5, '-'],
      [0.25, 'alice'],
    ]);
    expect(ledger.totals({ caller: 'alice' }).costUsd).toBe(0.25);
    ledger.close();
  });

  it('rejects unknown options with BadInputError', () => {
    expect(() => openSqliteLedger({ path: ':memory:', sync: 'full' } as never)).toThrow(BadInputError);
  });
});
