import { errorFromException, type CallTarget } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import { parseOptions } from './internal/options.js';
import { ConcurrencyLimitError } from './resilience-errors.js';

const concurrencyLimiterOptionsSchema = z.strictObject({
  /** Calls allowed in flight at once. */
  maxConcurrent: z.number().int().positive(),
  /** Calls allowed to wait for a slot; one more is rejected with ConcurrencyLimitError. @default Infinity */
  maxQueued: z.number().int().nonnegative().optional(),
  /** Name in snapshots and errors, e.g. the backend. @default 'limiter' */
  key: z.string().min(1).optional(),
});

/** Options of {@link createConcurrencyLimiter}. */
export type ConcurrencyLimiterOptions = z.input<typeof concurrencyLimiterOptionsSchema>;

/** A limiter's counters. */
export interface ConcurrencyLimiterSnapshot {
  key: string;
  maxConcurrent: number;
  /** Calls in flight. */
  active: number;
  /** Calls waiting for a slot. */
  queued: number;
}

/** Caps calls in flight; the rest wait in order (first come, first served). */
export interface ConcurrencyLimiter {
  readonly key: string;
  snapshot(): ConcurrencyLimiterSnapshot;
  /**
   * Waits for a slot and returns the function that frees it (call it exactly once). Rejects with
   * the signal's reason when `signal` aborts while waiting, and with {@link ConcurrencyLimitError}
   * when the queue is full.
   */
  acquire(signal?: AbortSignal, target?: CallTarget): Promise<() => void>;
}

/**
 * Creates a limiter. Share one per backend between every model that calls it (a
 * {@link ResilienceRegistry} does), e.g. `maxConcurrent: 1` for an Ollama on a laptop.
 */
export function createConcurrencyLimiter(options: ConcurrencyLimiterOptions): ConcurrencyLimiter {
  const o = parseOptions(concurrencyLimiterOptionsSchema, options, 'createConcurrencyLimiter');
  const key = o.key ?? 'limiter';
  const maxQueued = o.maxQueued ?? Number.POSITIVE_INFINITY;
  let active = 0;
  const queue: Array<{ grant: () => void }> = [];

  const release = (): void => {
    const next = queue.shift();
    if (next) next.grant();
    else active--;
  };
  const releaser = (): (() => void) => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
    };
  };

  return {
    key,
    snapshot: () => ({ key, maxConcurrent: o.maxConcurrent, active, queued: queue.length }),
    acquire(signal, target) {
      const where: CallTarget = target ?? { backend: key };
      if (signal?.aborted) return Promise.reject(errorFromException(signal.reason, where, signal));
      if (active < o.maxConcurrent) {
        active++;
        return Promise.resolve(releaser());
      }
      if (queue.length >= maxQueued) {
        return Promise.reject(
          new ConcurrencyLimitError({
            ...where,
            message: `${o.maxConcurrent} calls are in flight and ${queue.length} are waiting for "${key}"`,
          }),
        );
      }
      return new Promise<() => void>((resolve, reject) => {
        const entry = {
          // The slot passes straight from the releasing call to this one; `active` is unchanged.
          grant: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve(releaser());
          },
        };
        const onAbort = (): void => {
          const index = queue.indexOf(entry);
          if (index >= 0) queue.splice(index, 1);
          reject(errorFromException(signal?.reason, where, signal));
        };
        queue.push(entry);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}
