import { z } from 'zod';
import { systemClock } from './clock.js';
import { timeoutLayer } from './internal/layers.js';
import { clockSchema, parseOptions } from './internal/options.js';
import { stackLayers, targetOf, wrapModel, type AnyModel, type ContractOf } from './internal/runner.js';

const timeoutOptionsSchema = z.strictObject({
  /** Longest a one-shot call may take, and longest a stream may take to its first text, in ms. */
  timeoutMs: z.number().int().positive(),
  /** Longest wait between two parts of a stream, in ms. @default timeoutMs */
  streamIdleTimeoutMs: z.number().int().positive().optional(),
  /** Longest a whole call may take, a stream from its request to its last part, in ms. @default none */
  totalTimeoutMs: z.number().int().positive().optional(),
  /** Time source. @default systemClock */
  clock: clockSchema.optional(),
});

/** Options of {@link withTimeout}. */
export type TimeoutOptions = z.input<typeof timeoutOptionsSchema>;

/**
 * Wraps a model so that a call taking longer than `timeoutMs` is aborted and fails with a
 * retryable RequestTimeoutError, even when the backend ignores its abort signal.
 */
export function withTimeout<M extends AnyModel>(model: M, options: TimeoutOptions): ContractOf<M> {
  const o = parseOptions(timeoutOptionsSchema, options, 'withTimeout');
  return wrapModel(
    model,
    stackLayers([
      timeoutLayer({
        timeoutMs: o.timeoutMs,
        streamIdleTimeoutMs: o.streamIdleTimeoutMs ?? o.timeoutMs,
        totalTimeoutMs: o.totalTimeoutMs,
        clock: o.clock ?? systemClock,
        target: targetOf(model),
      }),
    ]),
  );
}
