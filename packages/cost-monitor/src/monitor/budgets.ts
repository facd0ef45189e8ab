import { z } from 'zod';
import type { BudgetWindow } from '../clock.js';

/** What happens to calls while a budget is spent. */
export type BudgetMode = 'block' | 'downgrade';

/** One spending limit. */
export const budgetRuleSchema = z.strictObject({
  /** Name used in errors, alerts and metrics. @default `<window>` or `<window>:<backend>` */
  id: z.string().min(1).optional(),
  /** The UTC calendar window the limit applies to; spend resets when the next one starts. */
  window: z.enum(['day', 'month']),
  /** USD the window may spend. `0` allows local backends only. */
  limitUsd: z.number().nonnegative().finite(),
  /** Count only calls on this backend (e.g. `hf-inference-providers`); omit for every paid backend. */
  backend: z.string().min(1).optional(),
  /**
   * `block`: a call the budget cannot take rejects with `BudgetExceededError`. `downgrade`: the
   * same, and the monitor's `stepFilter` tells a fallback chain to use only its local steps until
   * the window resets.
   */
  mode: z.enum(['block', 'downgrade']),
});

/** One spending limit; see {@link budgetRuleSchema}. */
export type BudgetRule = z.input<typeof budgetRuleSchema>;

/** A budget's state now. */
export interface BudgetStatus {
  id: string;
  window: BudgetWindow;
  backend?: string;
  mode: BudgetMode;
  limitUsd: number;
  /** Cost of finished calls in the current window. */
  spentUsd: number;
  /** Estimated cost of calls admitted and still running. */
  reservedUsd: number;
  /** Calls admitted and still running. */
  inFlight: number;
  /** Epoch ms of the current window's start and end (exclusive). */
  windowStart: number;
  windowEnd: number;
  /** True while spent plus reserved reaches the limit: paid calls are refused (or downgraded). */
  exhausted: boolean;
}

/** The step of a fallback chain the resilience package asks about before each call. */
export interface FallbackStepInfo {
  index: number;
  backend: string;
  modelId: string;
  local: boolean;
}
