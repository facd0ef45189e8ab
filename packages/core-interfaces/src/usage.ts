/** The kind of model call a {@link UsageEvent} describes. */
export type ModelOperation = 'chat' | 'embed' | 'rerank';

/**
 * One model call, as every backend reports it. Adapters fill in what the backend told them;
 * the resilience layer sets `fallbackStep`, the cost monitor sets `costUsd` and `cacheHit`.
 */
export interface UsageEvent {
  /** Backend family, e.g. `hf-inference-providers`, `hf-tei`, `ollama`, `transformersjs`. */
  backend: string;
  /** Model id as the caller configured it. */
  modelId: string;
  /** The provider that served the call when the backend routes (e.g. `together`), if known. */
  provider?: string;
  operation: ModelOperation;
  /** True when the call was a stream. */
  streamed: boolean;
  /** Prompt / input tokens. */
  inputTokens: number;
  /** Generated tokens (0 for embeddings and reranking), reasoning included. */
  outputTokens: number;
  /** Of `outputTokens`, those a reasoning model spent on its reasoning, when known. */
  reasoningTokens?: number;
  /** True when the backend did not report token counts and they were estimated from text. */
  tokensEstimated: boolean;
  /** Number of texts embedded or reranked (1 for chat). */
  items: number;
  /** Wall-clock time of the call in milliseconds. */
  latencyMs: number;
  /** Epoch milliseconds when the call started. */
  startedAt: number;
  /** Cost in US dollars; `null` until priced, or when the price is unknown. */
  costUsd: number | null;
  /** True when the answer came from a cache and no backend was called. */
  cacheHit: boolean;
  /** Index of the fallback chain step that served the call (0 = the first choice). */
  fallbackStep: number;
  /** The backend's request id (e.g. HF `x-request-id`), for support tickets. */
  requestId?: string;
}

/** Fields an adapter supplies; the rest get neutral defaults in {@link createUsageEvent}. */
export type UsageEventInit = Pick<UsageEvent, 'backend' | 'modelId' | 'operation' | 'inputTokens' | 'startedAt' | 'latencyMs'> &
  Partial<Omit<UsageEvent, 'backend' | 'modelId' | 'operation' | 'inputTokens' | 'startedAt' | 'latencyMs'>>;

/** Builds a complete {@link UsageEvent} with defaults: not streamed, unpriced, not cached, step 0. */
export function createUsageEvent(init: UsageEventInit): UsageEvent {
  return {
    streamed: false,
    outputTokens: 0,
    tokensEstimated: false,
    items: 1,
    costUsd: null,
    cacheHit: false,
    fallbackStep: 0,
    ...init,
  };
}

/**
 * A rough token count for text whose backend reports none: about one token per 4 characters
 * of English, never fewer than the number of words. Marked as an estimate in usage events.
 */
export function estimateTokens(text: string): number {
  if (text.length === 0) return 0;
  const words = text.split(/\s+/u).filter(Boolean).length;
  return Math.max(words, Math.ceil(text.length / 4));
}
