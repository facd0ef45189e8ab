import { z } from 'zod';
import { createCircuitBreaker, type CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
import { systemClock, type Clock } from './clock.js';
import { createConcurrencyLimiter, type ConcurrencyLimiter, type ConcurrencyLimiterOptions } from './concurrency-limiter.js';
import { breakerLayer, limiterLayer, retryLayer, timeoutLayer } from './internal/layers.js';
import { clockSchema, listenerSchema, parseOptions } from './internal/options.js';
import { modelKey, stackLayers, targetOf, wrapModel, type AnyModel, type ContractOf, type Layer } from './internal/runner.js';
import type { ResilienceEventListener } from './resilience-events.js';
import { resolveRetryPolicy, type RetrySettings } from './retry.js';

/** Circuit breaker settings as {@link createResilientModel} and fallback steps take them. */
export type CircuitBreakerSettings = Omit<CircuitBreakerOptions, 'clock' | 'onEvent' | 'key'>;

/** Options of {@link withCircuitBreaker}: a breaker to use (and observe), or options for a new one. */
export type WithCircuitBreakerOptions = CircuitBreakerOptions | { breaker: CircuitBreaker };

/** Options of {@link withConcurrencyLimit}: a limiter to share, or options for a new one. */
export type WithConcurrencyLimitOptions = ConcurrencyLimiterOptions | { limiter: ConcurrencyLimiter };

function isBreaker(value: unknown): value is CircuitBreaker {
  return typeof value === 'object' && value !== null && typeof (value as CircuitBreaker).acquire === 'function' && 'state' in value;
}

function isLimiter(value: unknown): value is ConcurrencyLimiter {
  return typeof value === 'object' && value !== null && typeof (value as ConcurrencyLimiter).acquire === 'function' && !('state' in value);
}

/**
 * Wraps a model with a circuit breaker: after too many failures in the window, calls are rejected
 * at once with CircuitOpenError until a trial call succeeds. Pass `{ breaker }` (from
 * {@link createCircuitBreaker}) to read its state or share it.
 */
export function withCircuitBreaker<M extends AnyModel>(model: M, options: WithCircuitBreakerOptions = {}): ContractOf<M> {
  const breaker = 'breaker' in options ? options.breaker : createCircuitBreaker({ key: modelKey(model), ...options });
  return wrapModel(model, stackLayers([breakerLayer(breaker, targetOf(model))]));
}

/**
 * Wraps a model so that at most `maxConcurrent` of its calls run at once; the others wait in
 * order. Pass `{ limiter }` to share one limiter between all models of a backend.
 */
export function withConcurrencyLimit<M extends AnyModel>(model: M, options: WithConcurrencyLimitOptions): ContractOf<M> {
  const limiter = 'limiter' in options ? options.limiter : createConcurrencyLimiter({ key: model.backend, ...options });
  return wrapModel(model, stackLayers([limiterLayer(limiter, targetOf(model))]));
}

const resilientModelOptionsSchema = z.strictObject({
  /** Retry settings, or `false` for none. @default {} (3 attempts, see withRetry) */
  retry: z.union([z.literal(false), z.record(z.string(), z.unknown())]).optional(),
  /** Breaker settings, a breaker to use, or `false` for none. @default {} (see createCircuitBreaker) */
  breaker: z.union([z.literal(false), z.custom<CircuitBreaker>(isBreaker), z.record(z.string(), z.unknown())]).optional(),
  /** Per-call timeout in ms (see withTimeout). @default none */
  timeoutMs: z.number().int().positive().optional(),
  /** Longest wait between stream parts, in ms. @default timeoutMs */
  streamIdleTimeoutMs: z.number().int().positive().optional(),
  /** Longest one attempt may take in all (a stream to its last part), in ms. @default none */
  totalTimeoutMs: z.number().int().positive().optional(),
  /** Calls in flight at once, a limiter to share, or `false`. @default no limit */
  concurrency: z.union([z.literal(false), z.number().int().positive(), z.custom<ConcurrencyLimiter>(isLimiter)]).optional(),
  /** Time source for every layer. @default systemClock */
  clock: clockSchema.optional(),
  /** Receives attempt and circuit events. */
  onEvent: listenerSchema.optional(),
  /** Name in events and of the breaker. @default `${backend}:${modelId}` */
  key: z.string().min(1).optional(),
});

/** Options of {@link createResilientModel}. */
export interface ResilientModelOptions {
  /** Retry settings, or `false` for none. @default {} (3 attempts, see withRetry) */
  retry?: RetrySettings | false;
  /** Breaker settings, a breaker to use (and observe), or `false` for none. @default {} (see createCircuitBreaker) */
  breaker?: CircuitBreakerSettings | CircuitBreaker | false;
  /** Per-call timeout in ms (see withTimeout). @default none */
  timeoutMs?: number;
  /** Longest wait between stream parts, in ms. @default timeoutMs */
  streamIdleTimeoutMs?: number;
  /** Longest one attempt may take in all (a stream to its last part), in ms. @default none */
  totalTimeoutMs?: number;
  /** Calls in flight at once, a limiter to share, or `false`. @default no limit */
  concurrency?: number | ConcurrencyLimiter | false;
  /** Time source for every layer. @default systemClock */
  clock?: Clock;
  /** Receives attempt and circuit events. */
  onEvent?: ResilienceEventListener;
  /** Name in events and of the breaker. @default `${backend}:${modelId}` */
  key?: string;
}

/** The layers of one resilient model, outermost first: retry, breaker, concurrency, timeout. */
export function resilienceLayers(model: AnyModel, options: ResilientModelOptions): Layer[] {
  const o = parseOptions(resilientModelOptionsSchema, options, 'resilience') as ResilientModelOptions;
  const clock = o.clock ?? systemClock;
  const key = o.key ?? modelKey(model);
  const target = targetOf(model);
  const layers: Layer[] = [];
  if (o.retry !== false) {
    layers.push(retryLayer(resolveRetryPolicy({ ...(o.retry ?? {}), clock, ...(o.onEvent && { onEvent: o.onEvent }) }), target, key));
  }
  if (o.breaker !== false) {
    const breaker = isBreaker(o.breaker)
      ? o.breaker
      : createCircuitBreaker({ ...(o.breaker ?? {}), key, clock, ...(o.onEvent && { onEvent: o.onEvent }) });
    layers.push(breakerLayer(breaker, target));
  }
  if (o.concurrency !== undefined && o.concurrency !== false) {
    const limiter = typeof o.concurrency === 'number' ? createConcurrencyLimiter({ maxConcurrent: o.concurrency, key: model.backend }) : o.concurrency;
    layers.push(limiterLayer(limiter, target));
  }
  const timeoutMs = o.timeoutMs ?? o.totalTimeoutMs;
  if (timeoutMs !== undefined) {
    layers.push(timeoutLayer({ timeoutMs, streamIdleTimeoutMs: o.streamIdleTimeoutMs ?? timeoutMs, totalTimeoutMs: o.totalTimeoutMs, clock, target }));
  }
  return layers;
}

/**
 * Wraps a model with the whole policy in the order that makes each part see what it should:
 * retry (outermost) → circuit breaker → concurrency limit → timeout → the model. Timeouts count
 * as failures for the breaker; waiting for a concurrency slot does not count against the timeout;
 * an open circuit ends the retries at once.
 *
 * @example
 * const embedder = createResilientModel(createTeiEmbedder({ baseUrl }), { timeoutMs: 10_000, concurrency: 4 });
 */
export function createResilientModel<M extends AnyModel>(model: M, options: ResilientModelOptions = {}): ContractOf<M> {
  return wrapModel(model, stackLayers(resilienceLayers(model, options)));
}
