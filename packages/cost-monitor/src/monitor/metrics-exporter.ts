import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LedgerEntry, QueryRecord } from '../ledger/usage-ledger.js';
import type { CostAlert } from './alerts.js';
import type { BudgetStatus } from './budgets.js';

const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60];

/**
 * The monitor's Prometheus metrics: calls, cost, tokens, latency, cache items, fallbacks, queries
 * and alerts, fed from recorded rows, and budget gauges read when scraped.
 */
export class MetricsExporter {
  private readonly calls: Counter<'backend' | 'model' | 'operation' | 'status' | 'cache_hit'>;
  private readonly cost: Counter<'backend' | 'model' | 'operation'>;
  private readonly tokens: Counter<'backend' | 'model' | 'direction'>;
  private readonly unpriced: Counter<'backend' | 'model'>;
  private readonly duration: Histogram<'backend' | 'operation'>;
  private readonly cacheItems: Counter<'operation' | 'result'>;
  private readonly fallbacks: Counter<'backend' | 'operation'>;
  private readonly queries: Counter<'status'>;
  private readonly queryDuration: Histogram;
  private readonly alerts: Counter<'kind'>;
  private readonly webhookFailures: Counter;

  constructor(
    readonly registry: Registry,
    prefix: string,
    budgets: () => BudgetStatus[],
  ) {
    const registers = [registry];
    this.calls = new Counter({
      name: `${prefix}model_calls_total`,
      help: 'Model calls by backend, model, operation, outcome (ok, error, blocked, aborted) and whether a cache answered.',
      labelNames: ['backend', 'model', 'operation', 'status', 'cache_hit'],
      registers,
    });
    this.cost = new Counter({
      name: `${prefix}model_cost_usd_total`,
      help: 'Known cost of model calls in US dollars (calls with an unknown price add nothing; see model_unpriced_calls_total).',
      labelNames: ['backend', 'model', 'operation'],
      registers,
    });
    this.tokens = new Counter({ name: `${prefix}model_tokens_total`, help: 'Tokens by direction (input, output).', labelNames: ['backend', 'model', 'direction'], registers });
    this.unpriced = new Counter({ name: `${prefix}model_unpriced_calls_total`, help: 'Calls whose price is unknown.', labelNames: ['backend', 'model'], registers });
    this.duration = new Histogram({
      name: `${prefix}model_call_duration_seconds`,
      help: 'Latency of model calls that reached a backend.',
      labelNames: ['backend', 'operation'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.cacheItems = new Counter({
      name: `${prefix}cache_items_total`,
      help: 'Texts (embed, rerank) or replies (chat) served by a cache (hit) or a backend (miss).',
      labelNames: ['operation', 'result'],
      registers,
    });
    this.fallbacks = new Counter({ name: `${prefix}model_fallback_calls_total`, help: 'Calls served by a fallback step.', labelNames: ['backend', 'operation'], registers });
    this.queries = new Counter({ name: `${prefix}queries_total`, help: 'Tracked queries by outcome.', labelNames: ['status'], registers });
    this.queryDuration = new Histogram({ name: `${prefix}query_duration_seconds`, help: 'Latency of tracked queries.', buckets: LATENCY_BUCKETS_S, registers });
    this.alerts = new Counter({ name: `${prefix}alerts_total`, help: 'Alerts fired, by kind.', labelNames: ['kind'], registers });
    this.webhookFailures = new Counter({ name: `${prefix}alert_webhook_failures_total`, help: 'Alert webhook deliveries that failed.', registers });
    const gauge = (name: string, help: string, unit: BudgetStatus['unit'] | undefined, value: (b: BudgetStatus) => number): void => {
      new Gauge({
        name: `${prefix}${name}`,
        help,
        labelNames: ['budget'],
        registers,
        collect() {
          for (const b of budgets()) if (unit === undefined || b.unit === unit) this.set({ budget: b.id }, value(b));
        },
      });
    };
    gauge('budget_limit_usd', 'Limit of a dollar budget per window.', 'usd', (b) => (b.unit === 'usd' ? b.limitUsd : 0));
    gauge('budget_spent_usd', 'Spend in a dollar budget window so far.', 'usd', (b) => (b.unit === 'usd' ? b.spentUsd : 0));
    gauge('budget_limit_tokens', 'Limit of a token budget per window.', 'tokens', (b) => (b.unit === 'tokens' ? b.limitTokens : 0));
    gauge('budget_spent_tokens', 'Tokens used in a token budget window so far.', 'tokens', (b) => (b.unit === 'tokens' ? b.spentTokens : 0));
    gauge('budget_exhausted', '1 while the budget refuses (or downgrades) the calls it counts.', undefined, (b) => (b.exhausted ? 1 : 0));
  }

  onEntry(e: LedgerEntry): void {
    this.calls.inc({ backend: e.backend, model: e.modelId, operation: e.operation, status: e.status, cache_hit: e.cacheHit ? 'true' : 'false' });
    if (e.status === 'blocked') return;
    if (e.costUsd) this.cost.inc({ backend: e.backend, model: e.modelId, operation: e.operation }, e.costUsd);
    if (e.priceState === 'unknown' && !e.cacheHit) this.unpriced.inc({ backend: e.backend, model: e.modelId });
    if (e.inputTokens) this.tokens.inc({ backend: e.backend, model: e.modelId, direction: 'input' }, e.inputTokens);
    if (e.outputTokens) this.tokens.inc({ backend: e.backend, model: e.modelId, direction: 'output' }, e.outputTokens);
    if (e.status !== 'ok') return;
    if (e.items > 0) this.cacheItems.inc({ operation: e.operation, result: e.cacheHit ? 'hit' : 'miss' }, e.items);
    if (e.cacheHit) return;
    this.duration.observe({ backend: e.backend, operation: e.operation }, e.latencyMs / 1000);
    if (e.fallbackStep > 0) this.fallbacks.inc({ backend: e.backend, operation: e.operation });
  }

  onQuery(q: QueryRecord): void {
    this.queries.inc({ status: q.status });
    if (q.status === 'ok') this.queryDuration.observe(q.latencyMs / 1000);
  }

  onAlert(alert: CostAlert): void {
    this.alerts.inc({ kind: alert.kind });
  }

  onWebhookFailure(): void {
    this.webhookFailures.inc();
  }
}
