import { errorFromException, RagbridgeError, RequestTimeoutError, throwIfAborted, type CallTarget } from '@ragbridge/core-interfaces';
import type { CircuitBreaker, CircuitPermit } from '../circuit-breaker.js';
import type { Clock } from '../clock.js';
import type { ConcurrencyLimiter } from '../concurrency-limiter.js';
import { CircuitOpenError } from '../resilience-errors.js';
import type { AttemptFailedEvent, ResilienceEventListener } from '../resilience-events.js';
import { DeadlineScope } from './deadline.js';
import { emitEvent } from './emit.js';
import { observeStream, type Layer, type PartStream } from './runner.js';

/**
 * A stream that opens after its caller gave up (the race was lost to a deadline or an abort) is
 * closed at once, so a backend that ignored its abort signal does not keep a connection open.
 */
function closeLate(opening: Promise<PartStream>): void {
  opening.then(
    (stream) => void stream.close().catch(() => undefined),
    () => undefined,
  );
}

/** Bounds each call: the whole of a one-shot call, and for streams the wait for each part. */
export function timeoutLayer(options: {
  timeoutMs: number;
  streamIdleTimeoutMs: number;
  /** Longest a whole call may take, a stream from its request to its last part. @default none */
  totalTimeoutMs?: number | undefined;
  clock: Clock;
  target: CallTarget;
}): Layer {
  const { timeoutMs, streamIdleTimeoutMs, totalTimeoutMs: total, clock, target } = options;
  const overall = (): string => `Not complete within ${total} ms`;
  /** The countdown for the next wait: its own limit, or what is left of the total when that is less. */
  const countdown = (scope: DeadlineScope, ms: number, started: number): void => {
    const left = total === undefined ? Infinity : total - (clock.now() - started);
    if (left < ms) scope.start(Math.max(0, left), overall);
    else scope.start(ms);
  };
  return (inner) => ({
    async unary(attempt, signal) {
      const scope = new DeadlineScope(signal, clock, target, (ms) => `No response within ${ms} ms`);
      countdown(scope, timeoutMs, clock.now());
      try {
        return await scope.race(inner.unary(attempt, scope.signal));
      } finally {
        scope.dispose();
      }
    },
    async open(attempt, signal) {
      const started = clock.now();
      const scope = new DeadlineScope(signal, clock, target, (ms) => `No stream part within ${ms} ms`);
      countdown(scope, timeoutMs, started);
      let stream: PartStream;
      const opening = inner.open(attempt, scope.signal);
      try {
        stream = await scope.race(opening);
      } catch (error) {
        scope.dispose();
        closeLate(opening);
        throw error;
      }
      scope.stop();
      const guarded: PartStream = {
        first: stream.first,
        async next() {
          countdown(scope, streamIdleTimeoutMs, started);
          try {
            return await scope.race(stream.next());
          } finally {
            scope.stop();
          }
        },
        close: () => stream.close(),
      };
      // The scope stays linked to the caller's signal until the stream ends.
      return observeStream(guarded, () => scope.dispose());
    },
  });
}

/** Holds a slot of `limiter` for the duration of each call (for streams, until they end). */
export function limiterLayer(limiter: ConcurrencyLimiter, target: CallTarget): Layer {
  return (inner) => ({
    async unary(attempt, signal) {
      const release = await limiter.acquire(signal, target);
      try {
        return await inner.unary(attempt, signal);
      } finally {
        release();
      }
    },
    async open(attempt, signal) {
      const release = await limiter.acquire(signal, target);
      try {
        return observeStream(await inner.open(attempt, signal), release);
      } catch (error) {
        release();
        throw error;
      }
    },
  });
}

/** Asks `breaker` before each call and reports how it went. */
export function breakerLayer(breaker: CircuitBreaker, target: CallTarget): Layer {
  const settle = (permit: CircuitPermit, error: unknown, signal: AbortSignal | undefined): void => {
    if (signal?.aborted || !breaker.isFailure(error)) permit.release();
    else permit.failure();
  };
  return (inner) => ({
    async unary(attempt, signal) {
      throwIfAborted(signal, target);
      const permit = breaker.acquire(target);
      try {
        const result = await inner.unary(attempt, signal);
        permit.success();
        return result;
      } catch (error) {
        settle(permit, error, signal);
        throw error;
      }
    },
    async open(attempt, signal) {
      throwIfAborted(signal, target);
      const permit = breaker.acquire(target);
      let stream: PartStream;
      try {
        stream = await inner.open(attempt, signal);
      } catch (error) {
        settle(permit, error, signal);
        throw error;
      }
      return observeStream(stream, (outcome) => {
        // A consumer that stops early still got a working stream.
        if (outcome.kind === 'error') settle(permit, outcome.error, signal);
        else permit.success();
      });
    },
  });
}

/** Resolved retry settings (see `RetryOptions` for each field). */
export interface RetryPolicy {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
  jitter: number;
  deadlineMs: number;
  maxRetryAfterMs: number;
  shouldRetry: ((error: unknown, attempt: number) => boolean) | undefined;
  random: () => number;
  clock: Clock;
  onEvent: ResilienceEventListener | undefined;
}

type Decision = { retry: true; delayMs: number } | { retry: false; reason: NonNullable<AttemptFailedEvent['giveUpReason']> };

/** Whether and when to try again after `error` ended attempt number `attempt`. */
export function retryDecision(policy: RetryPolicy, error: unknown, attempt: number, deadlineAt: number): Decision {
  const retryable = policy.shouldRetry ? policy.shouldRetry(error, attempt) : RagbridgeError.isInstance(error) && error.isRetryable;
  if (!retryable) return { retry: false, reason: 'not-retryable' };
  if (attempt >= policy.maxAttempts) return { retry: false, reason: 'max-attempts' };
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (attempt - 1));
  let delayMs = Math.round(base * (1 - policy.jitter * policy.random()));
  const retryAfterMs = RagbridgeError.isInstance(error) ? error.retryAfterMs : undefined;
  if (retryAfterMs !== undefined) {
    // The server said when to come back: never sooner; and if that is too far off, give up now
    // so that a fallback step can serve instead of this call waiting.
    if (retryAfterMs > policy.maxRetryAfterMs) return { retry: false, reason: 'retry-after-too-long' };
    delayMs = Math.max(delayMs, retryAfterMs);
  }
  if (policy.clock.now() + delayMs >= deadlineAt) return { retry: false, reason: 'deadline' };
  return { retry: true, delayMs };
}

/** Tries again after retryable failures with backoff, within a total deadline. */
export function retryLayer(policy: RetryPolicy, target: CallTarget, key: string): Layer {
  /** `stream`: the result is an open stream, so the scope outlives the loop and a late one is closed. */
  async function loop<T>(
    run: (signal: AbortSignal) => Promise<T>,
    signal: AbortSignal | undefined,
    stream?: { closeLate: (opening: Promise<T>) => void },
  ): Promise<{ value: T; scope: DeadlineScope }> {
    throwIfAborted(signal, target);
    const { clock } = policy;
    const deadlineAt = clock.now() + policy.deadlineMs;
    let attempts = 0;
    const scope = new DeadlineScope(
      signal,
      clock,
      target,
      (ms) => `No success within the ${ms} ms retry deadline (${attempts} attempt${attempts === 1 ? '' : 's'})`,
    );
    scope.start(policy.deadlineMs);
    let previous: unknown;
    try {
      for (let attempt = 1; ; attempt++) {
        attempts = attempt;
        const running = run(scope.signal);
        try {
          const value = await scope.race(running);
          if (stream) scope.stop();
          else scope.dispose();
          return { value, scope };
        } catch (error) {
          if (signal?.aborted || scope.timedOut) {
            stream?.closeLate(running);
            throw error;
          }
          // A circuit that opened because of our own failures: report the failure, not the circuit.
          const reported = CircuitOpenError.isInstance(error) && previous !== undefined ? previous : error;
          const decision = retryDecision(policy, error, attempt, deadlineAt);
          if (!decision.retry) {
            emitEvent(policy.onEvent, { type: 'attempt-failed', key, attempt, error, giveUpReason: decision.reason });
            throw reported;
          }
          emitEvent(policy.onEvent, { type: 'attempt-failed', key, attempt, error, retryInMs: decision.delayMs });
          previous = error;
          try {
            await clock.sleep(decision.delayMs, scope.signal);
          } catch (sleepError) {
            if (signal?.aborted) throw errorFromException(signal.reason, target, signal);
            throw scope.error ?? new RequestTimeoutError({ ...target, message: 'Cancelled while waiting to retry', cause: sleepError });
          }
        }
      }
    } catch (error) {
      scope.dispose();
      throw error;
    }
  }
  return (inner) => ({
    async unary(attempt, signal) {
      return (await loop((s) => inner.unary(attempt, s), signal)).value;
    },
    async open(attempt, signal) {
      const { value, scope } = await loop((s) => inner.open(attempt, s), signal, { closeLate });
      return observeStream(value, () => scope.dispose());
    },
  });
}
