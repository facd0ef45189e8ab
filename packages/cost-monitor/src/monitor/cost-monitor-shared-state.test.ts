import { BudgetExceededError } from '@ragbridge/core-interfaces';
import { describe, expect, it } from 'vitest';
import { createScriptedChatModel, ManualClock, usageOf } from '../__fixtures__/test-models.js';
import { InProcessBudgetReservations } from '../internal/in-process-reservations.js';
import { openSqliteLedger } from '../ledger/sqlite-ledger.js';
import type { AlertState } from './alert-state.js';
import type { CostAlert } from './alerts.js';
import type { BudgetReservations } from './budget-reservations.js';
import { createCostMonitor } from './cost-monitor.js';

// $0.001 per output token on backend "paid".
const PRICES = { table: false as const, overrides: [{ backend: 'paid', modelId: 'm', inputPerMillion: 0, outputPerMillion: 1000 }] };
const ASK = { messages: [{ role: 'user' as const, content: 'How many registers?' }] };

/** Budget reservations that answer like a database would: later, in promises; settlements wait for the ledger row. */
function asyncReservations(): BudgetReservations & { settledAfterWrite: boolean[] } {
  const inner = new InProcessBudgetReservations();
  const settledAfterWrite: boolean[] = [];
  return {
    specificationVersion: 'v1',
    settledAfterWrite,
    usage: (window) => inner.usage(window),
    seed: (window, spent) => inner.seed(window, spent),
    addSpend: (window, amount) => inner.addSpend(window, amount),
    reserve: async (claims) => {
      await new Promise((resolve) => setImmediate(resolve));
      return inner.reserve(claims);
    },
    settle: async (reservation, spent, written) => {
      settledAfterWrite.push(written !== undefined);
      await written;
      inner.settle(reservation, spent);
    },
  };
}

/** An alert state shared by several monitors: the first claim of a key and window wins. */
function sharedAlertState(): AlertState {
  const claimed = new Set<string>();
  const claim = async (key: string, windowStart: number): Promise<boolean> => {
    const id = `${key}@${windowStart}`;
    if (claimed.has(id)) return false;
    claimed.add(id);
    return true;
  };
  return {
    specificationVersion: 'v1',
    claim,
    costThreshold: async (check) => {
      await check.written;
      if (check.spentUsd < check.thresholdUsd) return { state: 'below' };
      return (await claim(check.key, check.windowStart)) ? { state: 'send', spentUsd: check.spentUsd } : { state: 'sent' };
    },
  };
}

/** A ledger whose writes resolve later, as a server database's do. */
function asyncLedger() {
  const inner = openSqliteLedger({ path: ':memory:' });
  return {
    inner,
    ledger: {
      append: async (entries: Parameters<typeof inner.append>[0]) => {
        await new Promise((resolve) => setImmediate(resolve));
        inner.append(entries);
      },
      appendQueries: async (records: Parameters<typeof inner.appendQueries>[0]) => inner.appendQueries(records),
      query: async (filter?: Parameters<typeof inner.query>[0]) => inner.query(filter),
      totals: async (filter?: Parameters<typeof inner.totals>[0]) => inner.totals(filter),
      queries: async (filter?: Parameters<typeof inner.queries>[0]) => inner.queries(filter),
      close: () => inner.close(),
    },
  };
}

describe('shared cost state seams', () => {
  it('admits and refuses through asynchronous reservations, settling each call after its ledger row is written', async () => {
    const { ledger, inner } = asyncLedger();
    const reservations = asyncReservations();
    const monitor = await createCostMonitor({ ledger, prices: PRICES, clock: new ManualClock(), reservations, budgets: [{ window: 'day', limitUsd: 0.01, mode: 'block' }] });
    const model = monitor.wrapChat(createScriptedChatModel({ outputTokens: 5 }));
    await model.generate({ ...ASK, maxTokens: 5 });
    await model.generate({ ...ASK, maxTokens: 5 });
    await monitor.flush();
    expect(monitor.budgets()[0]).toMatchObject({ spentUsd: 0.01, reservedUsd: 0, inFlight: 0, exhausted: true });
    await expect(model.generate(ASK)).rejects.toSatisfy((e) => BudgetExceededError.isInstance(e));
    await monitor.flush();
    expect(reservations.settledAfterWrite).toEqual([true, true]);
    expect(inner.totals({ status: 'blocked' }).calls).toBe(1);
    expect(inner.totals({ status: 'ok' }).costUsd).toBeCloseTo(0.01, 9);
  });

  it('rejects a reservations or alert state object that is not one', async () => {
    const ledger = openSqliteLedger({ path: ':memory:' });
    await expect(createCostMonitor({ ledger, reservations: { reserve: () => ({ ok: true }) } as never })).rejects.toThrow(/reservations: must be a BudgetReservations/);
    await expect(createCostMonitor({ ledger, alertState: {} as never })).rejects.toThrow(/alertState: must be an AlertState/);
  });

  it('two monitors sharing an alert state send one cost alert and one budget alert per window between them', async () => {
    const { ledger } = asyncLedger();
    const alertState = sharedAlertState();
    const clock = new ManualClock();
    const alerts: CostAlert[] = [];
    const options = {
      ledger,
      prices: PRICES,
      clock,
      alertState,
      alerts: { cost: [{ window: 'day' as const, thresholdUsd: 0.004 }] },
      budgets: [{ window: 'day' as const, limitUsd: 0.004, mode: 'downgrade' as const }],
    };
    const replicas = [await createCostMonitor(options), await createCostMonitor(options)];
    for (const replica of replicas) replica.onAlert((a) => alerts.push(a));
    for (const replica of replicas) replica.record(usageOf({ outputTokens: 5 }));
    await Promise.all(replicas.map((r) => r.flush()));
    expect(alerts.map((a) => a.kind).sort()).toEqual(['budget-exhausted', 'cost-threshold']);

    // The next day each replica's budget resets; one of them says so.
    clock.advance(86_400_000);
    for (const replica of replicas) replica.budgets();
    await Promise.all(replicas.map((r) => r.flush()));
    expect(alerts.filter((a) => a.kind === 'budget-restored')).toHaveLength(1);
  });
});
