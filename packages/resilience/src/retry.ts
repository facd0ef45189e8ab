import { z } from 'zod';
import { systemClock } from './clock.js';
import { retryLayer, type RetryPolicy } from './internal/layers.js';
import { clockSchema, functionSchema, listenerSchema, parseOptions } from './internal/options.js';
import { modelKey, stackLayers, targetOf, wrapModel, type AnyModel, type ContractOf } from './internal/runner.js';

/** The retry settings, without the clock and listener (which a fallback chain supplies once). */
export const retrySettingsShape = {
  /** Attempts in all, the first included; 1 turns retrying off. @default 3 */
  maxAttempts: z.number().int().positive().optional(),
  /** Backoff before the second attempt, in ms. @default 200 */
  initialDelayMs: z.number().nonnegative().optional(),
  /** Longest backoff, in ms. @default 5_000 */
  maxDelayMs: z.number().nonnegative().optional(),
  /** Factor the backoff grows by per attempt. @default 2 */
  multiplier: z.number().min(1).optional(),
  /** Share of each backoff that is randomized (0 = none, 1 = "full jitter"). @default 0.5 */
  jitter: z.number().min(0).max(1).optional(),
  /** Total time for all attempts and waits, in ms; the call fails with RequestTimeoutError after it. @default 30_000 */
  deadlineMs: z.number().int().positive().optional(),
  /**
   * Longest server-requested wait (`Retry-After`, a loading model's `estimated_time`) that is
   * waited out. A longer one ends the retries at once, so a fallback step can serve meanwhile.
   * @default 5_000
   */
  maxRetryAfterMs: z.number().nonnegative().optional(),
  /** Which failures are retried. @default errors whose `isRetryable` is true (429, 503, 5xx, timeouts, unreachable) */
  shouldRetry: functionSchema<(error: unknown, attempt: number) => boolean>().optional(),
  /** Random numbers in [0, 1) for the jitter. @default Math.random */
  random: functionSchema<() => number>().optional(),
};

const retryOptionsSchema = z.strictObject({
  ...retrySettingsShape,
  /** Time source for backoff and the deadline. @default systemClock */
  clock: clockSchema.optional(),
  /** Receives an `attempt-failed` event for every failed attempt. */
  onEvent: listenerSchema.optional(),
  /** Name in events. @default `${backend}:${modelId}` */
  key: z.string().min(1).optional(),
});

/** Options of {@link withRetry}. */
export type RetryOptions = z.input<typeof retryOptionsSchema>;

/** Retry settings as a fallback step or {@link createResilientModel} takes them. */
export type RetrySettings = Omit<RetryOptions, 'clock' | 'onEvent' | 'key'>;

/** The retry defaults: what a setting left out of {@link RetryOptions} (or a configuration's `resilience.retry`) is. */
export const RETRY_DEFAULTS = {
  maxAttempts: 3,
  initialDelayMs: 200,
  maxDelayMs: 5_000,
  multiplier: 2,
  jitter: 0.5,
  deadlineMs: 30_000,
  maxRetryAfterMs: 5_000,
} as const;

/** Applies defaults. */
export function resolveRetryPolicy(options: RetryOptions): RetryPolicy {
  const o = parseOptions(retryOptionsSchema, options, 'retry');
  return {
    maxAttempts: o.maxAttempts ?? RETRY_DEFAULTS.maxAttempts,
    initialDelayMs: o.initialDelayMs ?? RETRY_DEFAULTS.initialDelayMs,
    maxDelayMs: o.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs,
    multiplier: o.multiplier ?? RETRY_DEFAULTS.multiplier,
    jitter: o.jitter ?? RETRY_DEFAULTS.jitter,
    deadlineMs: o.deadlineMs ?? RETRY_DEFAULTS.deadlineMs,
    maxRetryAfterMs: o.maxRetryAfterMs ?? RETRY_DEFAULTS.maxRetryAfterMs,
    shouldRetry: o.shouldRetry,
    random: o.random ?? Math.random,
    clock: o.clock ?? systemClock,
    onEvent: o.onEvent,
  };
}

/**
 * Wraps a chat model, embedder or reranker so that retryable failures (rate limits, loading
 * models, server errors, timeouts, connection failures) are tried again with exponential backoff
 * and jitter. A server's `Retry-After` or `estimated_time` is honoured (never retried sooner);
 * all attempts fit in `deadlineMs`. Streams are retried only before their first text delta.
 *
 * @example
 * const chat = withRetry(createHfChatModel({ model: 'openai/gpt-oss-20b' }), { maxAttempts: 4 });
 */
export function withRetry<M extends AnyModel>(model: M, options: RetryOptions = {}): ContractOf<M> {
  const policy = resolveRetryPolicy(options);
  return wrapModel(model, stackLayers([retryLayer(policy, targetOf(model), options.key ?? modelKey(model))]));
}
