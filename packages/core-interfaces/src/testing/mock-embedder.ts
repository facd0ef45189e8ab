import type { EmbedOptions, EmbedResult, EmbedderIdentity, EmbedderV1 } from '../embedder.js';
import { BadInputError } from '../errors.js';
import { throwIfAborted } from '../http-errors.js';
import { createUsageEvent, estimateTokens } from '../usage.js';
import { MockFaults, simulateFault } from './mock-faults.js';
import { hashEmbedding } from './text-features.js';

/** Options of {@link createMockEmbedder}. */
export interface MockEmbedderOptions {
  /** @default 'mock-embed' */
  modelId?: string;
  /** @default 'mock' */
  backend?: string;
  /** @default 64 */
  dimensions?: number;
  /** @default 16 */
  maxBatchSize?: number;
  /** Characters kept per text; longer texts are truncated like a model's input window. @default 2000 */
  maxInputChars?: number;
  queryPrefix?: string;
  documentPrefix?: string;
  faults?: MockFaults;
}

/** An in-memory embedder with the request log tests read. */
export interface MockEmbedder extends EmbedderV1 {
  /** Texts of every backend request (prefixes applied), one array per request. */
  readonly requests: string[][];
  readonly faults: MockFaults;
}

/**
 * An in-memory {@link EmbedderV1} using hashed word features ({@link hashEmbedding}): texts that
 * share words are close. Splits batches by `maxBatchSize` like a real backend.
 */
export function createMockEmbedder(options: MockEmbedderOptions = {}): MockEmbedder {
  const modelId = options.modelId ?? 'mock-embed';
  const backend = options.backend ?? 'mock';
  const dimensions = options.dimensions ?? 64;
  const maxBatchSize = options.maxBatchSize ?? 16;
  const maxInputChars = options.maxInputChars ?? 2000;
  const faults = options.faults ?? new MockFaults();
  const requests: string[][] = [];
  const target = { backend, modelId, endpoint: 'memory://embed' };
  const identity: EmbedderIdentity = {
    provider: backend,
    modelId,
    revision: 'v1',
    pooling: 'mean',
    normalized: true,
    ...(options.queryPrefix !== undefined && { queryPrefix: options.queryPrefix }),
    ...(options.documentPrefix !== undefined && { documentPrefix: options.documentPrefix }),
  };
  return {
    specificationVersion: 'v1',
    backend,
    modelId,
    identity,
    dimensions,
    maxBatchSize,
    requests,
    faults,
    async embed(call: EmbedOptions): Promise<EmbedResult> {
      throwIfAborted(call.abortSignal, target);
      const startedAt = Date.now();
      const empty = call.texts.findIndex((t) => t.length === 0);
      if (empty >= 0) throw new BadInputError({ ...target, message: `texts[${empty}] is empty` });
      const prefix = (call.inputType === 'query' ? options.queryPrefix : options.documentPrefix) ?? '';
      const embeddings: number[][] = [];
      let inputTokens = 0;
      for (let i = 0; i < call.texts.length; i += maxBatchSize) {
        const batch = call.texts.slice(i, i + maxBatchSize).map((t) => (prefix + t).slice(0, maxInputChars));
        requests.push(batch);
        await simulateFault(faults, target, call.abortSignal);
        for (const text of batch) {
          inputTokens += estimateTokens(text);
          embeddings.push(hashEmbedding(text, dimensions));
        }
      }
      return {
        embeddings,
        usage: createUsageEvent({
          backend,
          modelId,
          operation: 'embed',
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
