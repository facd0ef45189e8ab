import type { BudgetWindow } from '../clock.js';

/** A cost alert's window, asked about after a priced call was recorded in it. */
export interface CostThresholdCheck {
  /** Names the alert rule: its window, backend and threshold. */
  key: string;
  window: BudgetWindow;
  /** Count only this backend's calls; undefined: every backend. */
  backend?: string | undefined;
  thresholdUsd: number;
  /** Epoch ms (monitor clock) of the window's start and end (exclusive). */
  windowStart: number;
  windowEnd: number;
  /** This process's count of the window's spend, the call included. */
  spentUsd: number;
  /** Resolves when the call's ledger row is written (undefined: already written). */
  written?: Promise<unknown> | undefined;
}

/**
 * What an alert state says about a cost alert's window: spend is below the threshold; it reached
 * the threshold and this process sends the alert (with the spend to report); or the alert was sent
 * already, by this or another process.
 */
export type CostThresholdOutcome = { state: 'below' } | { state: 'send'; spentUsd: number } | { state: 'sent' };

/**
 * Who sends the alerts that fire once per budget or cost window. The default decides in this
 * process; a shared state (`@ragbridge/cost-monitor/postgres`) makes several processes behind a
 * load balancer send each such alert once between them, counting the spend of all of them.
 */
export interface AlertState {
  readonly specificationVersion: 'v1';
  /** A priced call was recorded in a cost alert's window that has not fired here yet: has the threshold been reached, and who alerts? */
  costThreshold(check: CostThresholdCheck): CostThresholdOutcome | Promise<CostThresholdOutcome>;
  /**
   * Claims a once-per-window alert, `key` (e.g. `budget-exhausted:day`) for the window starting at
   * `windowStart`: true for the one caller that sends it.
   */
  claim(key: string, windowStart: number): boolean | Promise<boolean>;
}
