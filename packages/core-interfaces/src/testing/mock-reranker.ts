import { BadInputError } from '../errors.js';
import { throwIfAborted } from '../http-errors.js';
import type { RerankOptions, RerankResult, RerankerV1 } from '../reranker.js';
import { createUsageEvent, estimateTokens } from '../usage.js';
import { MockFaults, simulateFault } from './mock-faults.js';
import { wordOverlapScore } from './text-features.js';

/** Options of {@link createMockReranker}. */
export interface MockRerankerOptions {
  /** @default 'mock-rerank' */
  modelId?: string;
  /** @default 'mock' */
  backend?: string;
  /** @default 32 */
  maxBatchSize?: number;
  faults?: MockFaults;
}

/** An in-memory reranker with the request log tests read. */
export interface MockReranker extends RerankerV1 {
  /** The query and texts of every backend request. */
  readonly requests: Array<{ query: string; texts: string[] }>;
  readonly faults: MockFaults;
}

/** An in-memory {@link RerankerV1} scoring by word overlap ({@link wordOverlapScore}). */
export function createMockReranker(options: MockRerankerOptions = {}): MockReranker {
  const modelId = options.modelId ?? 'mock-rerank';
  const backend = options.backend ?? 'mock';
  const maxBatchSize = options.maxBatchSize ?? 32;
  const faults = options.faults ?? new MockFaults();
  const requests: Array<{ query: string; texts: string[] }> = [];
  const target = { backend, modelId, endpoint: 'memory://rerank' };
  return {
    specificationVersion: 'v1',
    backend,
    modelId,
    maxBatchSize,
    requests,
    faults,
    async rerank(call: RerankOptions): Promise<RerankResult> {
      throwIfAborted(call.abortSignal, target);
      const startedAt = Date.now();
      if (call.query.trim() === '') throw new BadInputError({ ...target, message: 'query is empty' });
      const scores: number[] = [];
      let inputTokens = 0;
      for (let i = 0; i < call.texts.length; i += maxBatchSize) {
        const texts = call.texts.slice(i, i + maxBatchSize);
        requests.push({ query: call.query, texts });
        await simulateFault(faults, target, call.abortSignal);
        for (const text of texts) {
          inputTokens += estimateTokens(call.query) + estimateTokens(text);
          scores.push(wordOverlapScore(call.query, text));
        }
      }
      return {
        scores,
        usage: createUsageEvent({
          backend,
          modelId,
          operation: 'rerank',
          inputTokens,
          tokensEstimated: true,
          items: call.texts.length,
          startedAt,
          latencyMs: Date.now() - startedAt,
        }),
      };
    },
  };
}
