import { BadInputError, createUsageEvent, estimateTokens, throwIfAborted, type RerankerV1 } from '@ragbridge/core-interfaces';
import { describeRerankerConformance, wordOverlapScore } from '@ragbridge/core-interfaces/testing';

export function createKeywordReranker(): RerankerV1 {
  const target = { backend: 'keyword', modelId: 'overlap-v1' };
  return {
    specificationVersion: 'v1',
    ...target,
    maxBatchSize: 1024,
    async rerank({ query, texts, abortSignal }) {
      throwIfAborted(abortSignal, target);
      if (!query.trim()) throw new BadInputError({ ...target, message: 'query is empty' });
      const startedAt = Date.now();
      const scores = texts.map((text) => wordOverlapScore(query, text));
      const inputTokens = texts.reduce((n, t) => n + estimateTokens(query) + estimateTokens(t), 0);
      return {
        scores,
        usage: createUsageEvent({
          ...target,
          operation: 'rerank',
          inputTokens,
          tokensEstimated: true,
          items: texts.length,
          startedAt,
          latencyMs: Date.now() - startedAt,
        }),
      };
    },
  };
}

// In a vitest file: every promise of the Reranker contract, one line.
describeRerankerConformance('keyword reranker (README example)', { create: createKeywordReranker });
