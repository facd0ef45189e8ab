import {
  BadInputError,
  BudgetExceededError,
  isAbortError,
  type CallTarget,
} from '@ragbridge/core-interfaces';
import { z } from 'zod';
import { systemClock } from './clock.js';
import { clockSchema, functionSchema, listenerSchema, parseOptions } from './internal/options.js';
import { emitEvent } from './internal/emit.js';
import { CircuitOpenError, ConcurrencyLimitError } from './resilience-errors.js';
import type { CircuitState } from './resilience-events.js';

const circuitBreakerOptionsSchema = z.strictObject({
  /** Name in events, snapshots and errors, e.g. `hf-inference-providers:openai/gpt-oss-20b`. @default 'circuit' */
  key: z.string().min(1).optional(),
  /** The sliding window failures are counted over, in ms. @default 60_000 */
  windowMs: z.number().int().positive().optional(),
  /** Calls the window must hold before the failure rate can open the circuit (fast failures arrive before slow successes, so small samples overstate the rate). @default 20 */
  minimumCalls: z.number().int().positive().optional(),
  /** Failure rate in (0, 1] at or above which the circuit opens. @default 0.5 */
  failureRateThreshold: z.number().gt(0).max(1).optional(),
  /** How long an open circuit rejects calls before letting a trial call through, in ms. @default 30_000 */
  openMs: z.number().int().nonnegative().optional(),
  /** Successful trial calls (made one at a time) that close a half-open circuit. @default 1 */
  halfOpenSuccesses: z.number().int().positive().optional(),
  /**
   * Which errors count as failures of the backend.
   * @default every error except BadInputError, BudgetExceededError, ConcurrencyLimitError,
   * CircuitOpenError and aborts (the backend was not at fault)
   */
  isFailure: functionSchema<(error: unknown) => boolean>().optional(),
  /** Time source. @default systemClock */
  clock: clockSchema.optional(),
  /** Receives `circuit-state` events. */
  onEvent: listenerSchema.optional(),
});

/** Options of {@link createCircuitBreaker}. */
export type CircuitBreakerOptions = z.input<typeof circuitBreakerOptionsSchema>;

/** A breaker's counters, for health pages and metrics. */
export interface CircuitBreakerSnapshot {
  key: string;
  state: CircuitState;
  /** Calls recorded in the current window. */
  calls: number;
  /** Failures recorded in the current window. */
  failures: number;
  /** failures / calls, 0 when there were no calls. */
  failureRate: number;
  /** When the circuit last opened (epoch ms). */
  openedAt?: number;
  /** When an open circuit lets a trial call through (epoch ms). */
  retryAt?: number;
}

/** A change of state, as `subscribe` listeners receive it. */
export interface CircuitStateChange {
  key: string;
  from: CircuitState;
  to: CircuitState;
  /** Failure rate in the window at the change. */
  failureRate: number;
  at: number;
}

/** Permission to make one call; report its outcome exactly once (later reports are ignored). */
export interface CircuitPermit {
  /** The backend answered. */
  success(): void;
  /** The backend failed. */
  failure(): void;
  /** The call ended without saying anything about the backend (aborted, bad input). */
  release(): void;
}

/**
 * Closed → open after a failure rate over a sliding window → half-open trial → closed.
 * State is read lazily from the clock: an open circuit reports `half-open` once `openMs` passed.
 */
export interface CircuitBreaker {
  readonly key: string;
  readonly state: CircuitState;
  snapshot(): CircuitBreakerSnapshot;
  /** Calls `listener` on every state change; returns the unsubscribe function. */
  subscribe(listener: (change: CircuitStateChange) => void): () => void;
  /** Asks to make a call: returns a permit, or throws {@link CircuitOpenError} naming `target`. */
  acquire(target?: CallTarget): CircuitPermit;
  /** Whether an error counts as a backend failure under this breaker's rule. */
  isFailure(error: unknown): boolean;
  /** Closes the circuit and forgets the window. */
  reset(): void;
}

/** The default failure rule: errors that say nothing about the backend's health do not count. */
export function countsAsBackendFailure(error: unknown): boolean {
  if (isAbortError(error)) return false;
  return !(
    BadInputError.isInstance(error) ||
    BudgetExceededError.isInstance(error) ||
    ConcurrencyLimitError.isInstance(error) ||
    CircuitOpenError.isInstance(error)
  );
}

/** The circuit breaker's defaults: 50% failures among at least 20 calls in 60 s open it for 30 s; one trial success closes it. */
export const BREAKER_DEFAULTS = {
  windowMs: 60_000,
  minimumCalls: 20,
  failureRateThreshold: 0.5,
  openMs: 30_000,
  halfOpenSuccesses: 1,
} as const;

/**
 * Creates a circuit breaker. Use one per backend and model (a {@link ResilienceRegistry} keeps
 * them), wrap a model with {@link withCircuitBreaker}, or call `acquire()` around your own calls.
 */
export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const o = parseOptions(circuitBreakerOptionsSchema, options, 'createCircuitBreaker');
  const key = o.key ?? 'circuit';
  const clock = o.clock ?? systemClock;
  const windowMs = o.windowMs ?? BREAKER_DEFAULTS.windowMs;
  const minimumCalls = o.minimumCalls ?? BREAKER_DEFAULTS.minimumCalls;
  const threshold = o.failureRateThreshold ?? BREAKER_DEFAULTS.failureRateThreshold;
  const openMs = o.openMs ?? BREAKER_DEFAULTS.openMs;
  const halfOpenSuccesses = o.halfOpenSuccesses ?? BREAKER_DEFAULTS.halfOpenSuccesses;
  const isFailure = o.isFailure ?? countsAsBackendFailure;
  const listeners = new Set<(change: CircuitStateChange) => void>();

  let state: CircuitState = 'closed';
  // A generation changes on every transition; outcomes of calls admitted in an older
  // generation (e.g. slow calls that end after the circuit opened) are not counted.
  let generation = 0;
  let outcomes: Array<{ at: number; failed: boolean }> = [];
  let openedAt: number | undefined;
  let trialInFlight = false;
  let trialSuccesses = 0;

  const prune = (): void => {
    const horizon = clock.now() - windowMs;
    if (outcomes.length && (outcomes[0] as { at: number }).at <= horizon) outcomes = outcomes.filter((o2) => o2.at > horizon);
  };
  const counts = (): { calls: number; failures: number; rate: number } => {
    prune();
    const failures = outcomes.reduce((n, x) => n + (x.failed ? 1 : 0), 0);
    return { calls: outcomes.length, failures, rate: outcomes.length ? failures / outcomes.length : 0 };
  };
  const transition = (to: CircuitState): void => {
    const from = state;
    if (from === to) return;
    const rate = counts().rate;
    state = to;
    generation++;
    trialInFlight = false;
    trialSuccesses = 0;
    if (to === 'open') openedAt = clock.now();
    if (to === 'closed') {
      outcomes = [];
      openedAt = undefined;
    }
    const change: CircuitStateChange = { key, from, to, failureRate: rate, at: clock.now() };
    emitEvent(o.onEvent, { type: 'circuit-state', key, from, to, failureRate: rate });
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch {
        // Observers must not break calls.
      }
    }
  };
  const current = (): CircuitState => {
    if (state === 'open' && openedAt !== undefined && clock.now() >= openedAt + openMs) transition('half-open');
    return state;
  };

  const breaker: CircuitBreaker = {
    key,
    get state() {
      return current();
    },
    snapshot() {
      const s = current();
      const { calls, failures, rate } = counts();
      return {
        key,
        state: s,
        calls,
        failures,
        failureRate: rate,
        ...(openedAt !== undefined && { openedAt }),
        ...(s === 'open' && openedAt !== undefined && { retryAt: openedAt + openMs }),
      };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    isFailure,
    reset() {
      transition('closed');
      outcomes = [];
    },
    acquire(target) {
      const s = current();
      const where = target ?? {};
      if (s === 'open') {
        const retryAt = (openedAt ?? clock.now()) + openMs;
        const { rate } = counts();
        throw new CircuitOpenError({
          ...where,
          retryAfterMs: Math.max(0, retryAt - clock.now()),
          message: `Circuit "${key}" is open (failure rate ${Math.round(rate * 100)}%); next trial in ${Math.ceil(Math.max(0, retryAt - clock.now()) / 1000)} s`,
        });
      }
      if (s === 'half-open' && trialInFlight) {
        throw new CircuitOpenError({ ...where, message: `Circuit "${key}" is half-open and its trial call is still running` });
      }
      const trial = s === 'half-open';
      if (trial) trialInFlight = true;
      const admitted = generation;
      let done = false;
      const settle = (outcome: 'success' | 'failure' | 'release'): void => {
        if (done) return;
        done = true;
        if (admitted !== generation) return;
        if (trial) {
          trialInFlight = false;
          if (outcome === 'failure') transition('open');
          else if (outcome === 'success' && ++trialSuccesses >= halfOpenSuccesses) transition('closed');
          return;
        }
        if (outcome === 'release') return;
        outcomes.push({ at: clock.now(), failed: outcome === 'failure' });
        const { calls, rate } = counts();
        if (outcome === 'failure' && calls >= minimumCalls && rate >= threshold) transition('open');
      };
      return { success: () => settle('success'), failure: () => settle('failure'), release: () => settle('release') };
    },
  };
  return breaker;
}
