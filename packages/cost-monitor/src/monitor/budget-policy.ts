import type { ModelOperation } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { BudgetGuard, EMPTY_TICKET, type Admission, type BudgetEvent, type BudgetTicket, type IdentifiedRule } from '../internal/budget-guard.js';
import { InProcessBudgetReservations } from '../internal/in-process-reservations.js';
import { andThen, type MaybePromise } from '../internal/maybe-promise.js';
import { usd } from '../internal/options.js';
import type { LedgerEntry, UsageLedger } from '../ledger/usage-ledger.js';
import type { BudgetReservations } from './budget-reservations.js';
import { budgetRuleSchema, type BudgetRule, type BudgetStatus, type FallbackStepInfo } from './budgets.js';
import type { CallPricer } from './call-pricer.js';
import type { CallScope } from './usage-recorder.js';

/** A call asking to be admitted. */
export interface BudgetRequest {
  backend: string;
  modelId: string;
  operation: ModelOperation;
  local: boolean;
  scope: CallScope;
  /** Requests it will send (what `perRequest` prices multiply). */
  requests: number;
  /** Its estimated tokens, worked out only when a budget needs them. */
  tokens: () => { input: number; output: number };
}

/** The admission decision: a ticket to settle when the call ends, or why the call is refused. */
export type BudgetDecision = { ok: true; ticket: BudgetTicket } | { ok: false; message: string; hint: string };

const WINDOW_WORD = { day: 'daily', month: 'monthly' } as const;
const ADMITTED: BudgetDecision = { ok: true, ticket: EMPTY_TICKET };

/** A rule's limit, spend and reservations in its unit, for messages. */
function amounts(s: BudgetStatus): { limit: string; spent: string; reserved: string } {
  if (s.unit === 'usd') return { limit: usd(s.limitUsd), spent: usd(s.spentUsd), reserved: usd(s.reservedUsd) };
  const tokens = (n: number): string => `${Math.round(n).toLocaleString('en-US')} tokens`;
  return { limit: tokens(s.limitTokens), spent: tokens(s.spentTokens), reserved: tokens(s.reservedTokens) };
}

/** The sentence an alert says when a budget runs out or resets. */
export function budgetEventMessage({ kind, status }: BudgetEvent): string {
  const scope = `${status.backend ? ` for ${status.backend}` : ''}${status.caller ? ` of caller "${status.caller}"` : ''}`;
  const { limit, spent } = amounts(status);
  const refused = status.mode === 'block' ? 'blocked' : 'downgraded to local models';
  const which = status.unit === 'tokens' ? 'model calls' : 'paid calls';
  return kind === 'budget-exhausted'
    ? `The ${WINDOW_WORD[status.window]} budget "${status.id}"${scope} of ${limit} is spent (${spent}); ${which} are ${refused} until the window resets.`
    : `The ${WINDOW_WORD[status.window]} budget "${status.id}"${scope} has reset; ${which} are allowed again.`;
}

/**
 * Rules with their ids filled in (`<window>`, `:<backend>` and `@<caller>` when they narrow) and
 * their keys: the id, with `#2`, `#3`… when an earlier rule has the same id.
 */
function identified(rules: ReadonlyArray<z.output<typeof budgetRuleSchema>>): IdentifiedRule[] {
  const seen = new Map<string, number>();
  return rules.map((rule) => {
    const id = rule.id ?? `${rule.window}${rule.backend ? `:${rule.backend}` : ''}${rule.caller ? `@${rule.caller}` : ''}`;
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    return { ...rule, id, key: n === 1 ? id : `${id}#${n}` };
  });
}

/** Options of {@link BudgetPolicy}. */
export interface BudgetPolicyOptions {
  rules: ReadonlyArray<z.output<typeof budgetRuleSchema>>;
  pricer: CallPricer;
  ledger: UsageLedger;
  clock: Clock;
  /** Refuse paid calls to a model without a known price. */
  blockUnknown: boolean;
  /** Output tokens assumed for a chat call that sets no `maxTokens`. */
  estimatedOutputTokens: number;
  /** Budgets running out and resetting, for the alerts. */
  onEvent: (event: BudgetEvent) => void;
  /** Where spend and reservations are kept. @default in this process's memory (a new store whenever the rules change) */
  reservations?: BudgetReservations | undefined;
}

/**
 * Decides whether a call may run under the budgets: estimates its cost and tokens, reserves them
 * (synchronously, see {@link BudgetGuard}), settles the reservation with what the call really spent,
 * and tells a fallback chain which steps a spent `downgrade` budget turns off. It reads the spend
 * already in the ledger when it starts and when the rules change.
 */
export class BudgetPolicy {
  private readonly guard: BudgetGuard;

  private constructor(private readonly options: BudgetPolicyOptions) {
    this.guard = this.newGuard(identified(options.rules));
  }

  /** A policy over `options.rules`, seeded with the current windows' spend from the ledger. */
  static async create(options: BudgetPolicyOptions): Promise<BudgetPolicy> {
    const policy = new BudgetPolicy(options);
    await policy.seed(policy.guard);
    return policy;
  }

  /**
   * Admits a call, reserving its estimate from the budgets that count it, or says why it is
   * refused. Answers synchronously with the in-process reservations.
   */
  admit(call: BudgetRequest): MaybePromise<BudgetDecision> {
    const budgetCall = { backend: call.backend, caller: call.scope.caller, local: call.local };
    const { pricer, blockUnknown } = this.options;
    const covered = this.guard.covers(budgetCall);
    if (call.local && !covered) return ADMITTED;
    if (!call.local && !covered && !blockUnknown) return ADMITTED;
    const t = call.tokens();
    const estimate = call.local
      ? 0
      : pricer.estimate({ backend: call.backend, modelId: call.modelId, inputTokens: t.input, outputTokens: t.output, requests: call.requests }, this.options.clock.now());
    if (estimate === null && blockUnknown) {
      return {
        ok: false,
        message: 'No price is known for this model and unpriced calls are blocked',
        hint: 'Add a price override for the model (prices.overrides) or set unknownPrice to "allow".',
      };
    }
    return andThen(this.guard.admit(budgetCall, { usd: estimate, tokens: t.input + t.output }), (admission) => this.decision(admission, call.local));
  }

  private decision(admission: Admission, local: boolean): BudgetDecision {
    if (admission.ok) return { ok: true, ticket: admission.ticket };
    const s = admission.status;
    const resets = new Date(s.windowEnd).toISOString();
    const { limit, spent, reserved } = amounts(s);
    return {
      ok: false,
      message: `The ${WINDOW_WORD[s.window]} budget "${s.id}" of ${limit} is spent (${spent} spent, ${reserved} reserved by ${s.inFlight} calls in flight)`,
      hint:
        s.mode === 'downgrade' && !local
          ? `This budget downgrades to local models: give the fallback chain monitor.stepFilter so its local steps answer until the window resets at ${resets}.`
          : `Raise the budget, wait for the window to reset at ${resets}, or use ${s.unit === 'tokens' ? 'fewer tokens' : 'local models'}.`,
    };
  }

  /**
   * Replaces a ticket's reservation with what the recorded call spent; `written` resolves when its
   * ledger row is written. Returns the work a shared store still does, if any.
   */
  settle(ticket: BudgetTicket, entry: LedgerEntry, written?: Promise<unknown>): void | Promise<void> {
    return this.guard.settle(ticket, { usd: entry.costUsd, tokens: entry.inputTokens + entry.outputTokens }, written);
  }

  /** Counts a call recorded without admission (e.g. `CostMonitor.record`). */
  addSpend(entry: LedgerEntry, local: boolean): void {
    if (entry.status === 'blocked') return;
    this.guard.addSpend({ backend: entry.backend, caller: entry.caller, local }, entry.at, { usd: entry.costUsd, tokens: entry.inputTokens + entry.outputTokens });
  }

  /**
   * For a fallback chain's `stepFilter`: false for a paid, non-local step while a `downgrade`
   * budget that counts it (for the current caller) is spent. Local and free ($0) steps always
   * pass; unpriced steps pass unless unpriced calls are blocked.
   */
  allows(step: FallbackStepInfo, scope: CallScope): boolean {
    const { pricer, blockUnknown } = this.options;
    if (step.local || pricer.prices.isLocal(step.backend)) return true;
    // Mirror admission: free models are never refused, unpriced ones only when blocked.
    const perCall = pricer.prices.estimate({ backend: step.backend, modelId: step.modelId, inputTokens: 1000, outputTokens: 1000, requests: 1, uptimeHours: 1 });
    if (perCall === 0) return true;
    if (perCall === null) return !blockUnknown;
    return !this.guard.downgraded(step.backend, scope.caller);
  }

  /** Every budget's state now. */
  status(): BudgetStatus[] {
    return this.guard.status();
  }

  /**
   * Replaces the rules (validated like the `budgets` option), seeding their windows with the spend
   * already in the ledger, and returns their state. Invalid rules throw and change nothing.
   */
  async replace(rules: readonly BudgetRule[]): Promise<BudgetStatus[]> {
    const parsed = z.array(budgetRuleSchema).parse(rules);
    // Seed the new rules aside, then swap them in at once: no call is admitted against an unseeded budget.
    const next = this.newGuard(identified(parsed));
    await this.seed(next);
    this.guard.adopt(next);
    return this.guard.status();
  }

  private newGuard(rules: IdentifiedRule[]): BudgetGuard {
    return new BudgetGuard(rules, this.options.clock, this.options.onEvent, this.options.reservations ?? new InProcessBudgetReservations());
  }

  /** Continue where the last process stopped: the spend already in the current windows. */
  private async seed(guard: BudgetGuard): Promise<void> {
    for (const w of guard.seedWindows()) {
      const totals = await this.options.ledger.totals({
        from: w.from,
        to: w.to,
        ...(w.backend !== undefined && { backend: w.backend }),
        ...(w.caller !== undefined && { caller: w.caller }),
      });
      guard.seed(w.index, w.unit === 'tokens' ? totals.inputTokens + totals.outputTokens : totals.costUsd);
    }
  }
}
