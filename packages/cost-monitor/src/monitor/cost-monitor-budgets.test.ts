import { BudgetExceededError } from '@ragbridge/core-interfaces';
import { createMockChatModel, createMockEmbedder } from '@ragbridge/core-interfaces/testing';
import { describe, expect, it } from 'vitest';
import { createScriptedChatModel, ManualClock, usageOf } from '../__fixtures__/test-models.js';
import { openSqliteLedger } from '../ledger/sqlite-ledger.js';
import type { CostAlert } from './alerts.js';
import { createCostMonitor, type CostMonitorOptions } from './cost-monitor.js';

// $0.001 per output token on backend "paid"; input tokens are free, so costs are easy to follow.
const PRICES = { table: false as const, overrides: [{ backend: 'paid', modelId: 'm', inputPerMillion: 0, outputPerMillion: 1000 }] };
const ASK = { messages: [{ role: 'user' as const, content: 'How many registers?' }] };

async function setup(options: Partial<CostMonitorOptions> = {}, clock = new ManualClock()) {
  const ledger = openSqliteLedger({ path: ':memory:' });
  const monitor = await createCostMonitor({ ledger, prices: PRICES, clock, ...options });
  const alerts: CostAlert[] = [];
  monitor.onAlert((a) => alerts.push(a));
  return { clock, ledger, monitor, alerts };
}

/** Spends `usd` on backend "paid" as if a call had just finished. */
const spend = (monitor: Awaited<ReturnType<typeof setup>>['monitor'], usd: number): void => {
  monitor.record(usageOf({ outputTokens: Math.round(usd * 1000) }));
};

describe('budgets', () => {
  it('blocks with a typed error once a daily budget is spent, and allows again the next UTC day', async () => {
    const { monitor, clock, ledger } = await setup({ budgets: [{ window: 'day', limitUsd: 0.01, mode: 'block' }] });
    clock.set('2026-01-15T23:00:00Z');
    const model = monitor.wrapChat(createScriptedChatModel({ outputTokens: 5 }));
    await model.generate(ASK);
    await model.generate(ASK);
    expect(monitor.budgets()[0]).toMatchObject({ id: 'day', spentUsd: 0.01, exhausted: true });

    const error = await model.generate(ASK).catch((e: unknown) => e);
    expect(BudgetExceededError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/daily budget "day" of \$0\.0100 is spent/);
    expect((error as Error).message).toContain('paid');
    expect(ledger.query({ status: 'blocked' })).toHaveLength(1);

    clock.set('2026-01-16T00:00:00Z');
    expect(monitor.budgets()[0]).toMatchObject({ spentUsd: 0, exhausted: false, windowStart: Date.parse('2026-01-16T00:00:00Z') });
    await expect(model.generate(ASK)).resolves.toMatchObject({ usage: { costUsd: 0.005 } });
  });

  it('setBudgets replaces the rules at run time, seeded with the spend already in the ledger', async () => {
    const { monitor, clock } = await setup({ budgets: [{ window: 'day', limitUsd: 1, mode: 'block' }] });
    clock.set('2026-01-15T10:00:00Z');
    const model = monitor.wrapChat(createScriptedChatModel({ outputTokens: 5 }));
    await model.generate(ASK); // $0.005
    expect(monitor.budgets()[0]).toMatchObject({ id: 'day', exhausted: false });
    // Lower the daily budget below what was spent today: it is exhausted at once.
    const statuses = await monitor.setBudgets([{ id: 'tight', window: 'day', limitUsd: 0.004, mode: 'block' }]);
    expect(statuses).toEqual([expect.objectContaining({ id: 'tight', spentUsd: 0.005, exhausted: true })]);
    expect(BudgetExceededError.isInstance(await model.generate(ASK).catch((e: unknown) => e))).toBe(true);
    // Invalid rules change nothing.
    await expect(monitor.setBudgets([{ window: 'year', limitUsd: 1, mode: 'block' } as never])).rejects.toThrow();
    expect(monitor.budgets().map((b) => b.id)).toEqual(['tight']);
    // No budgets: calls pass again.
    expect(await monitor.setBudgets([])).toEqual([]);
    await model.generate(ASK);
  });

  it('counts a monthly budget across days and resets it on the first of the next month', async () => {
    const { monitor, clock } = await setup({ budgets: [{ window: 'month', limitUsd: 0.02, mode: 'block' }] });
    const model = monitor.wrapChat(createScriptedChatModel({ outputTokens: 5 }));
    clock.set('2026-01-30T10:00:00Z');
    await model.generate(ASK);
    await model.generate(ASK);
    clock.set('2026-01-31T23:59:59Z');
    await model.generate(ASK);
    await model.generate(ASK);
    await expect(model.generate(ASK)).rejects.toSatisfy((e) => BudgetExceededError.isInstance(e));
    clock.set('2026-02-01T00:00:00Z');
    expect(monitor.budgets()[0]).toMatchObject({ window: 'month', spentUsd: 0, windowEnd: Date.parse('2026-03-01T00:00:00Z') });
    await expect(model.generate(ASK)).resolves.toBeDefined();
  });

  it('downgrade: the step filter turns paid steps off while the budget is spent and back on when the window resets', async () => {
    const { monitor, clock, alerts } = await setup({ budgets: [{ window: 'day', limitUsd: 0.01, mode: 'downgrade' }] });
    const paidStep = { index: 0, backend: 'paid', modelId: 'm', local: false };
    const localStep = { index: 1, backend: 'ollama', modelId: 'llama3.2:3b', local: true };
    const unmarkedLocal = { index: 2, backend: 'transformersjs', modelId: 'onnx', local: false };
    const paid = monitor.wrapChat(createScriptedChatModel({ outputTokens: 10 }));
    const local = monitor.wrapChat(createMockChatModel({ backend: 'ollama', modelId: 'llama3.2:3b' }));

    expect(monitor.stepFilter(paidStep)).toBe(true);
    await paid.generate(ASK);
    expect(monitor.stepFilter(paidStep)).toBe(false);
    expect(monitor.stepFilter(localStep)).toBe(true);
    expect(monitor.stepFilter(unmarkedLocal)).toBe(true);
    expect(alerts.map((a) => a.kind)).toEqual(['budget-exhausted']);

    // A paid call made anyway is refused with advice to use the step filter; local calls go on, at $0.
    await expect(paid.generate(ASK)).rejects.toSatisfy((e) => BudgetExceededError.isInstance(e) && /stepFilter/.test((e as Error).message));
    const answer = await local.generate(ASK);
    expect(answer.usage.costUsd).toBe(0);

    clock.advance(86_400_000);
    expect(monitor.stepFilter(paidStep)).toBe(true);
    expect(alerts.map((a) => a.kind)).toEqual(['budget-exhausted', 'budget-restored']);
    await expect(paid.generate(ASK)).resolves.toBeDefined();
  });

  it('a per-backend budget leaves other backends alone', async () => {
    const { monitor } = await setup({
      prices: { table: false, overrides: [{ modelId: 'm', inputPerMillion: 0, outputPerMillion: 1000 }] },
      budgets: [{ window: 'day', limitUsd: 0, mode: 'downgrade', backend: 'paid' }],
    });
    expect(monitor.stepFilter({ index: 0, backend: 'paid', modelId: 'm', local: false })).toBe(false);
    expect(monitor.stepFilter({ index: 0, backend: 'other-cloud', modelId: 'm', local: false })).toBe(true);
    await expect(monitor.wrapChat(createScriptedChatModel({ backend: 'paid' })).generate(ASK)).rejects.toSatisfy((e) => BudgetExceededError.isInstance(e));
    await expect(monitor.wrapChat(createScriptedChatModel({ backend: 'other-cloud' })).generate(ASK)).resolves.toBeDefined();
  });

  it('50 concurrent calls against a nearly spent budget overshoot by no more than the calls in flight', async () => {
    const { monitor, ledger } = await setup({ budgets: [{ window: 'day', limitUsd: 1, mode: 'block' }] });
    spend(monitor, 0.99);
    // Each call reserves 3 output tokens ($0.003, from maxTokens) but really costs 5 ($0.005).
    const inner = createScriptedChatModel({ outputTokens: 5 });
    const model = monitor.wrapChat(inner);
    inner.hold();
    const settled = Promise.allSettled(Array.from({ length: 50 }, () => model.generate({ ...ASK, maxTokens: 3 })));
    // Every admitted call is now waiting inside the model; release them together.
    await new Promise((resolve) => setImmediate(resolve));
    const inFlight = inner.started;
    inner.release();
    const results = await settled;

    const admitted = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected' && BudgetExceededError.isInstance(r.reason)).length;
    expect(admitted + refused).toBe(50);
    // Reservations stop admissions once spent + reserved reaches $1: 0.99 + 4 × 0.003 ≥ 1.
    expect(admitted).toBe(4);
    expect(inFlight).toBe(4);
    expect(inner.maxConcurrent).toBe(4);
    const status = monitor.budgets()[0];
    const spent = status?.unit === 'usd' ? status.spentUsd : 0;
    const overshoot = spent - 1;
    expect(overshoot).toBeGreaterThan(0);
    expect(overshoot).toBeLessThanOrEqual(inFlight * 0.005 + 1e-9);
    expect(ledger.totals({ status: 'ok' }).costUsd).toBeCloseTo(spent, 9);
    expect(ledger.totals({ status: 'blocked' }).calls).toBe(46);
    // Once spent, nothing more gets through.
    await expect(model.generate(ASK)).rejects.toSatisfy((e) => BudgetExceededError.isInstance(e));
  });

  it('two budgets with the same id keep counts of their own', async () => {
    const { monitor } = await setup({
      budgets: [
        { window: 'day', limitUsd: 0.005, mode: 'downgrade' },
        { window: 'day', limitUsd: 0.01, mode: 'block' },
      ],
    });
    await monitor.wrapChat(createScriptedChatModel({ outputTokens: 6 })).generate(ASK);
    expect(monitor.budgets()).toEqual([
      expect.objectContaining({ id: 'day', mode: 'downgrade', spentUsd: 0.006, exhausted: true }),
      expect.objectContaining({ id: 'day', mode: 'block', spentUsd: 0.006, exhausted: false }),
    ]);
  });

  it('never blocks local backends, even with a $0 budget', async () => {
    const { monitor, ledger } = await setup({ budgets: [{ window: 'day', limitUsd: 0, mode: 'block' }] });
    const local = monitor.wrapChat(createMockChatModel({ backend: 'transformersjs', modelId: 'tiny' }));
    const result = await local.generate(ASK);
    expect(result.usage.costUsd).toBe(0);
    expect(ledger.query()[0]).toMatchObject({ priceState: 'local', status: 'ok', costUsd: 0 });
    // A model on any backend can be declared local.
    const declared = monitor.wrapChat(createScriptedChatModel({ backend: 'llamafile' }), { local: true });
    await expect(declared.generate(ASK)).resolves.toMatchObject({ usage: { costUsd: 0 } });
  });

  it('never refuses free models or (with unknownPrice "allow") unpriced ones, and the step filter agrees', async () => {
    const { monitor } = await setup({
      prices: { table: false, overrides: [...PRICES.overrides, { backend: 'hf-tei', modelId: '*', inputPerMillion: 0 }] },
      budgets: [{ window: 'day', limitUsd: 0, mode: 'downgrade' }],
    });
    const step = (backend: string, modelId: string) => ({ index: 0, backend, modelId, local: false });
    expect(monitor.stepFilter(step('paid', 'm'))).toBe(false);
    expect(monitor.stepFilter(step('hf-tei', 'BAAI/bge-small-en-v1.5'))).toBe(true);
    expect(monitor.stepFilter(step('paid', 'org/unpriced'))).toBe(true);
    const free = await monitor.wrapEmbedder(createMockEmbedder({ backend: 'hf-tei' })).embed({ texts: ['free text'] });
    expect(free.usage.costUsd).toBe(0);
    await expect(monitor.wrapChat(createScriptedChatModel({ modelId: 'org/unpriced' })).generate(ASK)).resolves.toMatchObject({ usage: { costUsd: null } });
    await expect(monitor.wrapChat(createScriptedChatModel()).generate(ASK)).rejects.toSatisfy((e) => BudgetExceededError.isInstance(e));

    const strict = await setup({ prices: PRICES, budgets: [{ window: 'day', limitUsd: 0, mode: 'downgrade' }], unknownPrice: 'block' });
    expect(strict.monitor.stepFilter(step('paid', 'org/unpriced'))).toBe(false);
  });

  it('releases the reservation of a failed call', async () => {
    const { monitor } = await setup({ budgets: [{ window: 'day', limitUsd: 0.01, mode: 'block' }] });
    const inner = createScriptedChatModel();
    inner.failing = true;
    await expect(monitor.wrapChat(inner).generate({ ...ASK, maxTokens: 9 })).rejects.toThrow();
    expect(monitor.budgets()[0]).toMatchObject({ spentUsd: 0, reservedUsd: 0, inFlight: 0, exhausted: false });
  });

  it('blocks unpriced paid calls when unknownPrice is "block"', async () => {
    const { monitor } = await setup({ unknownPrice: 'block' });
    const mystery = monitor.wrapChat(createScriptedChatModel({ modelId: 'mystery' }));
    await expect(mystery.generate(ASK)).rejects.toSatisfy((e) => BudgetExceededError.isInstance(e) && /No price is known/.test((e as Error).message));
    await expect(monitor.wrapChat(createScriptedChatModel()).generate(ASK)).resolves.toBeDefined();
  });

  it('continues from the spend already in the ledger after a restart', async () => {
    const clock = new ManualClock();
    const ledger = openSqliteLedger({ path: ':memory:' });
    const budgets = [{ window: 'day' as const, limitUsd: 0.01, mode: 'downgrade' as const }];
    const before = await createCostMonitor({ ledger, prices: PRICES, clock, budgets });
    await before.wrapChat(createScriptedChatModel({ outputTokens: 10 })).generate(ASK);

    const after = await createCostMonitor({ ledger, prices: PRICES, clock, budgets });
    expect(after.budgets()[0]).toMatchObject({ spentUsd: 0.01, exhausted: true });
    expect(after.stepFilter({ index: 0, backend: 'paid', modelId: 'm', local: false })).toBe(false);
    clock.advance(86_400_000);
    const fresh = await createCostMonitor({ ledger, prices: PRICES, clock, budgets });
    expect(fresh.budgets()[0]).toMatchObject({ spentUsd: 0, exhausted: false });
  });
});
