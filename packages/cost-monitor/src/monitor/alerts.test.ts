import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ManualClock, usageOf } from '../__fixtures__/test-models.js';
import { openSqliteLedger } from '../ledger/sqlite-ledger.js';
import type { CostAlert } from './alerts.js';
import { createCostMonitor, type CostMonitorOptions } from './cost-monitor.js';

// $1 per output token on backend "paid", so `outputTokens` is the cost in dollars.
const PRICES = { table: false as const, overrides: [{ backend: 'paid', modelId: 'm', inputPerMillion: 0, outputPerMillion: 1_000_000 }] };

async function setup(options: Partial<CostMonitorOptions> = {}, clock = new ManualClock()) {
  const ledger = openSqliteLedger({ path: ':memory:' });
  const monitor = await createCostMonitor({ ledger, prices: PRICES, clock, ...options });
  const alerts: CostAlert[] = [];
  monitor.onAlert((a) => alerts.push(a));
  const kinds = (): string[] => alerts.map((a) => a.kind);
  return { clock, ledger, monitor, alerts, kinds };
}

describe('alerts', () => {
  it('fires the default $25/month cost alert once per crossing, and again next month', async () => {
    const { monitor, alerts, clock } = await setup();
    clock.set('2026-03-10T00:00:00Z');
    monitor.record(usageOf({ outputTokens: 24 }));
    expect(alerts).toEqual([]);
    monitor.record(usageOf({ outputTokens: 2 }));
    monitor.record(usageOf({ outputTokens: 5 }));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'cost-threshold', window: 'month', thresholdUsd: 25, spentUsd: 26, windowStart: Date.parse('2026-03-01T00:00:00Z') });
    expect(alerts[0]?.message).toMatch(/reached \$26\.00, over the \$25\.00 alert threshold/);

    clock.set('2026-04-02T00:00:00Z');
    monitor.record(usageOf({ outputTokens: 20 }));
    expect(alerts).toHaveLength(1);
    monitor.record(usageOf({ outputTokens: 10 }));
    expect(alerts).toHaveLength(2);
  });

  it('does not repeat a cost alert already crossed before a restart', async () => {
    const clock = new ManualClock();
    const ledger = openSqliteLedger({ path: ':memory:' });
    const before = await createCostMonitor({ ledger, prices: PRICES, clock, alerts: { cost: [{ window: 'day', thresholdUsd: 1 }] } });
    before.record(usageOf({ outputTokens: 2 }));
    const after = await createCostMonitor({ ledger, prices: PRICES, clock, alerts: { cost: [{ window: 'day', thresholdUsd: 1 }] } });
    const alerts: CostAlert[] = [];
    after.onAlert((a) => alerts.push(a));
    after.record(usageOf({ outputTokens: 1 }));
    expect(alerts).toEqual([]);
  });

  it('fires per-backend cost thresholds only for that backend', async () => {
    const { monitor, kinds } = await setup({
      prices: { table: false, overrides: [{ modelId: 'm', inputPerMillion: 0, outputPerMillion: 1_000_000 }] },
      alerts: { cost: [{ window: 'day', thresholdUsd: 1, backend: 'paid' }] },
    });
    monitor.record(usageOf({ backend: 'other', outputTokens: 5 }));
    expect(kinds()).toEqual([]);
    monitor.record(usageOf({ backend: 'paid', outputTokens: 1 }));
    expect(kinds()).toEqual(['cost-threshold']);
  });

  it('fires when the error rate over the window passes 5%, once, and re-arms when it falls back', async () => {
    const { monitor, alerts, clock } = await setup();
    const call = (status: 'ok' | 'error'): void => {
      monitor.record(usageOf({ outputTokens: 0 }), { status });
      clock.advance(1000);
    };
    for (let i = 0; i < 18; i++) call('ok');
    call('error');
    expect(alerts).toEqual([]); // 19 calls: below the 20-call minimum
    call('error');
    expect(alerts).toMatchObject([{ kind: 'error-rate', calls: 20, errors: 2, rate: 0.1, maxRate: 0.05 }]);
    call('error');
    expect(alerts).toHaveLength(1);
    for (let i = 0; i < 40; i++) call('ok'); // 3 / 61 < 5%: re-armed
    call('error');
    call('error');
    expect(alerts).toHaveLength(2);
  });

  it('forgets calls older than the error-rate window', async () => {
    const { monitor, kinds, clock } = await setup({ alerts: { errorRate: { windowMs: 60_000, minCalls: 4, maxRate: 0.5 } } });
    for (let i = 0; i < 3; i++) monitor.record(usageOf({}), { status: 'error' });
    clock.advance(61_000);
    monitor.record(usageOf({}), { status: 'error' });
    for (let i = 0; i < 3; i++) monitor.record(usageOf({}), { status: 'ok' });
    expect(kinds()).toEqual([]);
  });

  it('fires when p95 latency passes 15 s and ignores blocked calls and cache hits', async () => {
    const { monitor, alerts } = await setup({ alerts: { latency: { minSamples: 20 } } });
    for (let i = 0; i < 19; i++) monitor.record(usageOf({ latencyMs: 800 }));
    monitor.record(usageOf({ latencyMs: 60_000, cacheHit: true }));
    monitor.record(usageOf({ latencyMs: 60_000 }), { status: 'blocked' });
    expect(alerts).toEqual([]);
    monitor.record(usageOf({ latencyMs: 16_000 }));
    expect(alerts).toEqual([]); // p95 of 20 samples is the 19th: 800 ms
    monitor.record(usageOf({ latencyMs: 16_000 }));
    expect(alerts).toMatchObject([{ kind: 'latency-p95', p95Ms: 16_000, maxMs: 15_000, samples: 21, source: 'calls' }]);
    monitor.record(usageOf({ latencyMs: 20_000 }));
    expect(alerts).toHaveLength(1);
  });

  it('can watch the latency of tracked queries instead of calls', async () => {
    const clock = new ManualClock();
    const { monitor, kinds } = await setup({ alerts: { latency: { source: 'queries', minSamples: 1, p95Ms: 10, windowMs: 10 } } }, clock);
    monitor.record(usageOf({ latencyMs: 60_000 }));
    expect(kinds()).toEqual([]);
    await monitor.trackQuery(async () => clock.advance(5));
    expect(kinds()).toEqual([]);
    await monitor.trackQuery(async () => clock.advance(20));
    expect(kinds()).toEqual(['latency-p95']);
  });

  it('turns alerts off with false', async () => {
    const { monitor, kinds } = await setup({ alerts: { cost: [], errorRate: false, latency: false } });
    for (let i = 0; i < 30; i++) monitor.record(usageOf({ outputTokens: 100, latencyMs: 60_000 }), { status: i % 2 ? 'ok' : 'error' });
    expect(kinds()).toEqual([]);
  });

  it('delivers each alert to a webhook once, and a failing webhook or listener does not break calls', async () => {
    const received: unknown[] = [];
    let fail = false;
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(body) as unknown });
        res.writeHead(fail ? 500 : 204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/cost`;
    try {
      const { monitor, kinds } = await setup({
        alerts: { cost: [{ window: 'day', thresholdUsd: 1 }, { window: 'month', thresholdUsd: 3 }], webhook: { url, headers: { authorization: 'Bearer hook-secret' } } },
      });
      monitor.onAlert(() => {
        throw new Error('listener bug');
      });
      monitor.record(usageOf({ outputTokens: 2 }));
      monitor.record(usageOf({ outputTokens: 2 }));
      await monitor.flush();
      expect(kinds()).toEqual(['cost-threshold', 'cost-threshold']);
      expect(received).toHaveLength(2);
      expect(received[0]).toMatchObject({ headers: { authorization: 'Bearer hook-secret', 'content-type': 'application/json' }, body: { kind: 'cost-threshold', window: 'day', thresholdUsd: 1 } });
      expect(received[1]).toMatchObject({ body: { kind: 'cost-threshold', window: 'month', thresholdUsd: 3 } });

      fail = true;
      monitor.record(usageOf({ modelId: 'unpriced-model' }));
      await monitor.flush();
      expect(received).toHaveLength(3);
      expect(await monitor.metrics()).toContain('ragbridge_alert_webhook_failures_total 1');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
