import { BudgetExceededError, type UsageEvent } from '@ragbridge/core-interfaces';
import { createMockEmbedder, createMockReranker } from '@ragbridge/core-interfaces/testing';
import { describe, expect, it } from 'vitest';
import { createScriptedChatModel, ManualClock, usageOf } from '../__fixtures__/test-models.js';
import { openSqliteLedger, type SqliteLedger } from '../ledger/sqlite-ledger.js';
import type { CostAlert } from './alerts.js';
import { createCostMonitor, type CostMonitorOptions } from './cost-monitor.js';

// Budgets see every priced call kind: chat (per token), embeddings and reranking (per request, as
// hf-inference bills them), and the hours of a dedicated endpoint that scales to zero.
const HF = 'hf-inference-providers';
const PRICES = {
  table: false as const,
  overrides: [
    { backend: HF, modelId: 'org/chat', provider: 'groq', inputPerMillion: 0, outputPerMillion: 1000 },
    { backend: HF, modelId: 'org/chat', provider: 'together', inputPerMillion: 0, outputPerMillion: 2000 },
    { backend: 'mock', modelId: 'mock-embed', perRequest: 0.001 },
    { backend: 'mock', modelId: 'mock-rerank', perRequest: 0.002 },
    // A TEI endpoint at $6 an hour that scales to zero after 10 idle minutes: $1 per idle window.
    { backend: 'hf-tei', modelId: '*', perHour: 6, scaleToZeroMinutes: 10 },
  ],
};
const ASK = { messages: [{ role: 'user' as const, content: 'How many registers?' }] };
const paidStep = (backend: string, modelId: string) => ({ index: 0, backend, modelId, local: false });

async function setup(options: Partial<CostMonitorOptions> = {}, ledger: SqliteLedger = openSqliteLedger({ path: ':memory:' }), clock = new ManualClock()) {
  const monitor = await createCostMonitor({ ledger, prices: PRICES, clock, metrics: false, ...options });
  const alerts: CostAlert[] = [];
  monitor.onAlert((a) => alerts.push(a));
  return { clock, ledger, monitor, alerts };
}

/** A TEI-like embedder: backend `hf-tei`, no tokens reported beyond the estimate. */
const teiEmbedder = () => createMockEmbedder({ backend: 'hf-tei', modelId: 'BAAI/bge-small-en-v1.5', maxBatchSize: 32 });

describe('budgets see every priced call kind', () => {
  it('chat: output tokens at the serving provider\'s price spend a budget that then blocks', async () => {
    const { monitor } = await setup({ budgets: [{ window: 'day', limitUsd: 0.01, mode: 'block' }] });
    // The router served `:fastest` with groq (x-inference-provider), so groq's price applies.
    const chat = monitor.wrapChat(createScriptedChatModel({ backend: HF, modelId: 'org/chat:fastest', outputTokens: 5, provider: 'groq' }));
    expect((await chat.generate(ASK)).usage).toMatchObject({ provider: 'groq', costUsd: 0.005 });
    await chat.generate(ASK);
    await expect(chat.generate(ASK)).rejects.toSatisfy((e) => BudgetExceededError.isInstance(e) && /daily budget "day" of \$0\.0100 is spent/.test((e as Error).message));
  });

  it('embeddings: priced per request (one per maxBatchSize texts), spending a budget that then downgrades', async () => {
    const { monitor, ledger } = await setup({ budgets: [{ window: 'day', limitUsd: 0.005, mode: 'downgrade' }] });
    const embedder = monitor.wrapEmbedder(createMockEmbedder({ maxBatchSize: 8 }));
    // 20 texts in batches of 8: three requests, $0.003.
    const { usage } = await embedder.embed({ texts: Array.from({ length: 20 }, (_, i) => `text ${i}`) });
    expect(usage.costUsd).toBeCloseTo(0.003, 12);
    expect(monitor.stepFilter(paidStep('mock', 'mock-embed'))).toBe(true);
    await embedder.embed({ texts: ['one', 'two'] });
    await embedder.embed({ texts: ['three'] });
    expect(monitor.budgets()[0]).toMatchObject({ exhausted: true });
    expect(monitor.stepFilter(paidStep('mock', 'mock-embed'))).toBe(false);
    await expect(embedder.embed({ texts: ['four'] })).rejects.toSatisfy((e) => BudgetExceededError.isInstance(e) && /stepFilter/.test((e as Error).message));
    expect(ledger.query().map((r) => [r.status, r.priceState])).toEqual([
      ['ok', 'priced'],
      ['ok', 'priced'],
      ['ok', 'priced'],
      ['blocked', 'priced'],
    ]);
  });

  it('reranking: priced per request, spending a budget that then blocks', async () => {
    const { monitor } = await setup({ budgets: [{ window: 'day', limitUsd: 0.004, mode: 'block' }] });
    const reranker = monitor.wrapReranker(createMockReranker({ maxBatchSize: 4 }));
    const passages = ['a', 'b', 'c', 'd', 'e'];
    // Five passages in batches of four: two requests, $0.004.
    expect((await reranker.rerank({ query: 'registers', texts: passages })).usage.costUsd).toBeCloseTo(0.004, 12);
    await expect(reranker.rerank({ query: 'registers', texts: passages })).rejects.toSatisfy((e) => BudgetExceededError.isInstance(e));
  });

  it('endpoint hours: each call pays the uptime it adds, and a spent budget blocks the endpoint', async () => {
    const { monitor, clock } = await setup({ budgets: [{ window: 'day', limitUsd: 1.5, mode: 'block' }] });
    const embedder = monitor.wrapEmbedder(teiEmbedder());
    // Waking the endpoint: 10 minutes of uptime at $6/h.
    expect((await embedder.embed({ texts: ['wake up'] })).usage.costUsd).toBeCloseTo(1, 12);
    clock.advance(60_000);
    // One minute later it is still up: the call pays the minute it extends the uptime by.
    expect((await embedder.embed({ texts: ['still up'] })).usage.costUsd).toBeCloseTo(0.1, 12);
    clock.advance(30 * 60_000);
    // It scaled to zero meanwhile: waking it again costs a new idle window, which spends the budget.
    expect((await embedder.embed({ texts: ['wake up again'] })).usage.costUsd).toBeCloseTo(1, 12);
    const status = monitor.budgets()[0];
    expect(status?.unit === 'usd' && status.spentUsd).toBeCloseTo(2.1, 12);
    // A minute on, keeping it up would cost another $0.10: refused. (The window already paid for is not refunded.)
    clock.advance(60_000);
    await expect(embedder.embed({ texts: ['one more'] })).rejects.toSatisfy((e) => BudgetExceededError.isInstance(e));
    expect(monitor.stepFilter(paidStep('hf-tei', 'BAAI/bge-small-en-v1.5'))).toBe(true); // block, not downgrade
  });

  it('endpoint hours continue after a restart: a call to an endpoint still up is not charged a new window', async () => {
    const ledger = openSqliteLedger({ path: ':memory:' });
    const clock = new ManualClock();
    const first = await setup({}, ledger, clock);
    await first.monitor.wrapEmbedder(teiEmbedder()).embed({ texts: ['wake up'] });
    clock.advance(2 * 60_000);
    const second = await setup({}, ledger, clock);
    expect((await second.monitor.wrapEmbedder(teiEmbedder()).embed({ texts: ['after restart'] })).usage.costUsd).toBeCloseTo(0.2, 12);
  });

  it('a provider outside the table is charged the highest price listed for the model, counted by budgets, with one alert', async () => {
    const { monitor, alerts, ledger } = await setup({ budgets: [{ window: 'day', limitUsd: 0.02, mode: 'block' }] });
    const chat = monitor.wrapChat(createScriptedChatModel({ backend: HF, modelId: 'org/chat', outputTokens: 5, provider: 'nebius' }));
    expect((await chat.generate(ASK)).usage.costUsd).toBeCloseTo(0.01, 12);
    await chat.generate(ASK);
    await expect(chat.generate(ASK)).rejects.toSatisfy((e) => BudgetExceededError.isInstance(e));
    expect(alerts.filter((a) => a.kind === 'estimated-price')).toEqual([
      expect.objectContaining({ backend: HF, modelId: 'org/chat', provider: 'nebius', message: expect.stringMatching(/no price for provider "nebius": charged at the highest price/) }),
    ]);
    expect(ledger.query({ status: 'ok' }).map((r) => r.priceState)).toEqual(['estimated', 'estimated']);
    const summary = await monitor.summary();
    expect(summary.estimated).toEqual({ calls: 2, models: [{ backend: HF, modelId: 'org/chat', provider: 'nebius', calls: 2 }] });
    expect(summary.unpriced.calls).toBe(0);
  });
});

describe('token budgets', () => {
  it('count input and output tokens of every call, local ones included, and a block budget refuses local calls too', async () => {
    const { monitor, alerts } = await setup({ budgets: [{ window: 'day', limitTokens: 40, mode: 'block' }] });
    const local = monitor.wrapChat(createScriptedChatModel({ backend: 'ollama', modelId: 'llama3.2:3b', inputTokens: 10, outputTokens: 5 }));
    await local.generate(ASK);
    await local.generate(ASK);
    expect(monitor.budgets()[0]).toMatchObject({ unit: 'tokens', limitTokens: 40, spentTokens: 30, exhausted: false });
    // The next call reserves its prompt and maxTokens: 3 + 10 would pass 40 only after this one.
    await local.generate({ ...ASK, maxTokens: 5 });
    await expect(local.generate(ASK)).rejects.toSatisfy((e) => BudgetExceededError.isInstance(e) && /of 40 tokens is spent \(45 tokens spent/.test((e as Error).message));
    expect(alerts.map((a) => a.kind)).toEqual(['budget-exhausted']);
    expect(alerts[0]?.message).toMatch(/model calls are blocked/);
  });

  it('a downgrade token budget turns paid steps off and lets local ones go on', async () => {
    const { monitor } = await setup({ budgets: [{ window: 'day', limitTokens: 10, mode: 'downgrade' }] });
    const paid = monitor.wrapChat(createScriptedChatModel({ backend: HF, modelId: 'org/chat', provider: 'groq', inputTokens: 10, outputTokens: 5 }));
    await paid.generate(ASK);
    expect(monitor.stepFilter(paidStep(HF, 'org/chat'))).toBe(false);
    const local = monitor.wrapChat(createScriptedChatModel({ backend: 'ollama', modelId: 'llama3.2:3b' }));
    await expect(local.generate(ASK)).resolves.toBeDefined();
  });
});

describe('per-caller budgets', () => {
  it('count only the calls made for their caller, which the ledger records, and continue after a restart', async () => {
    const ledger = openSqliteLedger({ path: ':memory:' });
    const clock = new ManualClock();
    const budgets = [
      { window: 'day' as const, limitUsd: 0.01, mode: 'block' as const, caller: 'alice' },
      { window: 'day' as const, limitTokens: 1_000_000, mode: 'block' as const, caller: 'bob' },
    ];
    const { monitor } = await setup({ budgets }, ledger, clock);
    expect(monitor.budgets().map((b) => b.id)).toEqual(['day@alice', 'day@bob']);
    const chat = monitor.wrapChat(createScriptedChatModel({ backend: HF, modelId: 'org/chat', provider: 'groq', outputTokens: 10 }));
    await monitor.asCaller('alice', () => monitor.trackQuery(() => chat.generate(ASK)));
    await expect(monitor.asCaller('alice', () => chat.generate(ASK))).rejects.toSatisfy((e) => BudgetExceededError.isInstance(e));
    // Bob and calls made for no one go on.
    await monitor.asCaller('bob', () => chat.generate(ASK));
    await chat.generate(ASK);
    expect(ledger.query().map((r) => [r.caller ?? '-', r.status])).toEqual([
      ['alice', 'ok'],
      ['alice', 'blocked'],
      ['bob', 'ok'],
      ['-', 'ok'],
    ]);
    expect(ledger.totals({ caller: 'alice' }).costUsd).toBeCloseTo(0.01, 12);

    const restarted = await setup({ budgets }, ledger, clock);
    expect(restarted.monitor.budgets()[0]).toMatchObject({ caller: 'alice', spentUsd: 0.01, exhausted: true });
    expect(restarted.monitor.budgets()[1]).toMatchObject({ caller: 'bob', spentTokens: 20 });
  });
});

describe('alerts go to a log as well', () => {
  it('writes budget-restored as info and the others as warnings', async () => {
    const lines: string[] = [];
    const log = { warn: (m: string) => lines.push(`warn ${m}`), info: (m: string) => lines.push(`info ${m}`) };
    const { monitor, clock } = await setup({ budgets: [{ window: 'day', limitUsd: 0.001, mode: 'block' }], alerts: { log } });
    monitor.record(usageOf({ backend: HF, modelId: 'org/chat', provider: 'groq', outputTokens: 5 }) as UsageEvent);
    clock.advance(86_400_000);
    monitor.budgets();
    expect(lines).toEqual([expect.stringMatching(/^warn The daily budget "day" of \$0\.001000 is spent \(\$0\.005000\)/), expect.stringMatching(/^info The daily budget "day" has reset/)]);
  });
});
