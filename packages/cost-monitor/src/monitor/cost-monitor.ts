import {
  BudgetExceededError,
  createUsageEvent,
  delegateEmbedder,
  delegateReranker,
  estimateTokens,
  isAbortError,
  throwIfAborted,
  type ChatCallOptions,
  type ChatModelV1,
  type ChatResult,
  type ChatStreamPart,
  type EmbedderV1,
  type EmbedResult,
  type ModelOperation,
  type RerankerV1,
  type RerankResult,
  type UsageEvent,
} from '@ragbridge/core-interfaces';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { createEmbeddingCache, type EmbeddingCacheOptions } from '../cache/embedding-cache.js';
import { createResponseCache, type ResponseCacheOptions } from '../cache/response-cache.js';
import { systemClock } from '../clock.js';
import { AlertEngine } from '../internal/alert-engine.js';
import { BudgetGuard, type BudgetEvent, type BudgetTicket } from '../internal/budget-guard.js';
import { MonitorMetrics } from '../internal/monitor-metrics.js';
import { clockSchema, parseOptions, usd } from '../internal/options.js';
import { openSqliteLedger } from '../ledger/sqlite-ledger.js';
import type { CallStatus, LedgerEntry, PriceState, QueryRecord, UsageLedger } from '../ledger/usage-ledger.js';
import { createPriceBook, type PriceBook, type PriceBookOptions, type PriceQuote } from '../prices/price-book.js';
import { alertOptionsSchema, type CostAlert } from './alerts.js';
import { budgetRuleSchema, type BudgetRule, type BudgetStatus, type FallbackStepInfo } from './budgets.js';
import { summarizeUsage, type UsageSummary } from './summary.js';

const isLedger = (v: unknown): v is UsageLedger =>
  typeof v === 'object' && v !== null && typeof (v as UsageLedger).append === 'function' && typeof (v as UsageLedger).totals === 'function';

const costMonitorOptionsSchema = z.strictObject({
  /** Where usage is recorded: a SQLite file path (opened with `openSqliteLedger`) or any {@link UsageLedger}. */
  ledger: z.union([z.string().min(1), z.custom<UsageLedger>(isLedger, 'must be a UsageLedger')]),
  /** A {@link PriceBook}, or options for `createPriceBook` (the built-in table plus your overrides). @default createPriceBook() */
  prices: z.custom<PriceBook | PriceBookOptions>((v) => typeof v === 'object' && v !== null, 'must be a PriceBook or PriceBookOptions').optional(),
  /** Spending limits per day or month, overall or per backend. @default [] */
  budgets: z.array(budgetRuleSchema).optional(),
  /** Alert thresholds and delivery. @default $25 a month, 5% errors, 15 s p95 latency */
  alerts: alertOptionsSchema.optional(),
  /** @default the system clock */
  clock: clockSchema.optional(),
  /**
   * Calls to a paid model without a known price: `allow` them (reported as unknown price, not
   * counted by budgets) or `block` them with `BudgetExceededError`. @default 'allow'
   */
  unknownPrice: z.enum(['allow', 'block']).optional(),
  /** Output tokens assumed when reserving budget for a chat call without `maxTokens`. @default 512 */
  estimatedOutputTokens: z.number().int().nonnegative().optional(),
  /** Prometheus metrics: a registry to add them to and a name prefix, or `false` for none. @default a registry of its own, prefix `ragbridge_` */
  metrics: z
    .union([
      z.literal(false),
      z.strictObject({
        registry: z.custom<Registry>((v) => v instanceof Registry, 'must be a prom-client Registry').optional(),
        prefix: z.string().optional(),
      }),
    ])
    .optional(),
});

/** Options of {@link createCostMonitor}. */
export type CostMonitorOptions = z.input<typeof costMonitorOptionsSchema>;

/** Per-model options of the `wrap*` methods. */
export interface MonitoredModelOptions {
  /** Fallback chain position of this model, recorded as `fallbackStep` when the usage event says 0. @default 0 */
  fallbackStep?: number;
  /** Treat as local: $0 and never blocked. @default true for the price book's local backends */
  local?: boolean;
}

/** {@link CostMonitor.wrapEmbedder} options: monitoring plus an optional cache in front. */
export interface MonitoredEmbedderOptions extends MonitoredModelOptions {
  /** Put an embedding cache in front; its hits are recorded (as free) and never touch a budget. */
  cache?: Omit<EmbeddingCacheOptions, 'onHit'>;
}

/** {@link CostMonitor.wrapChat} options: monitoring plus an optional response cache in front. */
export interface MonitoredChatOptions extends MonitoredModelOptions {
  /** Put an exact response cache in front; its hits are recorded (as free) and never touch a budget. */
  cache?: Omit<ResponseCacheOptions, 'onHit'>;
}

/** Options of {@link CostMonitor.summary}. */
export interface SummaryOptions {
  /** Window start (epoch ms, inclusive). @default the start of the current UTC month */
  from?: number;
  /** Window end (exclusive). @default now */
  to?: number;
}

/** The cost monitor: wraps models, keeps the ledger, enforces budgets, raises alerts. */
export interface CostMonitor {
  /** A chat model that records every call (streams included), prices it and checks budgets first. */
  wrapChat(model: ChatModelV1, options?: MonitoredChatOptions): ChatModelV1;
  /** An embedder that records, prices and checks budgets; with `cache`, hits skip all three but are still recorded. */
  wrapEmbedder(embedder: EmbedderV1, options?: MonitoredEmbedderOptions): EmbedderV1;
  /** A reranker that records, prices and checks budgets. */
  wrapReranker(reranker: RerankerV1, options?: MonitoredModelOptions): RerankerV1;
  /**
   * Records a usage event that did not go through a wrapper (e.g. a cache hit), priced and counted
   * against budgets. Returns the ledger row.
   */
  record(usage: UsageEvent, details?: { status?: CallStatus; errorName?: string; at?: number }): LedgerEntry;
  /**
   * Runs `fn` as one tracked query: calls made inside it carry its id, and its latency (on the
   * monitor's clock) and outcome are recorded, for cost and model calls per query.
   */
  trackQuery<T>(fn: () => Promise<T>, options?: { id?: string }): Promise<T>;
  /**
   * For the resilience package's fallback chain (`stepFilter`): false for a paid, non-local step
   * while a `downgrade` budget that counts its backend is exhausted, true otherwise. Local and
   * free ($0) steps always pass; unpriced steps pass unless `unknownPrice` is `block`.
   */
  readonly stepFilter: (step: FallbackStepInfo) => boolean;
  /** Every budget's state now. */
  budgets(): BudgetStatus[];
  /**
   * Replaces the budgets (validated like the `budgets` option), seeding their windows with the
   * spend already in the ledger, and returns their state. Invalid rules throw and change nothing.
   */
  setBudgets(rules: readonly BudgetRule[]): Promise<BudgetStatus[]>;
  /** Subscribes to alerts; returns the unsubscribe function. */
  onAlert(listener: (alert: CostAlert) => void): () => void;
  /** The JSON summary of a window (default: this UTC month so far). */
  summary(options?: SummaryOptions): Promise<UsageSummary>;
  /** Prometheus text exposition of the monitor's metrics. */
  metrics(): Promise<string>;
  /** The registry holding the metrics (undefined when metrics are off). */
  readonly registry: Registry | undefined;
  readonly prices: PriceBook;
  readonly ledger: UsageLedger;
  /** Waits for pending ledger writes (async ledgers) and webhook deliveries. */
  flush(): Promise<void>;
  /** Flushes, then closes the ledger if the monitor opened it from a path. */
  close(): Promise<void>;
}

interface CallContext {
  backend: string;
  modelId: string;
  operation: ModelOperation;
  streamed: boolean;
  local: boolean;
  fallbackStep: number;
  at: number;
  began: number;
  ticket: BudgetTicket;
  queryId: string | undefined;
}

const EMPTY_TICKET: BudgetTicket = { parts: [] };
const WINDOW_WORD = { day: 'daily', month: 'monthly' } as const;

/**
 * Creates a cost monitor. It reads the current day's and month's spend from the ledger so budgets
 * and alerts continue where the last process stopped.
 */
export async function createCostMonitor(options: CostMonitorOptions): Promise<CostMonitor> {
  const parsed = parseOptions(costMonitorOptionsSchema, options, 'createCostMonitor');
  const clock = parsed.clock ?? systemClock;
  const ownsLedger = typeof parsed.ledger === 'string';
  const ledger: UsageLedger = typeof parsed.ledger === 'string' ? openSqliteLedger({ path: parsed.ledger }) : parsed.ledger;
  const prices: PriceBook =
    parsed.prices && typeof (parsed.prices as PriceBook).quote === 'function'
      ? (parsed.prices as PriceBook)
      : createPriceBook((parsed.prices ?? {}) as PriceBookOptions);
  const blockUnknown = parsed.unknownPrice === 'block';
  const estimatedOutputTokens = parsed.estimatedOutputTokens ?? 512;

  const listeners = new Set<(alert: CostAlert) => void>();
  const pending = new Set<Promise<unknown>>();
  const track = (promise: Promise<unknown>): void => {
    const p = promise.finally(() => pending.delete(p));
    pending.add(p);
  };
  const webhook = parsed.alerts?.webhook;
  let metrics: MonitorMetrics | undefined;

  const emit = (alert: CostAlert): void => {
    metrics?.onAlert(alert);
    for (const listener of listeners) {
      try {
        listener(alert);
      } catch {
        // A failing listener must not break model calls or other listeners.
      }
    }
    if (webhook) {
      const send = async (): Promise<void> => {
        const response = await (webhook.fetch ?? globalThis.fetch)(webhook.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...webhook.headers },
          body: JSON.stringify(alert),
          signal: AbortSignal.timeout(webhook.timeoutMs ?? 5000),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (!response.ok) throw new Error(`webhook answered HTTP ${response.status}`);
      };
      track(send().catch(() => metrics?.webhookFailures.inc()));
    }
  };

  const withIds = (rules: ReadonlyArray<z.output<typeof budgetRuleSchema>>) =>
    rules.map((rule) => ({ ...rule, id: rule.id ?? (rule.backend ? `${rule.window}:${rule.backend}` : rule.window) }));
  const budgetRules = withIds(parsed.budgets ?? []);
  const onBudgetEvent = ({ kind, status }: BudgetEvent): void => {
    const scope = status.backend ? ` for ${status.backend}` : '';
    emit({
      kind,
      at: clock.now(),
      budget: status,
      message:
        kind === 'budget-exhausted'
          ? `The ${WINDOW_WORD[status.window]} budget "${status.id}"${scope} of ${usd(status.limitUsd)} is spent (${usd(status.spentUsd)}); paid calls are ${status.mode === 'block' ? 'blocked' : 'downgraded to local models'} until the window resets.`
          : `The ${WINDOW_WORD[status.window]} budget "${status.id}"${scope} has reset; paid calls are allowed again.`,
    });
  };
  const guard = new BudgetGuard(budgetRules, clock, onBudgetEvent);
  const alerts = new AlertEngine(parsed.alerts ?? {}, clock, emit);

  if (parsed.metrics !== false) {
    metrics = new MonitorMetrics(parsed.metrics?.registry ?? new Registry(), parsed.metrics?.prefix ?? 'ragbridge_', () => guard.status());
  }

  // Continue where the last process stopped: spend already in the current windows.
  const seedBudgets = async (target: BudgetGuard): Promise<void> => {
    for (const w of target.seedWindows()) {
      const totals = await ledger.totals({ from: w.from, to: w.to, ...(w.backend !== undefined && { backend: w.backend }) });
      target.seed(w.index, totals.costUsd);
    }
  };
  await seedBudgets(guard);
  for (const w of alerts.seedWindows()) {
    const totals = await ledger.totals({ from: w.from, to: w.to, ...(w.backend !== undefined && { backend: w.backend }) });
    alerts.seed(w.index, totals.costUsd);
  }

  const queryScope = new AsyncLocalStorage<{ id: string }>();

  const write = (entry: LedgerEntry, unknownReason: string | undefined): void => {
    const failed = (error: unknown): void =>
      emit({ kind: 'ledger-error', at: clock.now(), error: String(error), message: `Recording usage in the ledger failed: ${String(error)}` });
    try {
      const result = ledger.append([entry]);
      if (result instanceof Promise) track(result.catch(failed));
    } catch (error) {
      failed(error);
    }
    metrics?.onEntry(entry);
    alerts.onEntry(entry, unknownReason);
  };

  const priceOf = (usage: UsageEvent, local: boolean): { quote: PriceQuote | undefined; costUsd: number | null; state: PriceState } => {
    if (usage.cacheHit) return { quote: undefined, costUsd: 0, state: 'cached' };
    if (local) return { quote: undefined, costUsd: 0, state: 'local' };
    const quote = prices.quote(usage);
    return { quote, costUsd: quote.costUsd, state: quote.state };
  };

  const entryOf = (
    usage: UsageEvent,
    price: { costUsd: number | null; state: PriceState },
    at: number,
    status: CallStatus,
    queryId: string | undefined,
    errorName?: string,
  ): LedgerEntry => ({
    ...usage,
    costUsd: price.costUsd,
    at,
    status,
    priceState: price.state,
    ...(errorName !== undefined && { errorName }),
    ...(queryId !== undefined && { queryId }),
  });

  const blocked = (ctx: Omit<CallContext, 'ticket'>, message: string, hint: string): never => {
    const usage = createUsageEvent({
      backend: ctx.backend,
      modelId: ctx.modelId,
      operation: ctx.operation,
      streamed: ctx.streamed,
      inputTokens: 0,
      items: 0,
      startedAt: ctx.at,
      latencyMs: 0,
    });
    write(entryOf(usage, { costUsd: 0, state: priceOf(usage, ctx.local).state }, ctx.at, 'blocked', ctx.queryId, 'BudgetExceededError'), undefined);
    throw new BudgetExceededError({ backend: ctx.backend, modelId: ctx.modelId, message, hint });
  };

  /** Checks the budgets and reserves the estimated cost; throws BudgetExceededError when refused. */
  const begin = (
    model: { backend: string; modelId: string },
    operation: ModelOperation,
    streamed: boolean,
    opts: MonitoredModelOptions,
    tokens: () => { input: number; output: number },
  ): CallContext => {
    const local = opts.local ?? prices.isLocal(model.backend);
    const ctx = {
      backend: model.backend,
      modelId: model.modelId,
      operation,
      streamed,
      local,
      fallbackStep: opts.fallbackStep ?? 0,
      at: clock.now(),
      began: performance.now(),
      queryId: queryScope.getStore()?.id,
    };
    if (local || (!blockUnknown && !guard.covers(model.backend))) return { ...ctx, ticket: EMPTY_TICKET };
    const t = tokens();
    const estimate = prices.estimate({ backend: model.backend, modelId: model.modelId, inputTokens: t.input, outputTokens: t.output });
    if (estimate === null && blockUnknown) {
      blocked(
        ctx,
        `No price is known for this model and unpriced calls are blocked`,
        'Add a price override for the model (prices.overrides) or set unknownPrice to "allow".',
      );
    }
    // Free calls are never refused, and allowed unpriced calls cannot be counted (they are reported).
    if (estimate === null || estimate === 0) return { ...ctx, ticket: EMPTY_TICKET };
    const admission = guard.admit(model.backend, estimate);
    if (!admission.ok) {
      const s = admission.status;
      const resets = new Date(s.windowEnd).toISOString();
      blocked(
        ctx,
        `The ${WINDOW_WORD[s.window]} budget "${s.id}" of ${usd(s.limitUsd)} is spent (${usd(s.spentUsd)} spent, ${usd(s.reservedUsd)} reserved by ${s.inFlight} calls in flight)`,
        s.mode === 'downgrade'
          ? `This budget downgrades to local models: give the fallback chain monitor.stepFilter so its local steps answer until the window resets at ${resets}.`
          : `Raise the budget, wait for the window to reset at ${resets}, or use local models.`,
      );
    }
    return { ...ctx, ticket: admission.ok ? admission.ticket : EMPTY_TICKET };
  };

  /** Prices and records a finished call; returns its usage with `costUsd` and `fallbackStep` set. */
  const succeed = (ctx: CallContext, usage: UsageEvent): UsageEvent => {
    const price = priceOf(usage, ctx.local);
    const final: UsageEvent = { ...usage, costUsd: price.costUsd, fallbackStep: usage.fallbackStep || ctx.fallbackStep };
    guard.settle(ctx.ticket, price.costUsd);
    write(entryOf(final, price, ctx.at, 'ok', ctx.queryId), price.quote?.state === 'unknown' ? price.quote.reason : undefined);
    return final;
  };

  /** Records a failed call (with estimated tokens when a stream had produced some output). */
  const fail = (ctx: CallContext, error: unknown, partial?: { input: number; output: number }, status?: CallStatus): void => {
    const usage = createUsageEvent({
      backend: ctx.backend,
      modelId: ctx.modelId,
      operation: ctx.operation,
      streamed: ctx.streamed,
      inputTokens: partial?.input ?? 0,
      outputTokens: partial?.output ?? 0,
      tokensEstimated: partial !== undefined,
      items: 0,
      startedAt: ctx.at,
      latencyMs: performance.now() - ctx.began,
      fallbackStep: ctx.fallbackStep,
    });
    const price = priceOf(usage, ctx.local);
    guard.settle(ctx.ticket, price.costUsd);
    const name = typeof (error as { name?: unknown })?.name === 'string' ? (error as { name: string }).name : 'Error';
    write(entryOf(usage, price, ctx.at, status ?? (isAbortError(error) ? 'aborted' : 'error'), ctx.queryId, name), undefined);
  };


  /** Runs one non-streamed call under the monitor: admit (budgets), then record success or failure. */
  const measure = async <R extends { usage: UsageEvent }>(
    model: { backend: string; modelId: string },
    operation: ModelOperation,
    opts: MonitoredModelOptions,
    tokens: () => { input: number; output: number },
    run: () => Promise<R>,
  ): Promise<R> => {
    const ctx = begin(model, operation, false, opts, tokens);
    let result: R;
    try {
      result = await run();
    } catch (error) {
      fail(ctx, error);
      throw error;
    }
    return { ...result, usage: succeed(ctx, result.usage) };
  };
  const chatTokens = (call: ChatCallOptions) => (): { input: number; output: number } => ({
    input: Array.isArray(call.messages) ? call.messages.reduce((n, m) => n + estimateTokens(m.content), 0) : 0,
    output: call.maxTokens ?? estimatedOutputTokens,
  });

  const wrapChatOnly = (model: ChatModelV1, opts: MonitoredModelOptions): ChatModelV1 => ({
    specificationVersion: 'v1',
    get backend() {
      return model.backend;
    },
    get modelId() {
      return model.modelId;
    },
    async generate(call): Promise<ChatResult> {
      throwIfAborted(call.abortSignal, { backend: model.backend, modelId: model.modelId });
      return measure(model, 'chat', opts, chatTokens(call), () => model.generate(call));
    },
    stream(call): AsyncIterable<ChatStreamPart> {
      return {
        async *[Symbol.asyncIterator]() {
          throwIfAborted(call.abortSignal, { backend: model.backend, modelId: model.modelId });
          const tokens = chatTokens(call);
          const ctx = begin(model, 'chat', true, opts, tokens);
          let text = '';
          let settled = false;
          const partial = (): { input: number; output: number } => ({ input: tokens().input, output: estimateTokens(text) });
          try {
            for await (const part of model.stream(call)) {
              if (part.type === 'text-delta') {
                text += part.delta;
                yield part;
              } else {
                settled = true;
                yield { ...part, usage: succeed(ctx, part.usage) };
              }
            }
          } catch (error) {
            if (!settled) {
              settled = true;
              fail(ctx, error, text ? partial() : undefined);
            }
            throw error;
          } finally {
            // The consumer stopped reading before the finish part: the usage never arrived, so
            // record what was streamed, estimated, rather than lose the call.
            if (!settled) fail(ctx, new DOMException('The stream was closed before it finished', 'AbortError'), partial(), 'aborted');
          }
        },
      };
    },
  });

  const wrapEmbedderOnly = (embedder: EmbedderV1, opts: MonitoredModelOptions): EmbedderV1 =>
    delegateEmbedder(embedder, async (call): Promise<EmbedResult> => {
      throwIfAborted(call.abortSignal, { backend: embedder.backend, modelId: embedder.modelId });
      if (call.texts.length === 0) return embedder.embed(call);
      return measure(embedder, 'embed', opts, () => ({ input: call.texts.reduce((n, t) => n + estimateTokens(t), 0), output: 0 }), () => embedder.embed(call));
    });

  const monitor: CostMonitor = {
    prices,
    ledger,
    registry: metrics?.registry,
    stepFilter(step) {
      if (step.local || prices.isLocal(step.backend)) return true;
      // Mirror the wrappers: free models are never refused, unpriced ones only with unknownPrice 'block'.
      const perCall = prices.estimate({ backend: step.backend, modelId: step.modelId, inputTokens: 1000, outputTokens: 1000 });
      if (perCall === 0) return true;
      if (perCall === null) return !blockUnknown;
      return !guard.downgraded(step.backend);
    },
    wrapChat(model, opts = {}) {
      const monitored = wrapChatOnly(model, opts);
      if (!opts.cache) return monitored;
      return createResponseCache(monitored, { ...opts.cache, onHit: (usage) => monitor.record(usage) });
    },
    wrapEmbedder(embedder, opts = {}) {
      const monitored = wrapEmbedderOnly(embedder, opts);
      if (!opts.cache) return monitored;
      return createEmbeddingCache(monitored, { ...opts.cache, onHit: (usage) => monitor.record(usage) });
    },
    wrapReranker(reranker, opts = {}) {
      return delegateReranker(reranker, async (call): Promise<RerankResult> => {
        throwIfAborted(call.abortSignal, { backend: reranker.backend, modelId: reranker.modelId });
        if (call.texts.length === 0) return reranker.rerank(call);
        const q = estimateTokens(call.query);
        return measure(reranker, 'rerank', opts, () => ({ input: call.texts.reduce((n, t) => n + q + estimateTokens(t), 0), output: 0 }), () =>
          reranker.rerank(call),
        );
      });
    },
    record(usage, details = {}) {
      const at = details.at ?? clock.now();
      const price = priceOf(usage, prices.isLocal(usage.backend));
      const status = details.status ?? 'ok';
      const entry = entryOf(usage, price, at, status, queryScope.getStore()?.id, details.errorName);
      if (price.costUsd && status !== 'blocked') guard.addSpend(usage.backend, at, price.costUsd);
      write(entry, price.quote?.state === 'unknown' ? price.quote.reason : undefined);
      return entry;
    },
    async trackQuery(fn, opts = {}) {
      const id = opts.id ?? randomUUID();
      const at = clock.now();
      const finish = (status: 'ok' | 'error'): void => {
        // Queries take seconds: the monitor's clock (ms) is precise enough, and tests can move it.
        const record: QueryRecord = { id, at, latencyMs: clock.now() - at, status };
        try {
          const result = ledger.appendQueries([record]);
          if (result instanceof Promise) track(result.catch(() => undefined));
        } catch (error) {
          emit({ kind: 'ledger-error', at: clock.now(), error: String(error), message: `Recording a query in the ledger failed: ${String(error)}` });
        }
        metrics?.onQuery(record);
        alerts.onQuery(record);
      };
      try {
        const value = await queryScope.run({ id }, fn);
        finish('ok');
        return value;
      } catch (error) {
        finish('error');
        throw error;
      }
    },
    budgets: () => guard.status(),
    async setBudgets(rules) {
      const parsedRules = z.array(budgetRuleSchema).parse(rules);
      await monitor.flush();
      // Seed the new rules aside, then swap them in at once: no call is admitted against an unseeded budget.
      const next = new BudgetGuard(withIds(parsedRules), clock, onBudgetEvent);
      await seedBudgets(next);
      guard.adopt(next);
      return guard.status();
    },
    onAlert(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async summary(opts = {}) {
      await monitor.flush();
      const now = clock.now();
      const d = new Date(now);
      const from = opts.from ?? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
      const to = opts.to ?? now + 1;
      const [entries, queries] = await Promise.all([ledger.query({ from, to }), ledger.queries({ from, to })]);
      return summarizeUsage({ from, to, generatedAt: now, entries, queries, budgets: guard.status(), priceTable: prices.table });
    },
    async metrics() {
      return metrics ? metrics.registry.metrics() : '';
    },
    async flush() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
    async close() {
      await monitor.flush();
      if (ownsLedger) await ledger.close();
    },
  };
  return monitor;
}
