import { createUsageEvent, estimateTokens, ModelLoadingError, type CallTarget, type ModelOperation, type UsageEvent } from '@ragbridge/core-interfaces';

/** The header asking hf-inference (and Inference Endpoints) to hold a request while the model loads instead of answering 503. */
export const WAIT_FOR_MODEL_HEADER = { 'x-wait-for-model': 'true' } as const;

/** The text a warm-up of an embedder or reranker sends. */
export const WARM_UP_TEXT = 'warm-up';

/** Longest a warm-up request may wait for its model to load. */
export const WARM_UP_TIMEOUT_MS = 300_000;

/** What a background warm-up did, for the `onWarmUp` listener. */
export interface HfWarmUpEvent {
  /** `started` when the request goes out; `ready` when the model answered; `failed` when it did not (the error is swallowed). */
  type: 'started' | 'ready' | 'failed';
  backend: string;
  modelId: string;
  /** The router or endpoint the model is served at. */
  endpoint: string;
  /** Milliseconds from the start of the warm-up (not on `started`). */
  latencyMs?: number;
  /** Why it failed (on `failed`). */
  error?: unknown;
  /**
   * The warm-up request's usage (on `ready`), estimated: record it with a cost monitor so that
   * budgets see it too.
   */
  usage?: UsageEvent;
}

/** The warm-up request's size, for its usage event. */
export interface WarmUpCall {
  operation: ModelOperation;
  inputTokens: number;
  outputTokens?: number;
  provider?: string | undefined;
}

/** Receives warm-up events; what it throws is ignored. */
export type HfWarmUpListener = (event: HfWarmUpEvent) => void;

// One warm-up per model and host in the whole process, however many parts or chains share it.
const inFlight = new Map<string, Promise<void>>();

function notify(listener: HfWarmUpListener | undefined, event: HfWarmUpEvent): void {
  try {
    listener?.(event);
  } catch {
    // A listener's bug must not surface anywhere: the warm-up is a side effect.
  }
}

/**
 * Starts `request` in the background unless a warm-up of the same model at the same endpoint is
 * already in flight; returns at once (never blocks the caller). `request` gets a signal that ends
 * it after {@link WARM_UP_TIMEOUT_MS}. Errors are swallowed and reported to `listener`.
 */
export function startWarmUp(
  target: CallTarget & { modelId: string; endpoint: string },
  call: WarmUpCall,
  request: (signal: AbortSignal) => Promise<unknown>,
  listener: HfWarmUpListener | undefined,
): boolean {
  const key = `${target.endpoint}\n${target.modelId}`;
  if (inFlight.has(key)) return false;
  const base = { backend: target.backend, modelId: target.modelId, endpoint: target.endpoint };
  const began = performance.now();
  const startedAt = Date.now();
  notify(listener, { type: 'started', ...base });
  const running = (async () => {
    try {
      await request(AbortSignal.timeout(WARM_UP_TIMEOUT_MS));
      const latencyMs = Math.round(performance.now() - began);
      const usage = createUsageEvent({
        backend: target.backend,
        modelId: target.modelId,
        operation: call.operation,
        inputTokens: call.inputTokens,
        outputTokens: call.outputTokens ?? 0,
        tokensEstimated: true,
        items: 1,
        startedAt,
        latencyMs,
        ...(call.provider && { provider: call.provider }),
      });
      notify(listener, { type: 'ready', ...base, latencyMs, usage });
    } catch (error) {
      notify(listener, { type: 'failed', ...base, latencyMs: Math.round(performance.now() - began), error });
    } finally {
      inFlight.delete(key);
    }
  })();
  inFlight.set(key, running);
  return true;
}

/** The size of an embedder's warm-up (one text) and a reranker's (one pair). */
export const WARM_UP_EMBED: WarmUpCall = { operation: 'embed', inputTokens: estimateTokens(WARM_UP_TEXT), provider: 'hf-inference' };
export const WARM_UP_RERANK: WarmUpCall = { operation: 'rerank', inputTokens: 2 * estimateTokens(WARM_UP_TEXT), provider: 'hf-inference' };

/** The options that turn warm-ups on and observe them. */
export interface WarmUpOptions {
  warmUp?: boolean | undefined;
  onWarmUp?: HfWarmUpListener | undefined;
}

/** After a failure, starts a background warm-up when it was a cold model (503 loading) and `warmUp` is on. */
export function warmUpIfLoading(
  error: unknown,
  options: WarmUpOptions,
  target: CallTarget & { modelId: string; endpoint: string },
  call: WarmUpCall,
  request: (signal: AbortSignal) => Promise<unknown>,
): void {
  if (options.warmUp && ModelLoadingError.isInstance(error)) startWarmUp(target, call, request, options.onWarmUp);
}
