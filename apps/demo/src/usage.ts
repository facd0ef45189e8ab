import type { CostMonitor } from '@ragbridge/cost-monitor';

const DAY = 86_400_000;

/** Usage and cost over the last `days` UTC days, for the dashboard: totals, per day, latency per part, per backend, budgets. */
export async function usageReport(monitor: CostMonitor, days: number, now = Date.now()): Promise<Record<string, unknown>> {
  const endOfToday = Math.floor(now / DAY) * DAY + DAY;
  const from = endOfToday - days * DAY;
  const whole = await monitor.summary({ from, to: now + 1 });
  const daily = [];
  for (let start = from; start < endOfToday; start += DAY) {
    const rows = await monitor.ledger.totals({ from: start, to: start + DAY });
    daily.push({ day: new Date(start).toISOString().slice(0, 10), costUsd: rows.costUsd, calls: rows.calls, cacheHits: rows.cacheHits });
  }
  const pct = (p: { p50: number | null; p95: number | null }): { p50: number | null; p95: number | null } => ({ p50: p.p50, p95: p.p95 });
  return {
    from,
    to: now,
    totals: {
      calls: whole.calls.total,
      backendCalls: whole.calls.backend,
      errors: whole.calls.errors,
      blocked: whole.calls.blocked,
      cacheHits: whole.calls.cacheHits,
      costUsd: whole.costUsd,
      unpricedCalls: whole.unpriced.calls,
      questions: whole.queries.count,
      costPerQuestionUsd: whole.queries.costPerQueryUsd,
      modelCallsPerQuestion: whole.queries.modelCallsPerQuery,
      fallbackRate: whole.fallbackRate,
    },
    daily,
    latency: {
      question: pct(whole.queries.latencyMs),
      answer: pct(whole.latencyMs.chat),
      embedder: pct(whole.latencyMs.embed),
      reranker: pct(whole.latencyMs.rerank),
    },
    byBackend: whole.byBackend,
    cache: whole.cache,
    budgets: whole.budgets,
    priceTable: whole.priceTable,
  };
}
