import { RagbridgeError } from '@ragbridge/core-interfaces';

/**
 * A circuit breaker rejected the call without calling the backend: it failed too often recently.
 * `retryAfterMs` says when the breaker lets a trial call through. Not retryable (a retry would be
 * rejected the same way); a fallback chain moves to its next step at once.
 */
export class CircuitOpenError extends RagbridgeError {
  static override readonly errorName: string = 'CircuitOpenError';
  static override readonly defaultMessage: string = 'The circuit breaker is open after repeated failures';
  static override readonly defaultHint: string = 'The backend failed too often recently; it gets a trial call when the open period ends. Configure a fallback step to keep serving meanwhile.';
}

/** A concurrency limiter's queue was full, so the call was not queued. Retryable. */
export class ConcurrencyLimitError extends RagbridgeError {
  static override readonly errorName: string = 'ConcurrencyLimitError';
  static override readonly defaultMessage: string = 'Too many calls are waiting for this backend';
  static override readonly defaultHint: string = 'Lower the request rate, raise maxQueued or maxConcurrent, or add a fallback step.';
  override readonly isRetryable = true;
}

/**
 * An embedder fallback chain was built from embedders whose vectors cannot be mixed: a different
 * model identity (provider, model, revision, pooling, normalization, prefixes) or vector size.
 */
export class IncompatibleEmbedderError extends RagbridgeError {
  static override readonly errorName: string = 'IncompatibleEmbedderError';
  static override readonly defaultMessage: string = 'The embedders of a fallback chain have different model identities';
  static override readonly defaultHint: string =
    'Vectors from another model would corrupt the index. Fall back only to the same model served elsewhere, or let retrieval fall back to keyword search.';
}

/** Every step of a fallback chain was excluded for this call by the chain's `stepFilter`. */
export class NoEligibleStepError extends RagbridgeError {
  static override readonly errorName: string = 'NoEligibleStepError';
  static override readonly defaultMessage: string = 'No step of the fallback chain may serve this call';
  static override readonly defaultHint: string = 'The stepFilter (e.g. a budget that allows only local models) excluded every step; add a local step to the chain.';
}

/** What {@link getStreamInterruption} reports about a stream that failed after delivering text. */
export interface StreamInterruption {
  /** Index of the fallback step that was streaming. */
  step: number;
  backend: string;
  modelId: string;
  /** Text deltas the caller had received before the failure. */
  deliveredDeltas: number;
  /** Characters of text the caller had received before the failure. */
  deliveredChars: number;
}

const INTERRUPTION = Symbol.for('@ragbridge/resilience/stream-interruption');

/** Marks `error` as having ended a stream after text was delivered (no fallback was tried). */
export function markStreamInterruption(error: unknown, interruption: StreamInterruption): void {
  if (typeof error !== 'object' || error === null || Object.isFrozen(error)) return;
  Object.defineProperty(error, INTERRUPTION, { value: interruption, enumerable: false, configurable: true });
}

/**
 * When a fallback chain's stream failed after its first text delta, the chain does not switch
 * models (that would splice two models' text); it ends with the step's own typed error. This
 * returns what had been delivered by then, or `undefined` for any other error.
 */
export function getStreamInterruption(error: unknown): StreamInterruption | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  return (error as Record<symbol, StreamInterruption | undefined>)[INTERRUPTION];
}
