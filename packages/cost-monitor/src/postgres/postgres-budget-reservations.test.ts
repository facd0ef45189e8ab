import { BudgetExceededError, type ChatModelV1 } from '@ragbridge/core-interfaces';
import { createMockChatModel } from '@ragbridge/core-interfaces/testing';
import { afterAll, expect, it, vi } from 'vitest';
import { createScriptedChatModel, ManualClock, usageOf, type ScriptedChatModel } from '../__fixtures__/test-models.js';
import type { LedgerEntry } from '../ledger/usage-ledger.js';
import type { CostAlert } from '../monitor/alerts.js';
import { createCostMonitor, type CostMonitor, type CostMonitorOptions } from '../monitor/cost-monitor.js';
import { describePostgres } from '@ragbridge/testkit/postgres';
import { openPostgresCostState, type PostgresCostState, type PostgresCostStateOptions } from './postgres-cost-state.js';

// $0.001 per output token on backend "paid", input free: a call with maxTokens 3 reserves $0.003
// and, reporting 3 output tokens, costs exactly that.
const PRICES = { table: false as const, overrides: [{ backend: 'paid', modelId: 'm', inputPerMillion: 0, outputPerMillion: 1000 }] };
const ASK = { messages: [{ role: 'user' as const, content: 'How many registers?' }], maxTokens: 3 };
const PAID_STEP = { index: 0, backend: 'paid', modelId: 'm', local: false };

interface Replica {
  state: PostgresCostState;
  monitor: CostMonitor;
  alerts: CostAlert[];
}

describePostgres('budgets and alerts shared on PostgreSQL', ({ url, schema, admin }) => {
  const clock = new ManualClock();
  const opened: Replica[] = [];
  afterAll(async () => {
    for (const r of opened) {
      await r.monitor.close();
      await r.state.close();
    }
  });

  /** `n` replicas of one service: each its own pool and monitor, all on one schema. */
  async function replicas(n: number, options: Partial<CostMonitorOptions>, stateOptions: Partial<PostgresCostStateOptions> = {}): Promise<[Replica, Replica, ...Replica[]]> {
    const states = await Promise.all(Array.from({ length: n }, () => openPostgresCostState({ url, schema, ...stateOptions })));
    const made: Replica[] = [];
    for (const state of states) {
      const monitor = await createCostMonitor({ ledger: state.ledger, reservations: state.reservations, alertState: state.alertState, prices: PRICES, clock, ...options });
      const alerts: CostAlert[] = [];
      monitor.onAlert((a) => alerts.push(a));
      made.push({ state, monitor, alerts });
    }
    opened.push(...made);
    return made as [Replica, Replica, ...Replica[]];
  }

  /** Spend already in the ledger before the replicas start (today, on backend "paid"). */
  async function spent(state: PostgresCostState, usd: number): Promise<void> {
    const entry: LedgerEntry = { ...usageOf({ outputTokens: Math.round(usd * 1000) }), at: clock.now(), status: 'ok', priceState: 'priced', costUsd: usd };
    await state.ledger.append([entry]);
  }

  const reservedNow = async (): Promise<number> => Number((await admin.query(`SELECT COALESCE(SUM(amount), 0) AS s FROM "${schema}".budget_reservations`)).rows[0].s);
  const alertKinds = (rs: Replica[]): string[] => rs.flatMap((r) => r.alerts.map((a) => a.kind)).sort();

  it('3 replicas × 50 concurrent paid calls against a nearly spent budget overshoot by at most the in-flight reservations; one cost alert per window', async () => {
    clock.set('2026-01-15T12:00:00Z');
    const day = { from: Date.parse('2026-01-15T00:00:00Z'), to: Date.parse('2026-01-16T00:00:00Z') };
    const first = await openPostgresCostState({ url, schema });
    await spent(first, 0.99);
    await first.close();
    const rs = await replicas(3, {
      budgets: [{ id: 'shared-day', window: 'day', limitUsd: 1, mode: 'block' }],
      alerts: { cost: [{ window: 'day', thresholdUsd: 1 }] },
    });

    // Every admitted call waits inside its model, so all admitted reservations are in flight at once.
    const models = rs.map(() => createScriptedChatModel({ outputTokens: 3 }));
    for (const m of models) m.hold();
    let refused = 0;
    const calls = rs.flatMap((r, i) =>
      Array.from({ length: 50 }, () =>
        r.monitor
          .wrapChat(models[i] as ScriptedChatModel)
          .generate(ASK)
          .then(
            () => 'ok',
            (error: unknown) => {
              if (!BudgetExceededError.isInstance(error)) throw error;
              refused++;
              return 'refused';
            },
          ),
      ),
    );
    const started = (): number => models.reduce((n, m) => n + m.started, 0);
    await vi.waitFor(() => expect(started() + refused).toBe(150), { timeout: 15_000 });
    const inFlightReserved = await reservedNow();
    const admitted = started();
    for (const m of models) m.release();
    expect((await Promise.all(calls)).filter((c) => c === 'ok')).toHaveLength(admitted);
    await Promise.all(rs.map((r) => r.monitor.flush()));

    // Reservations are shared: $0.99 + 3 × $0.003 < $1 admits a fourth call, and then every replica
    // sees the budget spent. (Each replica counting alone would have admitted four.)
    expect(admitted).toBe(4);
    expect(refused).toBe(146);
    expect(inFlightReserved).toBeCloseTo(admitted * 0.003, 9);
    const totals = await rs[0].state.ledger.totals(day);
    expect(totals.costUsd).toBeLessThanOrEqual(1 + inFlightReserved + 1e-9);
    expect(totals.costUsd).toBeCloseTo(0.99 + admitted * 0.003, 9);
    expect(totals.blockedCalls).toBe(146);
    expect(await reservedNow()).toBe(0);
    // One alert per window across the three: the cost threshold and the budget running out.
    expect(alertKinds(rs)).toEqual(['budget-exhausted', 'cost-threshold']);
    expect(rs.flatMap((r) => r.alerts).find((a) => a.kind === 'cost-threshold')).toMatchObject({ spentUsd: expect.closeTo(1.002, 9), windowStart: day.from });
    await expect(rs[1].monitor.wrapChat(createScriptedChatModel()).generate(ASK)).rejects.toSatisfy((e) => BudgetExceededError.isInstance(e));
  });

  it('a downgrade budget sends the replicas to their local model once the shared budget is spent', async () => {
    clock.set('2026-01-16T12:00:00Z');
    const rs = await replicas(3, { budgets: [{ id: 'shared-downgrade', window: 'day', limitUsd: 1, mode: 'downgrade' }] });
    await spent(rs[0].state, 0.99);
    // A fallback chain in miniature: the paid step unless the step filter or the budget says no, then the local one.
    const answer = async (monitor: CostMonitor, paid: ChatModelV1, local: ChatModelV1): Promise<'paid' | 'local'> => {
      if (monitor.stepFilter(PAID_STEP)) {
        try {
          await paid.generate(ASK);
          return 'paid';
        } catch (error) {
          if (!BudgetExceededError.isInstance(error)) throw error;
        }
      }
      await local.generate(ASK);
      return 'local';
    };
    const served = await Promise.all(
      rs.flatMap((r) => {
        const paid = r.monitor.wrapChat(createScriptedChatModel({ outputTokens: 3 }));
        const local = r.monitor.wrapChat(createMockChatModel({ backend: 'ollama', modelId: 'llama3.2:3b' }));
        return Array.from({ length: 50 }, () => answer(r.monitor, paid, local));
      }),
    );
    await Promise.all(rs.map((r) => r.monitor.flush()));
    expect(served.filter((s) => s === 'paid')).toHaveLength(4);
    expect(served.filter((s) => s === 'local')).toHaveLength(146);
    const day = { from: Date.parse('2026-01-16T00:00:00Z'), to: Date.parse('2026-01-17T00:00:00Z') };
    expect((await rs[1].state.ledger.totals({ ...day, backend: 'paid' })).costUsd).toBeCloseTo(1.002, 9);
    expect(rs.map((r) => r.monitor.stepFilter(PAID_STEP))).toEqual([false, false, false]);
    expect(alertKinds(rs)).toEqual(['budget-exhausted']);
  });

  it('a reservation held by a replica that died stops counting after its TTL', async () => {
    clock.set('2026-01-17T12:00:00Z');
    const budgets = [{ id: 'ttl', window: 'day' as const, limitUsd: 1, mode: 'block' as const }];
    const [dying, survivor] = await replicas(2, { budgets }, { reservationTtlMs: 60_000, budgetRefreshMs: 1_000 });
    await spent(dying.state, 0.998);
    // The dying replica's call is admitted and never finishes: its $0.003 stays reserved.
    const stuck = createScriptedChatModel({ outputTokens: 3 });
    stuck.hold();
    const never = dying.monitor.wrapChat(stuck).generate(ASK);
    await vi.waitFor(() => expect(stuck.started).toBe(1));

    const paid = survivor.monitor.wrapChat(createScriptedChatModel({ outputTokens: 1 }));
    await expect(paid.generate({ ...ASK, maxTokens: 1 })).rejects.toSatisfy((e) => BudgetExceededError.isInstance(e) && /reserved by 1 calls in flight/.test((e as Error).message));
    expect(survivor.monitor.budgets()[0]).toMatchObject({ exhausted: true, inFlight: 1, reservedUsd: expect.closeTo(0.003, 9) });

    clock.advance(60_001);
    // The survivor's view refreshes in the background once read after budgetRefreshMs.
    await vi.waitFor(() => expect(survivor.monitor.budgets()[0]).toMatchObject({ exhausted: false, inFlight: 0, reservedUsd: 0 }));
    await expect(paid.generate({ ...ASK, maxTokens: 1 })).resolves.toMatchObject({ usage: { costUsd: 0.001 } });

    stuck.release();
    await never;
  });

  it("token budgets count every replica's tokens, local calls included, apart from a dollar budget with the same id", async () => {
    clock.set('2026-01-18T12:00:00Z');
    const budgets = [
      { window: 'day' as const, limitTokens: 30, mode: 'block' as const },
      { window: 'day' as const, limitUsd: 100, mode: 'block' as const },
    ];
    const [a, b] = await replicas(2, { budgets });
    // Each call reports 10 input + 10 output tokens (20 in all); the paid one costs $0.01.
    const model = (r: Replica, backend: string) => r.monitor.wrapChat(createScriptedChatModel({ backend, modelId: 'm', inputTokens: 10, outputTokens: 10 }));
    await model(a, 'ollama').generate(ASK);
    await a.monitor.flush();
    await model(b, 'paid').generate(ASK);
    await b.monitor.flush();
    expect(b.monitor.budgets()).toEqual([
      expect.objectContaining({ id: 'day', unit: 'tokens', spentTokens: 40, exhausted: true }),
      expect.objectContaining({ id: 'day', unit: 'usd', spentUsd: expect.closeTo(0.01, 9), exhausted: false }),
    ]);
    await expect(model(a, 'ollama').generate(ASK)).rejects.toSatisfy((e) => BudgetExceededError.isInstance(e) && /40 tokens spent/.test((e as Error).message));
  });
});
