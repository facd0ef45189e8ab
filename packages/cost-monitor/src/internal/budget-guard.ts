import type { Clock } from '../clock.js';
import type { BudgetClaim, BudgetReservation, BudgetReservations, BudgetReserveOutcome, BudgetUsage, BudgetWindowRef } from '../monitor/budget-reservations.js';
import type { BudgetMode, BudgetRule, BudgetStatus, BudgetUnit } from '../monitor/budgets.js';
import { andThen, type MaybePromise } from './maybe-promise.js';
import { CalendarWindow } from './windows.js';

interface RuleState {
  id: string;
  /** Unique among the rules (see {@link BudgetWindowRef.budgetKey}). */
  key: string;
  mode: BudgetMode;
  unit: BudgetUnit;
  limit: number;
  backend: string | undefined;
  caller: string | undefined;
  window: CalendarWindow;
  /** The current window as the reservations see it (made again when the window moves on). */
  ref: BudgetWindowRef | undefined;
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
  parts: Array<{ state: RuleState; windowStart: number }>;
  /** Where it was reserved, and what (absent when no budget counts the call). */
  reservations?: BudgetReservations;
  reservation?: BudgetReservation;
}

/** A budget event for the alert stream; `budgetKey` tells budgets with the same id apart. */
export type BudgetEvent = { kind: 'budget-exhausted' | 'budget-restored'; status: BudgetStatus; budgetKey: string };

/** The admission decision. */
export type Admission = { ok: true; ticket: BudgetTicket } | { ok: false; status: BudgetStatus };

/** A ticket that holds nothing. */
export const EMPTY_TICKET: BudgetTicket = { parts: [] };

/** A rule with its id filled in, and its key (the id, with `#2`, `#3`… for a repeated id). */
export type IdentifiedRule = BudgetRule & { id: string; key: string };

/**
 * Budget rules over a {@link BudgetReservations}: which budgets count a call, their UTC windows,
 * which refusal to report, and the exhausted and restored events. The reservations hold the
 * numbers and admit calls; the in-process default answers synchronously, so no `await` can run
 * between reading a budget and reserving from it.
 */
export class BudgetGuard {
  private states: RuleState[];

  constructor(
    rules: readonly IdentifiedRule[],
    private readonly clock: Clock,
    private readonly onEvent: (event: BudgetEvent) => void,
    private reservations: BudgetReservations,
  ) {
    this.states = rules.map((rule) => ({
      id: rule.id,
      key: rule.key,
      mode: rule.mode,
      unit: rule.limitTokens !== undefined ? 'tokens' : 'usd',
      limit: rule.limitTokens ?? rule.limitUsd ?? 0,
      backend: rule.backend,
      caller: rule.caller,
      window: new CalendarWindow(rule.window),
      ref: undefined,
      notified: false,
    }));
  }

  /**
   * Takes over the rules of `next` (an operator changed the budgets), already seeded from the
   * ledger, in one synchronous step. Calls admitted under the old rules settle against those.
   */
  adopt(next: BudgetGuard): void {
    this.states = next.states;
    this.reservations = next.reservations;
  }

  /** Whether rule `s` counts `call` (what it spends is added to it). */
  private static counts(s: RuleState, call: BudgetCall): boolean {
    return (s.backend === undefined || s.backend === call.backend) && (s.caller === undefined || s.caller === call.caller) && (s.unit === 'tokens' || !call.local);
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
      return { index, backend: s.backend, caller: s.caller, unit: s.unit, from: s.window.start, to: s.window.end };
    });
  }

  /** Sets the spend of rule `index` found in the ledger; a budget already spent counts as notified. */
  seed(index: number, spent: number): void {
    const state = this.states[index];
    if (!state) return;
    this.reservations.seed(this.ref(state), spent);
    state.notified = spent >= state.limit;
  }

  /**
   * Admits `call`, reserving its estimate from every budget that counts it, or refuses it. A dollar
   * budget reserves nothing for a free or unpriced call and never refuses one.
   */
  admit(call: BudgetCall, estimate: BudgetAmount): MaybePromise<Admission> {
    const now = this.clock.now();
    const counting = this.counting(call);
    if (counting.length === 0) return { ok: true, ticket: EMPTY_TICKET };
    const claims: BudgetClaim[] = counting.map((state) => {
      this.roll(state, now);
      return {
        window: this.ref(state),
        amount: state.unit === 'tokens' ? estimate.tokens : (estimate.usd ?? 0),
        // Only a `block` token budget refuses a local call; a dollar budget never refuses a free or unpriced one.
        enforced: !((call.local && state.mode !== 'block') || (state.unit === 'usd' && !((estimate.usd ?? 0) > 0))),
      };
    });
    const reservations = this.reservations;
    return andThen(reservations.reserve(claims, now), (outcome) => this.decide(counting, outcome, reservations));
  }

  private decide(counting: readonly RuleState[], outcome: BudgetReserveOutcome, reservations: BudgetReservations): Admission {
    if (outcome.ok) {
      const parts = outcome.reservation.claims.map((claim, i) => ({ state: counting[i] as RuleState, windowStart: claim.window.windowStart }));
      return { ok: true, ticket: { parts, reservations, reservation: outcome.reservation } };
    }
    // Report a `block` budget before a `downgrade` one: the call is refused either way.
    let refused: RuleState | undefined;
    for (const index of outcome.refused) {
      const state = counting[index] as RuleState;
      if (!refused || (refused.mode === 'downgrade' && state.mode === 'block')) refused = state;
    }
    const state = refused as RuleState;
    this.notifyExhausted(state);
    return { ok: false, status: this.statusOf(state) };
  }

  /**
   * Replaces a ticket's reservation with what the call actually spent (an unknown price counts as
   * $0). `written` resolves when the call's ledger row is written. Returns the reservations' work
   * still running (a shared store), if any.
   */
  settle(ticket: BudgetTicket, actual: BudgetAmount, written?: Promise<unknown>): void | Promise<void> {
    if (!ticket.reservations || !ticket.reservation) return;
    const spent = ticket.parts.map(({ state }) => (state.unit === 'tokens' ? actual.tokens : (actual.usd ?? 0)));
    const pending = ticket.reservations.settle(ticket.reservation, spent, written);
    for (const part of ticket.parts) {
      const state = part.state;
      // A call that began in a window that has since ended no longer counts anywhere.
      if (state.window.start !== part.windowStart) continue;
      if (this.usageOf(state, ticket.reservations).spent >= state.limit) this.notifyExhausted(state);
    }
    return pending;
  }

  /** Adds what a call that did not go through {@link admit} spent (recorded from elsewhere). */
  addSpend(call: BudgetCall, at: number, spent: BudgetAmount): void {
    const now = this.clock.now();
    for (const state of this.counting(call)) {
      const amount = state.unit === 'tokens' ? spent.tokens : (spent.usd ?? 0);
      if (amount <= 0) continue;
      this.roll(state, now);
      if (!state.window.contains(at)) continue;
      this.reservations.addSpend(this.ref(state), amount);
      if (this.usageOf(state).spent >= state.limit) this.notifyExhausted(state);
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

  private ref(s: RuleState): BudgetWindowRef {
    if (s.ref?.windowStart === s.window.start) return s.ref;
    return (s.ref = {
      budgetKey: s.key,
      window: s.window.window,
      unit: s.unit,
      windowStart: s.window.start,
      windowEnd: s.window.end,
      backend: s.backend,
      caller: s.caller,
      limit: s.limit,
    });
  }

  private usageOf(s: RuleState, reservations: BudgetReservations = this.reservations): BudgetUsage {
    return reservations.usage(this.ref(s), this.clock.now());
  }

  private exhausted(state: RuleState, usage: BudgetUsage = this.usageOf(state)): boolean {
    return usage.spent + usage.reserved >= state.limit;
  }

  private roll(state: RuleState, now: number): void {
    const wasNotified = state.notified;
    if (!state.window.roll(now)) return;
    state.notified = false;
    if (wasNotified) this.onEvent({ kind: 'budget-restored', status: this.statusOf(state), budgetKey: state.key });
  }

  private notifyExhausted(state: RuleState): void {
    if (state.notified) return;
    state.notified = true;
    this.onEvent({ kind: 'budget-exhausted', status: this.statusOf(state), budgetKey: state.key });
  }

  private statusOf(s: RuleState): BudgetStatus {
    const usage = this.usageOf(s);
    const base = {
      id: s.id,
      window: s.window.window,
      ...(s.backend !== undefined && { backend: s.backend }),
      ...(s.caller !== undefined && { caller: s.caller }),
      mode: s.mode,
      inFlight: usage.inFlight,
      windowStart: s.window.start,
      windowEnd: s.window.end,
      exhausted: this.exhausted(s, usage),
    };
    return s.unit === 'tokens'
      ? { ...base, unit: 'tokens', limitTokens: s.limit, spentTokens: usage.spent, reservedTokens: usage.reserved }
      : { ...base, unit: 'usd', limitUsd: s.limit, spentUsd: usage.spent, reservedUsd: usage.reserved };
  }
}
