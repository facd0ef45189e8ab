import { z } from 'zod';
import { createCircuitBreaker, type CircuitBreaker, type CircuitBreakerSnapshot } from './circuit-breaker.js';
import { systemClock, type Clock } from './clock.js';
import { createConcurrencyLimiter, type ConcurrencyLimiter, type ConcurrencyLimiterSnapshot } from './concurrency-limiter.js';
import { clockSchema, listenerSchema, parseOptions } from './internal/options.js';
import type { ResilienceEventListener } from './resilience-events.js';
import type { CircuitBreakerSettings } from './resilient-model.js';

const registryOptionsSchema = z.strictObject({
  /** Time source of every breaker (and of the chains that use this registry). @default systemClock */
  clock: clockSchema.optional(),
  /** Settings of every breaker the registry creates. @default see createCircuitBreaker */
  breaker: z.record(z.string(), z.unknown()).optional(),
  /**
   * Calls in flight per backend, e.g. `{ ollama: 1, transformersjs: 1, 'hf-inference-providers': 8 }`.
   * A number, or `{ maxConcurrent, maxQueued }`. Backends not listed are not limited.
   */
  concurrency: z
    .record(z.string(), z.union([z.number().int().positive(), z.strictObject({ maxConcurrent: z.number().int().positive(), maxQueued: z.number().int().nonnegative().optional() })]))
    .optional(),
  /** Receives `circuit-state` events of every breaker. */
  onEvent: listenerSchema.optional(),
});

/** Options of {@link createResilienceRegistry}. */
export interface ResilienceRegistryOptions {
  /** Time source of every breaker (and of the chains that use this registry). @default systemClock */
  clock?: Clock;
  /** Settings of every breaker the registry creates. @default see createCircuitBreaker */
  breaker?: CircuitBreakerSettings;
  /**
   * Calls in flight per backend, e.g. `{ ollama: 1, transformersjs: 1, 'hf-inference-providers': 8 }`.
   * A number, or `{ maxConcurrent, maxQueued }`. Backends not listed are not limited.
   */
  concurrency?: Record<string, number | { maxConcurrent: number; maxQueued?: number }>;
  /** Receives `circuit-state` events of every breaker. */
  onEvent?: ResilienceEventListener;
}

/** Everything a registry holds, for a health page. */
export interface ResilienceSnapshot {
  breakers: CircuitBreakerSnapshot[];
  limiters: ConcurrencyLimiterSnapshot[];
}

/**
 * The breakers (one per backend and model) and concurrency limiters (one per backend) of an
 * application. Fallback chains built with the same registry share them, so the answer chain and
 * the reranker chain see the same health of `hf-inference-providers`.
 */
export interface ResilienceRegistry {
  readonly clock: Clock;
  /** The breaker for `key` (e.g. `backend:modelId`), created on first use; `settings` apply only then. */
  breaker(key: string, settings?: CircuitBreakerSettings): CircuitBreaker;
  /** The limiter of `backend`, when the registry limits it. */
  limiter(backend: string): ConcurrencyLimiter | undefined;
  /** Every breaker and limiter's counters. */
  snapshot(): ResilienceSnapshot;
}

/** Creates a {@link ResilienceRegistry}. */
export function createResilienceRegistry(options: ResilienceRegistryOptions = {}): ResilienceRegistry {
  const o = parseOptions(registryOptionsSchema, options, 'createResilienceRegistry') as ResilienceRegistryOptions;
  const clock = o.clock ?? systemClock;
  const breakers = new Map<string, CircuitBreaker>();
  const limiters = new Map<string, ConcurrencyLimiter>();
  for (const [backend, limit] of Object.entries(o.concurrency ?? {})) {
    const settings = typeof limit === 'number' ? { maxConcurrent: limit } : limit;
    limiters.set(backend, createConcurrencyLimiter({ ...settings, key: backend }));
  }
  return {
    clock,
    breaker(key, settings) {
      let breaker = breakers.get(key);
      if (!breaker) {
        breaker = createCircuitBreaker({ ...o.breaker, ...settings, key, clock, ...(o.onEvent && { onEvent: o.onEvent }) });
        breakers.set(key, breaker);
      }
      return breaker;
    },
    limiter: (backend) => limiters.get(backend),
    snapshot: () => ({
      breakers: [...breakers.values()].map((b) => b.snapshot()),
      limiters: [...limiters.values()].map((l) => l.snapshot()),
    }),
  };
}
