import { createEmbeddingCache, createMemoryEmbeddingStore, createResponseCache } from '@ragbridge/caches';
import { BadInputError, BudgetExceededError, type EmbedderV1 } from '@ragbridge/core-interfaces';
import { createMockEmbedder, createMockReranker } from '@ragbridge/core-interfaces/testing';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createScriptedChatModel, ManualClock, usageOf } from '../__fixtures__/test-models.js';
import { openSqliteLedger } from '../ledger/sqlite-ledger.js';
import type { CostAlert } from './alerts.js';
import { createCostMonitor, type CostMonitorOptions } from './cost-monitor.js';

// $1 per million input tokens and $1000 per million output tokens on backend "paid".
const PRICES = {
  table: false as const,
  overrides: [
    { backend: 'paid', modelId: 'm', inputPerMillion: 1, outputPerMillion: 1000 },
    { backend: 'mock', modelId: 'mock-embed', inputPerMillion: 100 },
  ],
};
const ASK = { messages: [{ role: 'user' as const, content: 'How many registers?' }] };

/** An embedding cache in front of a monitored embedder, its hits recorded by the monitor (as the runtime composes them). */
const cachedEmbedder = (monitor: Awaited<ReturnType<typeof setup>>['monitor'], inner: EmbedderV1): EmbedderV1 =>
  createEmbeddingCache(monitor.wrapEmbedder(inner), { store: createMemoryEmbeddingStore(), onHit: (usage) => monitor.record(usage) });

async function setup(options: Partial<CostMonitorOptions> = {}) {
  const clock = new ManualClock();
  const ledger = openSqliteLedger({ path: ':memory:' });
  const monitor = await createCostMonitor({ ledger, prices: PRICES, clock, ...options });
  const alerts: CostAlert[] = [];
  monitor.onAlert((a) => alerts.push(a));
  return { clock, ledger, monitor, alerts };
}

describe('createCostMonitor: recording', () => {
  it('records and prices a generate call', async () => {
    const { monitor, ledger, clock } = await setup();
    const result = await monitor.wrapChat(createScriptedChatModel({ inputTokens: 1000, outputTokens: 5, provider: 'groq' })).generate(ASK);
    const expected = 1000 / 1e6 + 5 * 1000 / 1e6;
    expect(result.usage.costUsd).toBeCloseTo(expected, 12);
    const [row] = ledger.query();
    expect(row).toMatchObject({ backend: 'paid', modelId: 'm', provider: 'groq', operation: 'chat', status: 'ok', priceState: 'priced', at: clock.time, inputTokens: 1000, outputTokens: 5, streamed: false });
    expect(row?.costUsd).toBeCloseTo(expected, 12);
  });

  it('records a stream from the usage of its finish part', async () => {
    const { monitor, ledger } = await setup();
    const parts = [];
    for await (const part of monitor.wrapChat(createScriptedChatModel({ outputTokens: 7 })).stream(ASK)) parts.push(part);
    const finish = parts.at(-1);
    expect(finish).toMatchObject({ type: 'finish', usage: { streamed: true, outputTokens: 7 } });
    expect(finish?.type === 'finish' && finish.usage.costUsd).toBeCloseTo(7 * 1000 / 1e6 + 10 / 1e6, 12);
    expect(ledger.query()).toMatchObject([{ streamed: true, status: 'ok', outputTokens: 7, tokensEstimated: false }]);
  });

  it('records a stream the caller stops reading, with estimated tokens, instead of losing it', async () => {
    const { monitor, ledger } = await setup({ budgets: [{ window: 'day', limitUsd: 1, mode: 'block' }] });
    for await (const part of monitor.wrapChat(createScriptedChatModel()).stream(ASK)) {
      expect(part.type).toBe('text-delta');
      break;
    }
    const [row] = ledger.query();
    expect(row).toMatchObject({ status: 'aborted', streamed: true, tokensEstimated: true, priceState: 'priced' });
    expect(row?.outputTokens).toBeGreaterThan(0);
    expect(row?.costUsd).toBeGreaterThan(0);
    expect(monitor.budgets()[0]).toMatchObject({ inFlight: 0, reservedUsd: 0 });
    expect(monitor.budgets()[0]).toMatchObject({ unit: 'usd', spentUsd: row?.costUsd });
  });

  it('records failed and aborted calls and rethrows their errors unchanged', async () => {
    const { monitor, ledger } = await setup();
    const inner = createScriptedChatModel();
    const model = monitor.wrapChat(inner);
    inner.failing = true;
    await expect(model.generate(ASK)).rejects.toMatchObject({ name: 'ServerError', statusCode: 500 });
    await expect((async () => {
      for await (const _ of model.stream(ASK)) void _;
    })()).rejects.toMatchObject({ name: 'ServerError' });
    inner.failing = false;
    const controller = new AbortController();
    await expect((async () => {
      for await (const _ of model.stream({ ...ASK, abortSignal: controller.signal })) controller.abort();
    })()).rejects.toMatchObject({ name: 'AbortError' });
    expect(ledger.query().map((r) => [r.status, r.errorName])).toEqual([
      ['error', 'ServerError'],
      ['error', 'ServerError'],
      ['aborted', 'AbortError'],
    ]);
  });

  it('reports an unknown price as null, with one alert per model, and never as $0', async () => {
    const { monitor, ledger, alerts } = await setup();
    const mystery = monitor.wrapChat(createScriptedChatModel({ modelId: 'org/mystery', provider: 'novita' }));
    const first = await mystery.generate(ASK);
    await mystery.generate(ASK);
    expect(first.usage.costUsd).toBeNull();
    expect(ledger.query().map((r) => r.priceState)).toEqual(['unknown', 'unknown']);
    const unknown = alerts.filter((a) => a.kind === 'unknown-price');
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toMatchObject({ backend: 'paid', modelId: 'org/mystery', provider: 'novita' });
    expect(unknown[0]?.message).toMatch(/not priced/);
    const summary = await monitor.summary();
    expect(summary.unpriced).toEqual({ calls: 2, models: [{ backend: 'paid', modelId: 'org/mystery', provider: 'novita', calls: 2 }] });
    expect(summary.costUsd).toBe(0);
  });

  it('records embeddings and reranking, and sets the configured fallback step', async () => {
    const { monitor, ledger } = await setup();
    const embedder = monitor.wrapEmbedder(createMockEmbedder(), { fallbackStep: 1 });
    const { usage } = await embedder.embed({ texts: ['one two three four'] });
    expect(usage).toMatchObject({ operation: 'embed', fallbackStep: 1, items: 1 });
    expect(usage.costUsd).toBeCloseTo((usage.inputTokens * 100) / 1e6, 12);
    await monitor.wrapReranker(createMockReranker()).rerank({ query: 'registers', texts: ['a', 'b'] });
    await embedder.embed({ texts: [] });
    expect(ledger.query().map((r) => [r.operation, r.priceState, r.fallbackStep])).toEqual([
      ['embed', 'priced', 1],
      ['rerank', 'unknown', 0],
    ]);
  });

  it('records embedding cache hits as free and serves them even when the budget is spent', async () => {
    const { monitor, ledger } = await setup({ budgets: [{ window: 'day', limitUsd: 0.0000001, mode: 'block' }] });
    const inner = createMockEmbedder();
    const embedder = cachedEmbedder(monitor, inner);
    await embedder.embed({ texts: ['the first text to embed'] });
    expect(monitor.budgets()[0]?.exhausted).toBe(true);
    const hit = await embedder.embed({ texts: ['the first text to embed'] });
    expect(hit.usage).toMatchObject({ cacheHit: true, costUsd: 0 });
    await expect(embedder.embed({ texts: ['the first text to embed', 'a new text'] })).rejects.toSatisfy((e) => BudgetExceededError.isInstance(e));
    expect(inner.requests).toHaveLength(1);
    expect(ledger.query().map((r) => [r.status, r.cacheHit, r.priceState, r.items])).toEqual([
      ['ok', false, 'priced', 1],
      ['ok', true, 'cached', 1],
      ['blocked', false, 'priced', 0],
    ]);
  });

  it('serves answers from a response cache in front of the monitored model', async () => {
    const { monitor, ledger } = await setup();
    const inner = createScriptedChatModel();
    const chat = createResponseCache(monitor.wrapChat(inner), { ttlMs: 60_000, onHit: (usage) => monitor.record(usage) });
    await chat.generate(ASK);
    const again = await chat.generate(ASK);
    expect(again.usage.cacheHit).toBe(true);
    expect(inner.started).toBe(1);
    expect(ledger.query().map((r) => r.cacheHit)).toEqual([false, true]);
  });

  it('rejects unknown options', async () => {
    await expect(createCostMonitor({ ledger: ':memory:', budget: [] } as never)).rejects.toSatisfy((e) => BadInputError.isInstance(e));
    await expect(
      createCostMonitor({ ledger: ':memory:', budgets: [{ window: 'week', limitUsd: 1, mode: 'block' }] } as never),
    ).rejects.toSatisfy((e) => BadInputError.isInstance(e) && /budgets\.0\.window/.test((e as Error).message));
  });
});

describe('createCostMonitor: summary and metrics', () => {
  it('summarizes cost and calls per query, cache hit rates, fallback and error rates, and latency', async () => {
    const { monitor, clock } = await setup();
    const primary = createScriptedChatModel({ inputTokens: 0, outputTokens: 10 });
    const chat = monitor.wrapChat(primary);
    const fallback = monitor.wrapChat(createScriptedChatModel({ backend: 'ollama', modelId: 'llama3.2:3b' }), { fallbackStep: 1 });
    const embedder = cachedEmbedder(monitor, createMockEmbedder());

    await monitor.trackQuery(async () => {
      await embedder.embed({ texts: ['q1'], inputType: 'query' });
      await chat.generate(ASK);
    });
    await monitor.trackQuery(async () => {
      await embedder.embed({ texts: ['q1'], inputType: 'query' });
      primary.failing = true;
      await chat.generate(ASK).catch(() => undefined);
      await fallback.generate(ASK);
    });
    await expect(monitor.trackQuery(async () => Promise.reject(new Error('pipeline failed')))).rejects.toThrow('pipeline failed');
    // Ingestion outside any query: the second call finds "doc b" in the cache.
    await embedder.embed({ texts: ['doc a', 'doc b'] });
    await embedder.embed({ texts: ['doc b', 'doc c'] });
    clock.advance(1);

    const s = await monitor.summary();
    expect(s.priceTable).toBeNull();
    expect(s.calls).toEqual({ total: 8, backend: 6, ok: 5, errors: 1, blocked: 0, aborted: 0, cacheHits: 2 });
    // Chat: 10 output tokens at $1000/M; embeddings: 7 estimated tokens at $100/M; ollama is free.
    expect(s.costUsd).toBeCloseTo(0.01 + 700 / 1e6, 12);
    expect(s.queries.count).toBe(3);
    expect(s.queries.errors).toBe(1);
    // Query calls: embed + chat, then chat (failed) + fallback (the second embed was a cache hit).
    expect(s.queries.modelCallsPerQuery).toBeCloseTo(4 / 3, 12);
    expect(s.queries.costPerQueryUsd).toBeCloseTo((0.01 + 100 / 1e6) / 3, 12);
    expect(s.cache.embeddings).toEqual({ hits: 2, misses: 4, hitRate: 2 / 6 });
    expect(s.cache.responses).toEqual({ hits: 0, misses: 2, hitRate: 0 });
    expect(s.fallbackRate).toBeCloseTo(1 / 5, 12);
    expect(s.errorRate).toBeCloseTo(1 / 6, 12);
    expect(s.latencyMs.all.count).toBe(5);
    expect(s.latencyMs.chat.count).toBe(2);
    expect(s.latencyMs.embed.count).toBe(3);
    expect(s.latencyMs.rerank).toEqual({ count: 0, p50: null, p95: null, p99: null });
    expect(s.queries.latencyMs.count).toBe(2);
    expect(s.byBackend.map((b) => b.backend)).toEqual(['paid', 'mock', 'ollama']);
    // A window before the calls is empty.
    expect((await monitor.summary({ from: 0, to: 1 })).calls.total).toBe(0);
  });

  it('exposes Prometheus metrics', async () => {
    const registry = new Registry();
    const { monitor } = await setup({ metrics: { registry, prefix: 'rb_' }, budgets: [{ window: 'month', limitUsd: 5, mode: 'downgrade' }] });
    const chat = monitor.wrapChat(createScriptedChatModel({ inputTokens: 0, outputTokens: 10 }));
    await chat.generate(ASK);
    await chat.generate(ASK);
    await monitor.trackQuery(async () => chat.generate(ASK));
    monitor.record(usageOf({ backend: 'paid', modelId: 'm', cacheHit: true, items: 1 }));
    const text = await monitor.metrics();
    expect(monitor.registry).toBe(registry);
    expect(text).toContain('rb_model_calls_total{backend="paid",model="m",operation="chat",status="ok",cache_hit="false"} 3');
    expect(text).toContain('rb_model_calls_total{backend="paid",model="m",operation="chat",status="ok",cache_hit="true"} 1');
    expect(text).toMatch(/rb_model_cost_usd_total\{backend="paid",model="m",operation="chat"\} 0\.03/);
    expect(text).toContain('rb_model_tokens_total{backend="paid",model="m",direction="output"} 30');
    expect(text).toContain('rb_cache_items_total{operation="chat",result="hit"} 1');
    expect(text).toContain('rb_model_call_duration_seconds_count{backend="paid",operation="chat"} 3');
    expect(text).toContain('rb_queries_total{status="ok"} 1');
    expect(text).toContain('rb_budget_limit_usd{budget="month"} 5');
    expect(text).toMatch(/rb_budget_spent_usd\{budget="month"\} 0\.03/);
    expect(text).toContain('rb_budget_exhausted{budget="month"} 0');
    const off = await createCostMonitor({ ledger: openSqliteLedger({ path: ':memory:' }), metrics: false });
    expect(await off.metrics()).toBe('');
  });

  it('opens and closes its own SQLite ledger from a path', async () => {
    const monitor = await createCostMonitor({ ledger: ':memory:', prices: PRICES });
    await monitor.wrapChat(createScriptedChatModel()).generate(ASK);
    expect(await monitor.ledger.totals()).toMatchObject({ calls: 1 });
    await monitor.close();
  });
});
