/**
 * Where the resilience wrappers get time from. Every wait (backoff, Retry-After, timeouts, open
 * circuits) goes through it, so tests can drive time with {@link createManualClock}.
 */
export interface Clock {
  /** Current time in epoch milliseconds. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds. Rejects with the signal's reason when `signal` aborts first
   * (and at once when it is already aborted).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `Date.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

/** Options of {@link createManualClock}. */
export interface ManualClockOptions {
  /** Epoch milliseconds the clock starts at. @default 1_700_000_000_000 */
  start?: number;
  /**
   * Event-loop turns given to the code under test after each timer fires (and before `run`
   * decides nothing else is going on). @default 5
   */
  settleTurns?: number;
}

/** A clock that only moves when told to; for tests and simulations. */
export interface ManualClock extends Clock {
  /** Due times (epoch ms) of the sleeps still waiting, soonest first. */
  pendingTimers(): number[];
  /**
   * Moves time forward by `ms`, firing the sleeps that fall due in order and letting the code
   * they wake run before the next one fires.
   */
  advance(ms: number): Promise<void>;
  /** Lets pending promise callbacks and immediates run without moving time. */
  settle(): Promise<void>;
  /**
   * Advances time from timer to timer until `promise` settles, then returns its result. Fails
   * when the promise waits while no timer is pending (it waits on something other than the
   * clock) or when more than `maxMs` of clock time would pass.
   */
  run<T>(promise: Promise<T>, options?: { maxMs?: number }): Promise<T>;
}

interface ManualTimer {
  due: number;
  seq: number;
  resolve: () => void;
}

/**
 * A {@link ManualClock}: `now()` stands still until {@link ManualClock.advance} or
 * {@link ManualClock.run} moves it, so tests of backoff, timeouts and circuit breakers never wait.
 *
 * @example
 * const clock = createManualClock();
 * const answer = withRetry(model, { clock }).generate(call);
 * await clock.run(answer); // jumps over the backoff instead of sleeping
 */
export function createManualClock(options: ManualClockOptions = {}): ManualClock {
  let now = options.start ?? 1_700_000_000_000;
  const settleTurns = options.settleTurns ?? 5;
  let seq = 0;
  const timers: ManualTimer[] = [];

  const settle = async (): Promise<void> => {
    for (let i = 0; i < settleTurns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  };

  const soonest = (): ManualTimer | undefined => {
    let best: ManualTimer | undefined;
    for (const t of timers) if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    return best;
  };

  const advance = async (ms: number): Promise<void> => {
    const target = now + Math.max(0, ms);
    // Let code already running schedule its sleeps at the current time before time moves.
    await settle();
    for (;;) {
      const next = soonest();
      if (!next || next.due > target) break;
      timers.splice(timers.indexOf(next), 1);
      now = Math.max(now, next.due);
      next.resolve();
      await settle();
    }
    now = target;
    await settle();
  };

  return {
    now: () => now,
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        const onAbort = (): void => {
          const index = timers.indexOf(timer);
          if (index >= 0) timers.splice(index, 1);
          reject(signal?.reason);
        };
        const timer: ManualTimer = {
          due: now + Math.max(0, ms),
          seq: seq++,
          resolve: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        timers.push(timer);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    pendingTimers: () => timers.map((t) => t.due).sort((a, b) => a - b),
    advance,
    settle,
    async run<T>(promise: Promise<T>, runOptions: { maxMs?: number } = {}): Promise<T> {
      const limit = now + (runOptions.maxMs ?? 24 * 3600_000);
      let settled = false;
      promise.then(
        () => (settled = true),
        () => (settled = true),
      );
      for (;;) {
        await settle();
        if (settled) return promise;
        const next = soonest();
        if (!next) {
          throw new Error('ManualClock.run: the promise is still pending but no sleep is scheduled on the clock; it waits on something else.');
        }
        if (next.due > limit) throw new Error(`ManualClock.run: the promise did not settle within ${runOptions.maxMs ?? 24 * 3600_000} ms of clock time.`);
        await advance(next.due - now);
      }
    },
  };
}
