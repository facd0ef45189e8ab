import { createUsageEvent, delegateReranker, type ModelOperation, type RerankerV1, type UsageEvent } from '@ragbridge/core-interfaces';

/**
 * Backends of the steps every chain ends in. They are not models: the configuration names
 * `extractive` (and adds it when missing), the other two are implied by an embedder or reranker
 * chain. The resilience package only knows them as local backends; running them is the
 * composition root's job.
 */
export const TERMINAL_BACKENDS = {
  /** The pipeline's extractive answer: quoted source sentences, no model. */
  answer: 'extractive',
  /** Keyword (BM25) retrieval only, for a question whose query could not be embedded. */
  embedder: 'keyword',
  /** The fused keyword/dense order, kept when no reranker answers. */
  reranker: 'fused-order',
} as const;

/** The usage event of a terminal step: local, free, no tokens; `fallbackStep` says where in the chain it sits. */
export function terminalUsage(backend: string, operation: ModelOperation, fallbackStep: number, items: number, startedAt: number, latencyMs = 0): UsageEvent {
  return createUsageEvent({ backend, modelId: backend, operation, inputTokens: 0, items, startedAt, latencyMs, fallbackStep, costUsd: 0 });
}

/**
 * The last step of a reranker chain: scores that keep the order the candidates came in (the
 * fused keyword/dense order), in (0, 1] and strictly decreasing, so sorting by them changes
 * nothing. It never fails.
 */
export function createFusedOrderReranker(): RerankerV1 {
  return {
    specificationVersion: 'v1',
    backend: TERMINAL_BACKENDS.reranker,
    modelId: TERMINAL_BACKENDS.reranker,
    maxBatchSize: Number.MAX_SAFE_INTEGER,
    async rerank(call) {
      const n = call.texts.length;
      return {
        scores: call.texts.map((_, i) => (n - i) / n),
        usage: terminalUsage(TERMINAL_BACKENDS.reranker, 'rerank', 0, n, Date.now()),
      };
    },
  };
}

/** Calls `onServed` with each rerank result's usage, to notice when the chain reached `fused-order`. */
export function observeReranker(reranker: RerankerV1, onServed: (usage: UsageEvent) => void): RerankerV1 {
  return delegateReranker(reranker, async (call) => {
    const result = await reranker.rerank(call);
    onServed(result.usage);
    return result;
  });
}
