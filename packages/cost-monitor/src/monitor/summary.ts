import type { ModelOperation } from '@ragbridge/core-interfaces';
import { percentileOf } from '../internal/windows.js';
import type { LedgerEntry, QueryRecord } from '../ledger/usage-ledger.js';
import type { BudgetStatus } from './budgets.js';

/** Hits and misses of a cache, from the ledger: texts for embeddings, replies for chat. */
export interface CacheHitStats {
  hits: number;
  misses: number;
  /** hits / (hits + misses), or null when nothing was looked up. */
  hitRate: number | null;
}

/** Latency percentiles in milliseconds (null when there are no samples). */
export interface LatencyPercentiles {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** Usage of one backend in the summary window. */
export interface BackendSummary {
  backend: string;
  /** Calls that reached the backend (not cache hits, not blocked). */
  calls: number;
  errors: number;
  costUsd: number;
  unpricedCalls: number;
  inputTokens: number;
  outputTokens: number;
}

/** What the app charts: the JSON twin of the Prometheus metrics, over a time window. */
export interface UsageSummary {
  /** The window (epoch ms, `to` exclusive) and when the summary was made. */
  from: number;
  to: number;
  generatedAt: number;
  /** Date and source of the price table in use. */
  priceTable: { asOf: string; source: string } | null;
  calls: {
    /** Every recorded row: backend calls, cache hits and blocked calls. */
    total: number;
    /** Calls that reached a backend. */
    backend: number;
    ok: number;
    errors: number;
    blocked: number;
    aborted: number;
    cacheHits: number;
  };
  /** Sum of known costs. */
  costUsd: number;
  /** Calls that were made but could not be priced: their cost is missing from `costUsd`. */
  unpriced: { calls: number; models: Array<{ backend: string; modelId: string; provider?: string; calls: number }> };
  /** Calls charged at the highest price listed for their model (the serving provider had none): in `costUsd`, maybe too high. */
  estimated: { calls: number; models: Array<{ backend: string; modelId: string; provider?: string; calls: number }> };
  queries: {
    count: number;
    errors: number;
    /** Cost of the calls made inside tracked queries, per query (ingestion is not included). */
    costPerQueryUsd: number | null;
    /** Backend calls (cache hits excluded) per tracked query. */
    modelCallsPerQuery: number | null;
    latencyMs: LatencyPercentiles;
  };
  /** Hit rates from the ledger: texts for embeddings, replies for chat. */
  cache: { embeddings: CacheHitStats; responses: CacheHitStats };
  /** Share of successful backend calls served by a fallback step. */
  fallbackRate: number | null;
  /** Share of backend calls that failed (aborted and blocked calls excluded). */
  errorRate: number | null;
  /** Latency of successful backend calls, overall and per operation. */
  latencyMs: { all: LatencyPercentiles } & Record<ModelOperation, LatencyPercentiles>;
  byBackend: BackendSummary[];
  budgets: BudgetStatus[];
}

const percentiles = (values: number[]): LatencyPercentiles => ({
  count: values.length,
  p50: percentileOf(values, 50),
  p95: percentileOf(values, 95),
  p99: percentileOf(values, 99),
});

const stats = (hits: number, misses: number): CacheHitStats => ({ hits, misses, hitRate: hits + misses === 0 ? null : hits / (hits + misses) });

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

/** Computes a {@link UsageSummary} from ledger rows and tracked queries. */
export function summarizeUsage(input: {
  from: number;
  to: number;
  generatedAt: number;
  entries: readonly LedgerEntry[];
  queries: readonly QueryRecord[];
  budgets: BudgetStatus[];
  priceTable: { asOf: string; source: string } | null;
}): UsageSummary {
  const calls = { total: 0, backend: 0, ok: 0, errors: 0, blocked: 0, aborted: 0, cacheHits: 0 };
  let costUsd = 0;
  let queryCost = 0;
  let queryCalls = 0;
  let fallbacks = 0;
  const embedItems = { hits: 0, misses: 0 };
  const chatItems = { hits: 0, misses: 0 };
  const latencies: Record<'all' | ModelOperation, number[]> = { all: [], chat: [], embed: [], rerank: [] };
  type ModelCalls = { backend: string; modelId: string; provider?: string; calls: number };
  const unpriced = new Map<string, ModelCalls>();
  const estimated = new Map<string, ModelCalls>();
  const count = (into: Map<string, ModelCalls>, e: LedgerEntry): void => {
    const key = `${e.backend}\u0000${e.modelId}\u0000${e.provider ?? ''}`;
    const u = into.get(key) ?? { backend: e.backend, modelId: e.modelId, ...(e.provider !== undefined && { provider: e.provider }), calls: 0 };
    u.calls++;
    into.set(key, u);
  };
  const backends = new Map<string, BackendSummary>();

  for (const e of input.entries) {
    calls.total++;
    costUsd += e.costUsd ?? 0;
    if (e.queryId !== undefined) queryCost += e.costUsd ?? 0;
    if (e.status === 'blocked') {
      calls.blocked++;
      continue;
    }
    if (e.cacheHit) {
      calls.cacheHits++;
      if (e.operation === 'embed') embedItems.hits += e.items;
      if (e.operation === 'chat') chatItems.hits += 1;
      continue;
    }
    calls.backend++;
    if (e.queryId !== undefined) queryCalls++;
    if (e.status === 'ok') calls.ok++;
    else if (e.status === 'error') calls.errors++;
    else calls.aborted++;
    const b = backends.get(e.backend) ?? { backend: e.backend, calls: 0, errors: 0, costUsd: 0, unpricedCalls: 0, inputTokens: 0, outputTokens: 0 };
    backends.set(e.backend, b);
    b.calls++;
    b.costUsd += e.costUsd ?? 0;
    b.inputTokens += e.inputTokens;
    b.outputTokens += e.outputTokens;
    if (e.status === 'error') b.errors++;
    if (e.priceState === 'unknown') {
      b.unpricedCalls++;
      count(unpriced, e);
    }
    if (e.priceState === 'estimated') count(estimated, e);
    if (e.status !== 'ok') continue;
    if (e.operation === 'embed') embedItems.misses += e.items;
    if (e.operation === 'chat') chatItems.misses += 1;
    if (e.fallbackStep > 0) fallbacks++;
    latencies.all.push(e.latencyMs);
    latencies[e.operation].push(e.latencyMs);
  }

  const okQueries = input.queries.filter((q) => q.status === 'ok');
  const unpricedModels = [...unpriced.values()];
  const estimatedModels = [...estimated.values()];
  return {
    from: input.from,
    to: input.to,
    generatedAt: input.generatedAt,
    priceTable: input.priceTable,
    calls,
    costUsd,
    unpriced: { calls: unpricedModels.reduce((n, u) => n + u.calls, 0), models: unpricedModels },
    estimated: { calls: estimatedModels.reduce((n, u) => n + u.calls, 0), models: estimatedModels },
    queries: {
      count: input.queries.length,
      errors: input.queries.length - okQueries.length,
      costPerQueryUsd: ratio(queryCost, input.queries.length),
      modelCallsPerQuery: ratio(queryCalls, input.queries.length),
      latencyMs: percentiles(okQueries.map((q) => q.latencyMs)),
    },
    cache: { embeddings: stats(embedItems.hits, embedItems.misses), responses: stats(chatItems.hits, chatItems.misses) },
    fallbackRate: ratio(fallbacks, calls.ok),
    errorRate: ratio(calls.errors, calls.ok + calls.errors),
    latencyMs: {
      all: percentiles(latencies.all),
      chat: percentiles(latencies.chat),
      embed: percentiles(latencies.embed),
      rerank: percentiles(latencies.rerank),
    },
    byBackend: [...backends.values()].sort((a, b) => b.costUsd - a.costUsd || a.backend.localeCompare(b.backend)),
    budgets: input.budgets,
  };
}
