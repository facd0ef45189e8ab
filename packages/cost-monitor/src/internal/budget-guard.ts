import type { Clock } from '../clock.js';
import type { BudgetMode, BudgetRule, BudgetStatus, BudgetUnit } from '../monitor/budgets.js';
import { WindowedSpend } from './windows.js';

interface RuleState {
  id: string;
  mode: BudgetMode;
  unit: BudgetUnit;
  limit: number;
  caller: string | undefined;
  spend: WindowedSpend;
  reserved: number;
  inFlight: number;
  /** An exhausted notice was sent in this window. */
  notified: boolean;
}

/** A call as budgets see it. */
export interface BudgetCall {
  backend: string;
  /** Whose call it is (an API key's id), if anyone's. */
  caller: string | undefined;
  /** Runs on this machine: dollar budgets never count it, token budgets do. */
  local: boolean;
}

/** What a call costs or is estimated to cost: USD (`null`: unknown) and tokens. */
export interface BudgetAmount {
  usd: number | null;
  tokens: number;
}

/** What a call holds between admission and settlement. */
export interface BudgetTicket {
  parts: Array<{ state: RuleState; windowStart: number; amount: number }>;
}

/** A budget event for the alert stream. */
export type BudgetEvent = { kind: 'budget-exhausted' | 'budget-restored'; status: BudgetStatus };

/** The admission decision. */
export type Admission = { ok: true; ticket: BudgetTicket } | { ok: false; status: BudgetStatus };

/** A ticket that holds nothing. */
export const EMPTY_TICKET: BudgetTicket = { parts: [] };

/** A rule with its id filled in. */
export type IdentifiedRule = BudgetRule & { id: string };

/**
 * Budget accounting. Admission and settlement are synchronous, so no `await` can run between
 * reading a budget and reserving from it: concurrent calls see each other's reservations, and
 * a budget is overshot by at most the calls already admitted.
 */
export class BudgetGuard {
  private states: RuleState[];

  constructor(
    rules: readonly IdentifiedRule[],
    private readonly clock: Clock,
    private readonly onEvent: (event: BudgetEvent) => void,
  ) {
    this.states = rules.map((rule) => ({
      id: rule.id,
      mode: rule.mode,
      unit: rule.limitTokens !== undefined ? 'tokens' : 'usd',
      limit: rule.limitTokens ?? rule.limitUsd ?? 0,
      caller: rule.caller,
      spend: new WindowedSpend(rule.window, rule.backend),
      reserved: 0,
      inFlight: 0,
      notified: false,
    }));
  }

  /**
   * Takes over the rules of `next` (an operator changed the budgets), already seeded from the
   * ledger, in one synchronous step. Calls admitted under the old rules settle against those.
   */
  adopt(next: BudgetGuard): void {
    this.states = next.states;
  }

  /** Whether rule `s` counts `call` (what it spends is added to it). */
  private static counts(s: RuleState, call: BudgetCall): boolean {
    return s.spend.applies(call.backend) && (s.caller === undefined || s.caller === call.caller) && (s.unit === 'tokens' || !call.local);
  }

  /** The rules that count `call`. */
  private counting(call: BudgetCall): RuleState[] {
    return this.states.filter((s) => BudgetGuard.counts(s, call));
  }

  /** True when some budget counts `call`. */
  covers(call: BudgetCall): boolean {
    return this.states.some((s) => BudgetGuard.counts(s, call));
  }

  /** The windows to seed from the ledger: rule index, what it counts, and window bounds. */
  seedWindows(): Array<{ index: number; backend: string | undefined; caller: string | undefined; unit: BudgetUnit; from: number; to: number }> {
    const now = this.clock.now();
    return this.states.map((s, index) => {
      this.roll(s, now);
      return { index, backend: s.spend.backend, caller: s.caller, unit: s.unit, from: s.spend.start, to: s.spend.end };
    });
  }

  /** Sets the spend of rule `index` found in the ledger; a budget already spent counts as notified. */
  seed(index: number, spent: number): void {
    const state = this.states[index];
    if (!state) return;
    state.spend.spent = spent;
    state.notified = spent >= state.limit;
  }

  /**
   * Admits `call`, reserving its estimate from every budget that counts it, or refuses it. A dollar
   * budget reserves nothing for a free or unpriced call and never refuses one.
   */
  admit(call: BudgetCall, estimate: BudgetAmount): Admission {
    const now = this.clock.now();
    const amountOf = (s: RuleState): number => (s.unit === 'tokens' ? estimate.tokens : (estimate.usd ?? 0));
    const counting = this.counting(call);
    let refused: RuleState | undefined;
    for (const state of counting) {
      // Only a `block` token budget refuses a local call; a dollar budget never refuses a free or unpriced one.
      if ((call.local && state.mode !== 'block') || (state.unit === 'usd' && !((estimate.usd ?? 0) > 0))) continue;
      this.roll(state, now);
      if (this.exhausted(state) && (!refused || (refused.mode === 'downgrade' && state.mode === 'block'))) refused = state;
    }
    if (refused) {
      this.notifyExhausted(refused);
      return { ok: false, status: this.statusOf(refused) };
    }
    const parts: BudgetTicket['parts'] = [];
    for (const state of counting) {
      this.roll(state, now);
      const amount = amountOf(state);
      state.reserved += amount;
      state.inFlight++;
      parts.push({ state, windowStart: state.spend.start, amount });
    }
    return { ok: true, ticket: parts.length ? { parts } : EMPTY_TICKET };
  }

  /** Replaces a ticket's reservation with what the call actually spent (an unknown price counts as $0). */
  settle(ticket: BudgetTicket, actual: BudgetAmount): void {
    for (const part of ticket.parts) {
      const state = part.state;
      // A call that began in a window that has since ended no longer counts anywhere.
      if (state.spend.start !== part.windowStart) continue;
      state.inFlight--;
      state.reserved = state.inFlight === 0 ? 0 : Math.max(0, state.reserved - part.amount);
      state.spend.spent += state.unit === 'tokens' ? actual.tokens : (actual.usd ?? 0);
      if (state.spend.spent >= state.limit) this.notifyExhausted(state);
    }
  }

  /** Adds what a call that did not go through {@link admit} spent (recorded from elsewhere). */
  addSpend(call: BudgetCall, at: number, spent: BudgetAmount): void {
    const now = this.clock.now();
    for (const state of this.counting(call)) {
      const amount = state.unit === 'tokens' ? spent.tokens : (spent.usd ?? 0);
      if (amount <= 0) continue;
      this.roll(state, now);
      if (!state.spend.contains(at)) continue;
      state.spend.spent += amount;
      if (state.spend.spent >= state.limit) this.notifyExhausted(state);
    }
  }

  /** True while a `downgrade` budget that counts a paid call on `backend` for `caller` is exhausted. */
  downgraded(backend: string, caller: string | undefined): boolean {
    const now = this.clock.now();
    let result = false;
    for (const state of this.counting({ backend, caller, local: false })) {
      if (state.mode !== 'downgrade') continue;
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
    return state.spend.spent + state.reserved >= state.limit;
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
    const base = {
      id: s.id,
      window: s.spend.window,
      ...(s.spend.backend !== undefined && { backend: s.spend.backend }),
      ...(s.caller !== undefined && { caller: s.caller }),
      mode: s.mode,
      inFlight: s.inFlight,
      windowStart: s.spend.start,
      windowEnd: s.spend.end,
      exhausted: this.exhausted(s),
    };
    return s.unit === 'tokens'
      ? { ...base, unit: 'tokens', limitTokens: s.limit, spentTokens: s.spend.spent, reservedTokens: s.reserved }
      : { ...base, unit: 'usd', limitUsd: s.limit, spentUsd: s.spend.spent, reservedUsd: s.reserved };
  }
}
