import { createUsageEvent, delegateReranker, TERMINAL_BACKENDS, type ModelOperation, type RerankerV1, type UsageEvent } from '@ragbridge/core-interfaces';

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
