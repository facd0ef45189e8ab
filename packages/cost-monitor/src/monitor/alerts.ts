import { z } from 'zod';
import type { BudgetWindow } from '../clock.js';
import type { BudgetStatus } from './budgets.js';

const fetchSchema = z.custom<typeof fetch>((value) => typeof value === 'function', 'must be a fetch function');

/** When to alert. Each alert fires once per crossing and re-arms when the value falls back. */
export const alertOptionsSchema = z.strictObject({
  /** Spend thresholds per UTC day or month. @default [{ window: 'month', thresholdUsd: 25 }] */
  cost: z
    .array(
      z.strictObject({
        window: z.enum(['day', 'month']),
        thresholdUsd: z.number().nonnegative().finite(),
        /** Count only this backend; omit for all. */
        backend: z.string().min(1).optional(),
      }),
    )
    .optional(),
  /** Error rate of backend calls over a sliding window; `false` turns it off. @default { maxRate: 0.05, windowMs: 3_600_000, minCalls: 20 } */
  errorRate: z
    .union([
      z.literal(false),
      z.strictObject({
        /** Fraction of calls (0–1) that may fail. @default 0.05 */
        maxRate: z.number().min(0).max(1).optional(),
        /** @default 3_600_000 (one hour) */
        windowMs: z.number().int().positive().optional(),
        /** No alert on fewer calls than this in the window. @default 20 */
        minCalls: z.number().int().positive().optional(),
      }),
    ])
    .optional(),
  /** p95 latency over a sliding window; `false` turns it off. @default { p95Ms: 15000, windowMs: 3_600_000, minSamples: 20, source: 'calls' } */
  latency: z
    .union([
      z.literal(false),
      z.strictObject({
        /** @default 15000 */
        p95Ms: z.number().positive().optional(),
        /** @default 3_600_000 (one hour) */
        windowMs: z.number().int().positive().optional(),
        /** @default 20 */
        minSamples: z.number().int().positive().optional(),
        /** `calls`: model calls that reached a backend; `queries`: queries tracked with `trackQuery`. @default 'calls' */
        source: z.enum(['calls', 'queries']).optional(),
      }),
    ])
    .optional(),
  /** Also write every alert's message to this log: `budget-restored` as info, the others as warnings. */
  log: z
    .custom<{ warn(message: string): void; info(message: string): void }>(
      (v) => typeof (v as { warn?: unknown })?.warn === 'function' && typeof (v as { info?: unknown })?.info === 'function',
      'must have warn() and info()',
    )
    .optional(),
  /** Also POST every alert as JSON to this URL. Failures never affect model calls. */
  webhook: z
    .strictObject({
      url: z.string().refine((value) => /^https?:\/\/\S+$/i.test(value), 'must be an http(s) URL'),
      headers: z.record(z.string(), z.string()).optional(),
      /** @default globalThis.fetch */
      fetch: fetchSchema.optional(),
      /** @default 5000 */
      timeoutMs: z.number().int().positive().optional(),
    })
    .optional(),
});

/** Alert settings; see {@link alertOptionsSchema}. */
export type AlertOptions = z.input<typeof alertOptionsSchema>;

interface AlertBase {
  /** Monitor clock time (epoch ms) when the alert fired. */
  at: number;
  /** One human-readable sentence. */
  message: string;
}

/** Spend in a window crossed a threshold. */
export interface CostThresholdAlert extends AlertBase {
  kind: 'cost-threshold';
  window: BudgetWindow;
  backend?: string;
  thresholdUsd: number;
  spentUsd: number;
  windowStart: number;
}

/** The error rate over the sliding window went above the limit. */
export interface ErrorRateAlert extends AlertBase {
  kind: 'error-rate';
  rate: number;
  maxRate: number;
  calls: number;
  errors: number;
  windowMs: number;
}

/** p95 latency over the sliding window went above the limit. */
export interface LatencyAlert extends AlertBase {
  kind: 'latency-p95';
  p95Ms: number;
  maxMs: number;
  samples: number;
  windowMs: number;
  source: 'calls' | 'queries';
}

/** A call was made to a model with no known price (sent once per backend, model and provider). */
export interface UnknownPriceAlert extends AlertBase {
  kind: 'unknown-price';
  backend: string;
  modelId: string;
  provider?: string;
  reason: string;
}

/**
 * Calls to a model are charged at the highest price listed for it, because the provider that
 * served them has no price or is not known (sent once per backend, model and provider).
 */
export interface EstimatedPriceAlert extends AlertBase {
  kind: 'estimated-price';
  backend: string;
  modelId: string;
  provider?: string;
  reason: string;
}

/** A budget ran out (`budget-exhausted`) or its window reset (`budget-restored`). */
export interface BudgetAlert extends AlertBase {
  kind: 'budget-exhausted' | 'budget-restored';
  budget: BudgetStatus;
}

/** Writing to the ledger (or to a shared budget or alert state) failed; the call itself went through. */
export interface LedgerErrorAlert extends AlertBase {
  kind: 'ledger-error';
  error: string;
}

/** Everything the monitor alerts on. */
export type CostAlert = CostThresholdAlert | ErrorRateAlert | LatencyAlert | UnknownPriceAlert | EstimatedPriceAlert | BudgetAlert | LedgerErrorAlert;
