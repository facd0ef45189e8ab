import { z } from 'zod';
import type { BudgetWindow } from '../clock.js';

/** What happens to calls while a budget is spent. */
export type BudgetMode = 'block' | 'downgrade';

/** What a budget counts: US dollars of paid calls, or tokens (input plus output) of every model call. */
export type BudgetUnit = 'usd' | 'tokens';

/** One spending limit, in US dollars or in tokens. */
export const budgetRuleSchema = z
  .strictObject({
    /** Name used in errors, alerts and metrics. @default `<window>`, with `:<backend>` and `@<caller>` when set */
    id: z.string().min(1).optional(),
    /** The UTC calendar window the limit applies to; spend resets when the next one starts. */
    window: z.enum(['day', 'month']),
    /** USD the window may spend on paid calls. `0` allows local backends only. Give this or `limitTokens`. */
    limitUsd: z.number().nonnegative().finite().optional(),
    /**
     * Tokens (input plus output) the window may use, on every backend the rule counts, local ones
     * included: a spent token budget refuses local model calls too. Give this or `limitUsd`.
     */
    limitTokens: z.number().int().nonnegative().optional(),
    /** Count only calls on this backend (e.g. `hf-inference-providers`); omit for every backend. */
    backend: z.string().min(1).optional(),
    /**
     * Count only calls made for this caller (an API key's id; see `CostMonitor.asCaller`); omit to
     * count every call, whoever makes it.
     */
    caller: z.string().min(1).optional(),
    /**
     * `block`: a call the budget cannot take rejects with `BudgetExceededError`. `downgrade`: the
     * same, and the monitor's `stepFilter` tells a fallback chain to use only its local steps until
     * the window resets.
     */
    mode: z.enum(['block', 'downgrade']),
  })
  .refine((rule) => (rule.limitUsd === undefined) !== (rule.limitTokens === undefined), 'give exactly one of limitUsd and limitTokens');

/** One spending limit; see {@link budgetRuleSchema}. */
export type BudgetRule = z.input<typeof budgetRuleSchema>;

interface BudgetStatusBase {
  id: string;
  window: BudgetWindow;
  backend?: string;
  caller?: string;
  mode: BudgetMode;
  /** Calls admitted and still running. */
  inFlight: number;
  /** Epoch ms of the current window's start and end (exclusive). */
  windowStart: number;
  windowEnd: number;
  /** True while spent plus reserved reaches the limit: calls it counts are refused (or downgraded). */
  exhausted: boolean;
}

/** A budget's state now: a dollar budget's amounts in USD, a token budget's in tokens. */
export type BudgetStatus = BudgetStatusBase &
  (
    | {
        unit: 'usd';
        limitUsd: number;
        /** Cost of finished calls in the current window. */
        spentUsd: number;
        /** Estimated cost of calls admitted and still running. */
        reservedUsd: number;
      }
    | {
        unit: 'tokens';
        limitTokens: number;
        /** Tokens of finished calls in the current window. */
        spentTokens: number;
        /** Estimated tokens of calls admitted and still running. */
        reservedTokens: number;
      }
  );

/** The step of a fallback chain the resilience package asks about before each call. */
export interface FallbackStepInfo {
  index: number;
  backend: string;
  modelId: string;
  local: boolean;
}
