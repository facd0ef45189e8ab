import type { BudgetWindow } from '../clock.js';
import type { BudgetUnit } from './budgets.js';

/** One budget's current window: what is counted in it, and its limit. */
export interface BudgetWindowRef {
  /**
   * The budget's key: its id (see `BudgetRule.id`), followed by `#2`, `#3`… when an earlier budget
   * has the same id. Processes with the same budgets share the spend and reservations of a key.
   */
  budgetKey: string;
  window: BudgetWindow;
  unit: BudgetUnit;
  /** Epoch ms (monitor clock) of the window's start and end (exclusive). */
  windowStart: number;
  windowEnd: number;
  /** Ledger rows of this backend only count; undefined: every backend. */
  backend?: string | undefined;
  /** Ledger rows of this caller only count; undefined: every caller. */
  caller?: string | undefined;
  /** The limit, in the budget's unit. */
  limit: number;
}

/** What a budget window holds, in its unit: the spend of finished calls and the reservations of calls in flight. */
export interface BudgetUsage {
  spent: number;
  reserved: number;
  /** Calls holding a reservation. */
  inFlight: number;
}

/** A call's claim on one budget window. */
export interface BudgetClaim {
  window: BudgetWindowRef;
  /** The call's estimate, in the budget's unit (0 for a call the budget counts but does not price). */
  amount: number;
  /** Whether this budget may refuse the call (a dollar budget never refuses a free call, for example). */
  enforced: boolean;
}

/** What an admitted call holds until it settles. */
export interface BudgetReservation {
  /** Unique among the reservations in flight ('' when the implementation needs no id). */
  readonly id: string;
  readonly claims: readonly BudgetClaim[];
}

/** The answer to {@link BudgetReservations.reserve}. */
export type BudgetReserveOutcome =
  | { ok: true; reservation: BudgetReservation }
  /** `refused`: the indexes of the enforced claims whose budget is spent. */
  | { ok: false; refused: number[] };

/**
 * Where the cost monitor's budgets keep their spend and reservations, and who admits a call
 * against them. The default lives in the monitor's memory (one process); a shared implementation
 * (`@ragbridge/cost-monitor/postgres`) lets several processes share one budget.
 *
 * A budget window admits a call while `spent + reserved < limit`; every window a call counts in is
 * reserved from at once, or none is. So concurrent calls see each other's reservations, and a
 * budget is overshot by at most what the calls admitted last really cost beyond the limit.
 */
export interface BudgetReservations {
  readonly specificationVersion: 'v1';
  /**
   * The window's usage as this process knows it now (statuses and the fallback chain's step
   * filter read it synchronously). A shared implementation answers from what it last learned and
   * may refresh in the background when that is older than it allows.
   */
  usage(window: BudgetWindowRef, now: number): BudgetUsage;
  /** Starts a window's count with the spend already in the ledger (at start-up, and when the budgets change). */
  seed(window: BudgetWindowRef, spent: number): void;
  /**
   * Reserves every claim's amount at once, unless an enforced claim's window is spent
   * (`spent + reserved >= limit`); then reserves nothing and says which. `now` is the monitor's clock.
   */
  reserve(claims: readonly BudgetClaim[], now: number): BudgetReserveOutcome | Promise<BudgetReserveOutcome>;
  /**
   * Replaces a reservation with what the call spent (`spent[i]` for `reservation.claims[i]`, in
   * its unit). `written` resolves once the call's ledger row is written: a shared implementation
   * releases the reservation only then, so the call counts at least once at every moment.
   */
  settle(reservation: BudgetReservation, spent: readonly number[], written: Promise<unknown> | undefined): void | Promise<void>;
  /** Adds spend recorded without a reservation (`CostMonitor.record`, e.g. a cache hit) to a window. */
  addSpend(window: BudgetWindowRef, amount: number): void;
}
