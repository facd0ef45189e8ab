import type { ModelOperation } from '@ragbridge/core-interfaces';

/** The states of a circuit breaker. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** A failed attempt seen by a retry wrapper. `retryInMs` is absent when it gives up. */
export interface AttemptFailedEvent {
  type: 'attempt-failed';
  /** The wrapped model's key (`backend:modelId`, or the fallback step's key). */
  key: string;
  /** 1 for the first attempt. */
  attempt: number;
  error: unknown;
  /** Delay before the next attempt; absent when this was the last attempt. */
  retryInMs?: number;
  /** Why no further attempt is made. */
  giveUpReason?: 'not-retryable' | 'max-attempts' | 'deadline' | 'retry-after-too-long';
}

/** A circuit breaker changed state. */
export interface CircuitStateEvent {
  type: 'circuit-state';
  key: string;
  from: CircuitState;
  to: CircuitState;
  /** Failure rate in the window when the breaker opened, in [0, 1]. */
  failureRate: number;
}

/** A fallback step failed and the chain moves on (or gives up when it was the last eligible step). */
export interface StepFailedEvent {
  type: 'step-failed';
  operation: ModelOperation;
  step: number;
  key: string;
  error: unknown;
}

/** A fallback step was not tried. */
export interface StepSkippedEvent {
  type: 'step-skipped';
  operation: ModelOperation;
  step: number;
  key: string;
  /** `filtered`: the chain's stepFilter excluded it; `circuit-open`: its breaker rejected the call. */
  reason: 'filtered' | 'circuit-open';
}

/** A fallback step served the call. */
export interface StepServedEvent {
  type: 'step-served';
  operation: ModelOperation;
  step: number;
  key: string;
  streamed: boolean;
}

/** A stream failed after delivering text; the chain ended it with the error instead of switching models. */
export interface StreamInterruptedEvent {
  type: 'stream-interrupted';
  step: number;
  key: string;
  deliveredDeltas: number;
  error: unknown;
}

/** Everything the resilience wrappers report to an `onEvent` listener. */
export type ResilienceEvent =
  | AttemptFailedEvent
  | CircuitStateEvent
  | StepFailedEvent
  | StepSkippedEvent
  | StepServedEvent
  | StreamInterruptedEvent;

/** Receives {@link ResilienceEvent}s; exceptions it throws are ignored. */
export type ResilienceEventListener = (event: ResilienceEvent) => void;
