import type { ChatModelV1, EmbedderV1, RerankerV1, UsageEvent } from '@ragbridge/core-interfaces';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { systemClock } from '../clock.js';
import { AlertEngine } from '../internal/alert-engine.js';
import type { BudgetEvent } from '../internal/budget-guard.js';
import { inProcessAlertState } from '../internal/in-process-alert-state.js';
import { clockSchema, parseOptions } from '../internal/options.js';
import { openSqliteLedger } from '../ledger/sqlite-ledger.js';
import type { CallStatus, LedgerEntry, UsageLedger } from '../ledger/usage-ledger.js';
import { endpointKey } from '../prices/endpoint-uptime.js';
import { createPriceBook, type PriceBook, type PriceBookOptions } from '../prices/price-book.js';
import { AlertNotifier } from './alert-notifier.js';
import type { AlertState } from './alert-state.js';
import { alertOptionsSchema, type CostAlert } from './alerts.js';
import { BudgetPolicy, budgetEventMessage } from './budget-policy.js';
import type { BudgetReservations } from './budget-reservations.js';
import { budgetRuleSchema, type BudgetRule, type BudgetStatus, type FallbackStepInfo } from './budgets.js';
import { CallPricer } from './call-pricer.js';
import { MetricsExporter } from './metrics-exporter.js';
import { MonitoredModels, type MonitoredModelOptions } from './monitored-models.js';
import { summarizeUsage, type UsageSummary } from './summary.js';
import { UsageRecorder } from './usage-recorder.js';

const isLedger = (v: unknown): v is UsageLedger =>
  typeof v === 'object' && v !== null && typeof (v as UsageLedger).append === 'function' && typeof (v as UsageLedger).totals === 'function';
const hasVersion = (v: unknown, methods: readonly string[]): boolean =>
  typeof v === 'object' && v !== null && (v as { specificationVersion?: unknown }).specificationVersion === 'v1' && methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function');

const costMonitorOptionsSchema = z.strictObject({
  /** Where usage is recorded: a SQLite file path (opened with `openSqliteLedger`) or any {@link UsageLedger}. */
  ledger: z.union([z.string().min(1), z.custom<UsageLedger>(isLedger, 'must be a UsageLedger')]),
  /** A {@link PriceBook}, or options for `createPriceBook` (the built-in table plus your overrides). @default createPriceBook() */
  prices: z.custom<PriceBook | PriceBookOptions>((v) => typeof v === 'object' && v !== null, 'must be a PriceBook or PriceBookOptions').optional(),
  /** Limits per day or month, in US dollars or tokens, overall or per backend or caller. @default [] */
  budgets: z.array(budgetRuleSchema).optional(),
  /**
   * Where budgets keep their spend and reservations and admit calls. Give a shared one (e.g.
   * `openPostgresCostState().reservations`) so several processes share one budget.
   * @default in this process's memory
   */
  reservations: z
    .custom<BudgetReservations>((v) => hasVersion(v, ['usage', 'seed', 'reserve', 'settle', 'addSpend']), 'must be a BudgetReservations (specificationVersion v1)')
    .optional(),
  /**
   * Who sends the alerts that fire once per window (cost thresholds, budgets exhausted and
   * restored). Give a shared one (e.g. `openPostgresCostState().alertState`) so several processes
   * send each such alert once between them. @default decided in this process
   */
  alertState: z.custom<AlertState>((v) => hasVersion(v, ['costThreshold', 'claim']), 'must be an AlertState (specificationVersion v1)').optional(),
  /** Alert thresholds and delivery. @default $25 a month, 5% errors, 15 s p95 latency */
  alerts: alertOptionsSchema.optional(),
  /** @default the system clock */
  clock: clockSchema.optional(),
  /**
   * Calls to a paid model without a known price: `allow` them (reported as unknown price, not
   * counted by dollar budgets) or `block` them with `BudgetExceededError`. @default 'allow'
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

/** Options of {@link CostMonitor.summary}. */
export interface SummaryOptions {
  /** Window start (epoch ms, inclusive). @default the start of the current UTC month */
  from?: number;
  /** Window end (exclusive). @default now */
  to?: number;
}

/**
 * The cost monitor: wraps models, keeps the ledger, enforces budgets, raises alerts. It is
 * composed of a usage recorder (ledger rows, query and caller scopes), a budget policy, an alert
 * notifier (listeners, log, webhook) and a metrics exporter (Prometheus).
 */
export interface CostMonitor {
  /** A chat model that records every call (streams included), prices it and checks budgets first. */
  wrapChat(model: ChatModelV1, options?: MonitoredModelOptions): ChatModelV1;
  /** An embedder that records, prices and checks budgets. */
  wrapEmbedder(embedder: EmbedderV1, options?: MonitoredModelOptions): EmbedderV1;
  /** A reranker that records, prices and checks budgets. */
  wrapReranker(reranker: RerankerV1, options?: MonitoredModelOptions): RerankerV1;
  /**
   * Records a usage event that did not go through a wrapper (e.g. a cache hit: `onHit` of the
   * `@ragbridge/caches` caches), priced and counted against budgets. Returns the ledger row.
   */
  record(usage: UsageEvent, details?: { status?: CallStatus; errorName?: string; at?: number }): LedgerEntry;
  /**
   * Runs `fn` as one tracked query: calls made inside it carry its id, and its latency (on the
   * monitor's clock) and outcome are recorded, for cost and model calls per query.
   */
  trackQuery<T>(fn: () => Promise<T>, options?: { id?: string }): Promise<T>;
  /**
   * Runs `fn` for a caller (e.g. the id of the API key a request came with): the calls made inside
   * it carry `caller` in the ledger, and budgets with that `caller` count and limit them.
   */
  asCaller<T>(caller: string, fn: () => Promise<T>): Promise<T>;
  /**
   * For the resilience package's fallback chain (`stepFilter`): false for a paid, non-local step
   * while a `downgrade` budget that counts its backend (and the current caller) is exhausted, true
   * otherwise. Local and free ($0) steps always pass; unpriced steps pass unless `unknownPrice` is `block`.
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

/** The newest ledger rows looked at to find when each endpoint billed by the hour was last called. */
const UPTIME_LOOKBACK_ROWS = 5000;

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
    parsed.prices && typeof (parsed.prices as PriceBook).quote === 'function' ? (parsed.prices as PriceBook) : createPriceBook((parsed.prices ?? {}) as PriceBookOptions);

  const pricer = new CallPricer(prices);
  const recorder = new UsageRecorder(ledger, clock);
  const alertState = parsed.alertState ?? inProcessAlertState;
  let exporter: MetricsExporter | undefined;
  const notifier = new AlertNotifier({
    webhook: parsed.alerts?.webhook,
    log: parsed.alerts?.log,
    track: (delivery) => recorder.track(delivery),
    onWebhookFailure: () => exporter?.onWebhookFailure(),
  });
  /** Keeps a shared store's work for `flush()`; its failure becomes a `ledger-error` alert (the call itself went through). */
  const background = (work: Promise<unknown>, what: string): void =>
    recorder.track(work.catch((error: unknown) => notifier.notify({ kind: 'ledger-error', at: clock.now(), error: String(error), message: `${what} failed: ${String(error)}` })));
  const budgetEvent = (event: BudgetEvent): void => {
    const claimed = alertState.claim(`${event.kind}:${event.budgetKey}`, event.status.windowStart);
    const send = (ok: boolean): void => {
      if (ok) notifier.notify({ kind: event.kind, at: clock.now(), budget: event.status, message: budgetEventMessage(event) });
    };
    if (claimed === true || claimed === false) send(claimed);
    else background(claimed.then(send), 'Claiming a budget alert');
  };
  const policy = await BudgetPolicy.create({
    rules: parsed.budgets ?? [],
    pricer,
    ledger,
    clock,
    blockUnknown: parsed.unknownPrice === 'block',
    estimatedOutputTokens: parsed.estimatedOutputTokens ?? 512,
    onEvent: budgetEvent,
    reservations: parsed.reservations,
  });
  const alertRules = new AlertEngine(parsed.alerts ?? {}, { clock, emit: (alert) => notifier.notify(alert), state: alertState, background });
  for (const w of alertRules.seedWindows()) {
    const totals = await ledger.totals({ from: w.from, to: w.to, ...(w.backend !== undefined && { backend: w.backend }) });
    alertRules.seed(w.index, totals.costUsd);
  }
  await seedUptime(pricer, ledger, clock.now());

  if (parsed.metrics !== false) {
    exporter = new MetricsExporter(parsed.metrics?.registry ?? new Registry(), parsed.metrics?.prefix ?? 'ragbridge_', () => policy.status());
    notifier.observe((alert) => exporter?.onAlert(alert));
  }
  recorder.listen({
    entry: (entry, note, written) => {
      exporter?.onEntry(entry);
      alertRules.onEntry(entry, note, written);
    },
    query: (record) => {
      exporter?.onQuery(record);
      alertRules.onQuery(record);
    },
    ledgerError: (error, what) =>
      notifier.notify({ kind: 'ledger-error', at: clock.now(), error: String(error), message: `Recording ${what === 'query' ? 'a query' : 'usage'} in the ledger failed: ${String(error)}` }),
  });
  const models = new MonitoredModels({ recorder, policy, pricer, clock, estimatedOutputTokens: parsed.estimatedOutputTokens ?? 512, background });

  const monitor: CostMonitor = {
    prices,
    ledger,
    registry: exporter?.registry,
    stepFilter: (step) => policy.allows(step, recorder.scope()),
    wrapChat: (model, opts = {}) => models.chat(model, opts),
    wrapEmbedder: (embedder, opts = {}) => models.embedder(embedder, opts),
    wrapReranker: (reranker, opts = {}) => models.reranker(reranker, opts),
    record(usage, details = {}) {
      const at = details.at ?? clock.now();
      const local = prices.isLocal(usage.backend);
      const { entry } = recorder.record(usage, pricer.quote(usage, { local, requests: 1, at }), { status: details.status ?? 'ok', at, ...(details.errorName !== undefined && { errorName: details.errorName }) });
      policy.addSpend(entry, local);
      return entry;
    },
    trackQuery: (fn, opts) => recorder.trackQuery(fn, opts),
    asCaller: (caller, fn) => recorder.asCaller(caller, fn),
    budgets: () => policy.status(),
    async setBudgets(rules) {
      await recorder.flush();
      return policy.replace(rules);
    },
    onAlert: (listener) => notifier.subscribe(listener),
    async summary(opts = {}) {
      await recorder.flush();
      const now = clock.now();
      const d = new Date(now);
      const from = opts.from ?? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
      const to = opts.to ?? now + 1;
      const [entries, queries] = await Promise.all([ledger.query({ from, to }), ledger.queries({ from, to })]);
      return summarizeUsage({ from, to, generatedAt: now, entries, queries, budgets: policy.status(), priceTable: prices.table });
    },
    metrics: async () => (exporter ? exporter.registry.metrics() : ''),
    flush: () => recorder.flush(),
    async close() {
      await recorder.flush();
      if (ownsLedger) await ledger.close();
    },
  };
  return monitor;
}

/**
 * After a restart, the endpoints billed by the hour that are still up: their last calls are in
 * the ledger, so a call now extends their uptime instead of being charged a new idle window.
 */
async function seedUptime(pricer: CallPricer, ledger: UsageLedger, now: number): Promise<void> {
  const rows = await ledger.query({ from: now - 86_400_000, cacheHit: false, limit: UPTIME_LOOKBACK_ROWS });
  for (const row of rows) {
    if (row.status === 'blocked') continue;
    const hourly = pricer.prices.hourly(row);
    if (hourly && now - row.at < hourly.scaleToZeroMs) pricer.uptime.seen(endpointKey(row), row.at);
  }
}
