import type { Clock } from '../clock.js';
import type { LedgerEntry, QueryRecord } from '../ledger/usage-ledger.js';
import type { AlertState, CostThresholdOutcome } from '../monitor/alert-state.js';
import type { AlertOptions, CostAlert } from '../monitor/alerts.js';
import { isPromise } from './maybe-promise.js';
import { usd } from './options.js';
import { RollingSamples, WindowedSpend } from './windows.js';

interface Threshold {
  /** Names the rule for a shared alert state. */
  key: string;
  spend: WindowedSpend;
  thresholdUsd: number;
  fired: boolean;
}

/** What the engine needs besides its options. */
export interface AlertEngineParts {
  clock: Clock;
  /** Sends an alert. */
  emit: (alert: CostAlert) => void;
  /** Decides cost alerts (in this process by default, or shared between processes). */
  state: AlertState;
  /** Keeps a shared state's answer for `flush()` and reports its failure. */
  background: (work: Promise<unknown>, what: string) => void;
}

interface SlidingAlert {
  samples: RollingSamples;
  active: boolean;
}

/**
 * Turns recorded calls into alerts: cost thresholds per window, error rate and p95 latency over
 * sliding windows, unknown prices. Each alert fires once per crossing.
 */
export class AlertEngine {
  private readonly thresholds: Threshold[];
  private readonly errors: (SlidingAlert & { maxRate: number; minCalls: number }) | undefined;
  private readonly latency: (SlidingAlert & { maxMs: number; minSamples: number; source: 'calls' | 'queries' }) | undefined;
  private readonly unknownSeen = new Set<string>();
  private readonly clock: Clock;
  private readonly emit: (alert: CostAlert) => void;

  constructor(
    options: AlertOptions,
    private readonly parts: AlertEngineParts,
  ) {
    this.clock = parts.clock;
    this.emit = parts.emit;
    const cost = options.cost ?? [{ window: 'month', thresholdUsd: 25 }];
    this.thresholds = cost.map((c) => ({
      key: `cost-threshold:${c.window}:${c.backend ?? '*'}:${c.thresholdUsd}`,
      spend: new WindowedSpend(c.window, c.backend),
      thresholdUsd: c.thresholdUsd,
      fired: false,
    }));
    if (options.errorRate !== false) {
      const e = options.errorRate ?? {};
      this.errors = { samples: new RollingSamples(e.windowMs ?? 3_600_000), active: false, maxRate: e.maxRate ?? 0.05, minCalls: e.minCalls ?? 20 };
    }
    if (options.latency !== false) {
      const l = options.latency ?? {};
      this.latency = {
        samples: new RollingSamples(l.windowMs ?? 3_600_000),
        active: false,
        maxMs: l.p95Ms ?? 15_000,
        minSamples: l.minSamples ?? 20,
        source: l.source ?? 'calls',
      };
    }
  }

  /** The cost windows to seed from the ledger. */
  seedWindows(): Array<{ index: number; backend: string | undefined; from: number; to: number }> {
    const now = this.clock.now();
    return this.thresholds.map((t, index) => {
      t.spend.roll(now);
      return { index, backend: t.spend.backend, from: t.spend.start, to: t.spend.end };
    });
  }

  /** Sets spend found in the ledger; a threshold already crossed before start does not fire again. */
  seed(index: number, spentUsd: number): void {
    const t = this.thresholds[index];
    if (!t) return;
    t.spend.spent = spentUsd;
    t.fired = spentUsd >= t.thresholdUsd;
  }

  /**
   * Feeds one recorded call; `unknownReason` says why its price is unknown or estimated; `written`
   * resolves when an asynchronous ledger has written it.
   */
  onEntry(entry: LedgerEntry, unknownReason: string | undefined, written?: Promise<unknown>): void {
    const now = this.clock.now();
    if (entry.costUsd !== null && entry.costUsd > 0) this.addCost(entry, now, written);
    if ((entry.priceState === 'unknown' || entry.priceState === 'estimated') && unknownReason !== undefined) this.unknownPrice(entry, unknownReason, now);
    // Only calls that reached a backend say something about its health.
    if (entry.cacheHit || (entry.status !== 'ok' && entry.status !== 'error')) return;
    if (this.errors) {
      this.errors.samples.add(now, entry.status === 'error' ? 1 : 0);
      this.checkErrors(now);
    }
    if (this.latency?.source === 'calls' && entry.status === 'ok') {
      this.latency.samples.add(now, entry.latencyMs);
      this.checkLatency(now);
    }
  }

  /** Feeds one tracked query. */
  onQuery(record: QueryRecord): void {
    if (this.latency?.source !== 'queries' || record.status !== 'ok') return;
    const now = this.clock.now();
    this.latency.samples.add(now, record.latencyMs);
    this.checkLatency(now);
  }

  private addCost(entry: LedgerEntry, now: number, written: Promise<unknown> | undefined): void {
    for (const t of this.thresholds) {
      if (!t.spend.applies(entry.backend)) continue;
      if (t.spend.roll(now)) t.fired = false;
      if (!t.spend.contains(entry.at)) continue;
      t.spend.spent += entry.costUsd ?? 0;
      if (t.fired) continue;
      const windowStart = t.spend.start;
      const outcome = this.parts.state.costThreshold({
        key: t.key,
        window: t.spend.window,
        backend: t.spend.backend,
        thresholdUsd: t.thresholdUsd,
        windowStart,
        windowEnd: t.spend.end,
        spentUsd: t.spend.spent,
        written,
      });
      if (!isPromise(outcome)) this.thresholdAnswered(t, windowStart, outcome, now);
      else this.parts.background(outcome.then((o) => this.thresholdAnswered(t, windowStart, o, this.clock.now())), 'Checking a cost alert');
    }
  }

  /** Marks the threshold fired once the alert is sent (here or elsewhere), and sends it when this process should. */
  private thresholdAnswered(t: Threshold, windowStart: number, outcome: CostThresholdOutcome, now: number): void {
    if (outcome.state === 'below') return;
    // The state sends each window's alert once, even when it answers after the window has moved on.
    if (t.spend.start === windowStart) t.fired = true;
    if (outcome.state === 'sent') return;
    const scope = t.spend.backend ? ` on ${t.spend.backend}` : '';
    this.emit({
      kind: 'cost-threshold',
      at: now,
      window: t.spend.window,
      ...(t.spend.backend !== undefined && { backend: t.spend.backend }),
      thresholdUsd: t.thresholdUsd,
      spentUsd: outcome.spentUsd,
      windowStart,
      message: `Spend this ${t.spend.window}${scope} reached ${usd(outcome.spentUsd)}, over the ${usd(t.thresholdUsd)} alert threshold.`,
    });
  }

  private unknownPrice(entry: LedgerEntry, reason: string, now: number): void {
    const key = `${entry.priceState}\u0000${entry.backend}\u0000${entry.modelId}\u0000${entry.provider ?? ''}`;
    if (this.unknownSeen.has(key)) return;
    this.unknownSeen.add(key);
    const target = {
      backend: entry.backend,
      modelId: entry.modelId,
      ...(entry.provider !== undefined && { provider: entry.provider }),
      reason,
    };
    const calls = `Calls to ${entry.backend} model "${entry.modelId}"${entry.provider ? ` via ${entry.provider}` : ''}`;
    if (entry.priceState === 'estimated') {
      this.emit({ kind: 'estimated-price', at: now, ...target, message: `${calls} are estimated: ${reason}. Add a price for it (prices.overrides) or refresh the prices.` });
      return;
    }
    this.emit({ kind: 'unknown-price', at: now, ...target, message: `${calls} are not priced: ${reason}. Add a price override so budgets count them.` });
  }

  private checkErrors(now: number): void {
    const e = this.errors as NonNullable<typeof this.errors>;
    e.samples.prune(now);
    const calls = e.samples.size;
    const errors = e.samples.sum();
    const rate = calls === 0 ? 0 : errors / calls;
    if (e.active) {
      if (rate <= e.maxRate) e.active = false;
      return;
    }
    if (calls >= e.minCalls && rate > e.maxRate) {
      e.active = true;
      this.emit({
        kind: 'error-rate',
        at: now,
        rate,
        maxRate: e.maxRate,
        calls,
        errors,
        windowMs: e.samples.windowMs,
        message: `${(rate * 100).toFixed(1)}% of ${calls} model calls failed in the last ${Math.round(e.samples.windowMs / 60_000)} min (limit ${(e.maxRate * 100).toFixed(1)}%).`,
      });
    }
  }

  private checkLatency(now: number): void {
    const l = this.latency as NonNullable<typeof this.latency>;
    l.samples.prune(now);
    const p95 = l.samples.percentile(95);
    if (l.active) {
      if (!(p95 > l.maxMs)) l.active = false;
      return;
    }
    if (l.samples.size >= l.minSamples && p95 > l.maxMs) {
      l.active = true;
      this.emit({
        kind: 'latency-p95',
        at: now,
        p95Ms: p95,
        maxMs: l.maxMs,
        samples: l.samples.size,
        windowMs: l.samples.windowMs,
        source: l.source,
        message: `p95 latency of ${l.source} is ${Math.round(p95)} ms over the last ${Math.round(l.samples.windowMs / 60_000)} min (limit ${l.maxMs} ms).`,
      });
    }
  }
}
