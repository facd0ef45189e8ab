import type {
  BudgetClaim,
  BudgetReservation,
  BudgetReservations,
  BudgetReserveOutcome,
  BudgetUsage,
  BudgetWindowRef,
} from '../monitor/budget-reservations.js';

interface Account extends BudgetUsage {
  windowStart: number;
}

/**
 * The default {@link BudgetReservations}: counts in this process's memory, one account per budget
 * for its current window. Everything answers synchronously, so no `await` can run between reading
 * a budget and reserving from it. One instance serves one set of budget rules: when the rules
 * change, a new one starts from the ledger, and calls admitted before settle into the old one.
 */
export class InProcessBudgetReservations implements BudgetReservations {
  readonly specificationVersion = 'v1';
  private readonly accounts = new Map<string, Account>();

  usage(window: BudgetWindowRef): BudgetUsage {
    return this.account(window) ?? { spent: 0, reserved: 0, inFlight: 0 };
  }

  seed(window: BudgetWindowRef, spent: number): void {
    this.accounts.set(window.budgetKey, { windowStart: window.windowStart, spent, reserved: 0, inFlight: 0 });
  }

  reserve(claims: readonly BudgetClaim[]): BudgetReserveOutcome {
    const refused: number[] = [];
    claims.forEach((claim, index) => {
      const u = this.usage(claim.window);
      if (claim.enforced && u.spent + u.reserved >= claim.window.limit) refused.push(index);
    });
    if (refused.length) return { ok: false, refused };
    for (const claim of claims) {
      const account = this.account(claim.window) as Account;
      account.reserved += claim.amount;
      account.inFlight++;
    }
    return { ok: true, reservation: { id: '', claims } };
  }

  settle(reservation: BudgetReservation, spent: readonly number[]): void {
    reservation.claims.forEach((claim, index) => {
      const account = this.accounts.get(claim.window.budgetKey);
      // A call that began in a window that has since ended no longer counts anywhere.
      if (!account || account.windowStart !== claim.window.windowStart) return;
      account.inFlight--;
      account.reserved = account.inFlight === 0 ? 0 : Math.max(0, account.reserved - claim.amount);
      account.spent += spent[index] ?? 0;
    });
  }

  addSpend(window: BudgetWindowRef, amount: number): void {
    const account = this.account(window);
    if (account) account.spent += amount;
  }

  /**
   * Sets a window's numbers to what a shared store says (the PostgreSQL reservations keep their
   * local view in one of these). Ignored for a window older than the one held.
   */
  replace(window: BudgetWindowRef, usage: BudgetUsage): void {
    const account = this.account(window);
    if (!account) return;
    account.spent = usage.spent;
    account.reserved = usage.reserved;
    account.inFlight = usage.inFlight;
  }

  /** The budget's account for `window`, opened empty when the window is newer than the one held; undefined for an older window. */
  private account(window: BudgetWindowRef): Account | undefined {
    const held = this.accounts.get(window.budgetKey);
    if (held && held.windowStart === window.windowStart) return held;
    if (held && held.windowStart > window.windowStart) return undefined;
    const fresh: Account = { windowStart: window.windowStart, spent: 0, reserved: 0, inFlight: 0 };
    this.accounts.set(window.budgetKey, fresh);
    return fresh;
  }
}
