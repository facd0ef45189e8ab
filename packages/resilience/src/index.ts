export type { Clock, ManualClock, ManualClockOptions } from './clock.js';
export { createManualClock, systemClock } from './clock.js';
export type {
  CircuitBreaker,
  CircuitBreakerOptions,
  CircuitBreakerSnapshot,
  CircuitPermit,
  CircuitStateChange,
} from './circuit-breaker.js';
export { BREAKER_DEFAULTS, countsAsBackendFailure, createCircuitBreaker } from './circuit-breaker.js';
export type { ConcurrencyLimiter, ConcurrencyLimiterOptions, ConcurrencyLimiterSnapshot } from './concurrency-limiter.js';
export { createConcurrencyLimiter } from './concurrency-limiter.js';
export type { RetryOptions, RetrySettings } from './retry.js';
export { RETRY_DEFAULTS, withRetry } from './retry.js';
export type { TimeoutOptions } from './timeout.js';
export { withTimeout } from './timeout.js';
export type {
  CircuitBreakerSettings,
  ResilientModelOptions,
  WithCircuitBreakerOptions,
  WithConcurrencyLimitOptions,
} from './resilient-model.js';
export { createResilientModel, withCircuitBreaker, withConcurrencyLimit } from './resilient-model.js';
export type { ResilienceRegistry, ResilienceRegistryOptions, ResilienceSnapshot } from './resilience-registry.js';
export { createResilienceRegistry } from './resilience-registry.js';
export type { FallbackChainOptions, FallbackEmbedderOptions, FallbackStep, FallbackStepInfo } from './fallback-chain.js';
export { createFallbackChatModel, createFallbackEmbedder, createFallbackReranker } from './fallback-chain.js';
/** The backends that run on this machine (from the backends table of `@ragbridge/core-interfaces`). */
export { LOCAL_BACKENDS } from '@ragbridge/core-interfaces';
export type { StreamInterruption } from './resilience-errors.js';
export {
  CircuitOpenError,
  ConcurrencyLimitError,
  getStreamInterruption,
  IncompatibleEmbedderError,
  NoEligibleStepError,
} from './resilience-errors.js';
export type {
  AttemptFailedEvent,
  CircuitState,
  CircuitStateEvent,
  ResilienceEvent,
  ResilienceEventListener,
  StepFailedEvent,
  StepServedEvent,
  StepSkippedEvent,
  StreamInterruptedEvent,
} from './resilience-events.js';
