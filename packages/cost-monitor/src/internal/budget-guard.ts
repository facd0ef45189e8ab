import type { Clock } from '../clock.js';
import type { BudgetMode, BudgetRule, BudgetStatus } from '../monitor/budgets.js';
import { WindowedSpend } from './windows.js';

interface RuleState {
  id: string;
  mode: BudgetMode;
  limitUsd: number;
  spend: WindowedSpend;
  reserved: number;
  inFlight: number;
  /** An exhausted notice was sent in this window. */
  notified: boolean;
}

/** What a call holds between admission and settlement. */
export interface BudgetTicket {
  parts: Array<{ state: RuleState; windowStart: number; amount: number }>;
}

/** A budget event for the alert stream. */
export type BudgetEvent = { kind: 'budget-exhausted' | 'budget-restored'; status: BudgetStatus };

/** The admission decision. */
export type Admission = { ok: true; ticket: BudgetTicket } | { ok: false; status: BudgetStatus };

const EMPTY_TICKET: BudgetTicket = { parts: [] };

/**
 * Budget accounting. Admission and settlement are synchronous, so no `await` can run between
 * reading a budget and reserving from it: concurrent calls see each other's reservations, and
 * a budget is overshot by at most the calls already admitted.
 */
export class BudgetGuard {
  private states: RuleState[];

  constructor(
    rules: ReadonlyArray<BudgetRule & { id: string }>,
    private readonly clock: Clock,
    private readonly onEvent: (event: BudgetEvent) => void,
  ) {
    this.states = BudgetGuard.statesOf(rules);
  }

  /**
   * Takes over the rules of `next` (an operator changed the budgets), already seeded from the
   * ledger, in one synchronous step. Calls admitted under the old rules settle against those.
   */
  adopt(next: BudgetGuard): void {
    this.states = next.states;
  }

  private static statesOf(rules: ReadonlyArray<BudgetRule & { id: string }>): RuleState[] {
    return rules.map((rule) => ({
      id: rule.id,
      mode: rule.mode,
      limitUsd: rule.limitUsd,
      spend: new WindowedSpend(rule.window, rule.backend),
      reserved: 0,
      inFlight: 0,
      notified: false,
    }));
  }

  /** True when some budget counts calls on `backend`. */
  covers(backend: string): boolean {
    return this.states.some((s) => s.spend.applies(backend));
  }

  /** The windows to seed from the ledger: rule index, backend filter and window bounds. */
  seedWindows(): Array<{ index: number; backend: string | undefined; from: number; to: number }> {
    const now = this.clock.now();
    return this.states.map((s, index) => {
      this.roll(s, now);
      return { index, backend: s.spend.backend, from: s.spend.start, to: s.spend.end };
    });
  }

  /** Sets the spend of rule `index` found in the ledger; a budget already spent counts as notified. */
  seed(index: number, spentUsd: number): void {
    const state = this.states[index];
    if (!state) return;
    state.spend.spent = spentUsd;
    state.notified = spentUsd >= state.limitUsd;
  }

  /** Admits a call on `backend` reserving `estimate` USD from every budget that counts it, or refuses it. */
  admit(backend: string, estimate: number): Admission {
    const now = this.clock.now();
    let refused: RuleState | undefined;
    for (const state of this.states) {
      if (!state.spend.applies(backend)) continue;
      this.roll(state, now);
      if (this.exhausted(state) && (!refused || (refused.mode === 'downgrade' && state.mode === 'block'))) refused = state;
    }
    if (refused) {
      this.notifyExhausted(refused);
      return { ok: false, status: this.statusOf(refused) };
    }
    const parts: BudgetTicket['parts'] = [];
    for (const state of this.states) {
      if (!state.spend.applies(backend)) continue;
      state.reserved += estimate;
      state.inFlight++;
      parts.push({ state, windowStart: state.spend.start, amount: estimate });
    }
    return { ok: true, ticket: parts.length ? { parts } : EMPTY_TICKET };
  }

  /** Replaces a ticket's reservation with the actual cost (null when unknown: counts as 0). */
  settle(ticket: BudgetTicket, actualUsd: number | null): void {
    for (const part of ticket.parts) {
      const state = part.state;
      // A call that began in a window that has since ended no longer counts anywhere.
      if (state.spend.start !== part.windowStart) continue;
      state.inFlight--;
      state.reserved = state.inFlight === 0 ? 0 : Math.max(0, state.reserved - part.amount);
      state.spend.spent += actualUsd ?? 0;
      if (state.spend.spent >= state.limitUsd) this.notifyExhausted(state);
    }
  }

  /** Adds the cost of a call that did not go through {@link admit} (recorded from elsewhere). */
  addSpend(backend: string, at: number, costUsd: number): void {
    if (costUsd <= 0) return;
    const now = this.clock.now();
    for (const state of this.states) {
      if (!state.spend.applies(backend)) continue;
      this.roll(state, now);
      if (!state.spend.contains(at)) continue;
      state.spend.spent += costUsd;
      if (state.spend.spent >= state.limitUsd) this.notifyExhausted(state);
    }
  }

  /** True while a `downgrade` budget counting `backend` is exhausted. */
  downgraded(backend: string): boolean {
    const now = this.clock.now();
    let result = false;
    for (const state of this.states) {
      if (state.mode !== 'downgrade' || !state.spend.applies(backend)) continue;
      this.roll(state, now);
      if (this.exhausted(state)) result = true;
    }
    return result;
  }

  /** Every budget's state now. */
  status(): BudgetStatus[] {
    const now = this.clock.now();
    return this.states.map((s) => {
      this.roll(s, now);
      return this.statusOf(s);
    });
  }

  private exhausted(state: RuleState): boolean {
    return state.spend.spent + state.reserved >= state.limitUsd;
  }

  private roll(state: RuleState, now: number): void {
    const wasNotified = state.notified;
    if (!state.spend.roll(now)) return;
    state.reserved = 0;
    state.inFlight = 0;
    state.notified = false;
    if (wasNotified) this.onEvent({ kind: 'budget-restored', status: this.statusOf(state) });
  }

  private notifyExhausted(state: RuleState): void {
    if (state.notified) return;
    state.notified = true;
    this.onEvent({ kind: 'budget-exhausted', status: this.statusOf(state) });
  }

  private statusOf(s: RuleState): BudgetStatus {
    return {
      id: s.id,
      window: s.spend.window,
      ...(s.spend.backend !== undefined && { backend: s.spend.backend }),
      mode: s.mode,
      limitUsd: s.limitUsd,
      spentUsd: s.spend.spent,
      reservedUsd: s.reserved,
      inFlight: s.inFlight,
      windowStart: s.spend.start,
      windowEnd: s.spend.end,
      exhausted: this.exhausted(s),
    };
  }
}
