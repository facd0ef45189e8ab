import {
  BadInputError,
  createUsageEvent,
  errorFromException,
  throwIfAborted,
  type RerankOptions,
  type RerankResult,
  type RerankerV1,
} from '@ragbridge/core-interfaces';
import { modelHandleFor } from './internal/model-handle.js';
import type { TransformersModelControls } from './transformers-model-info.js';
import {
  parseOptions,
  TRANSFORMERSJS_BACKEND,
  transformersRerankerOptionsSchema,
  type TransformersRerankerOptions,
} from './transformers-options.js';

/** The cross-encoder used when none is configured: the MS MARCO MiniLM-L-6 cross-encoder in ONNX. */
export const DEFAULT_TRANSFORMERS_RERANKER_MODEL = 'Xenova/ms-marco-MiniLM-L-6-v2';

/** A {@link RerankerV1} running a Transformers.js cross-encoder in a worker thread. */
export interface TransformersReranker extends RerankerV1, TransformersModelControls {}

/**
 * Creates a cross-encoder reranker on Transformers.js: each (query, text) pair goes through the
 * tokenizer as a text pair and a sequence-classification model with one output; the score is the
 * sigmoid of its logit, in [0, 1] (like TEI's `raw_scores: false`). Pairs longer than the model's
 * window are truncated (the end of the text is cut).
 */
export function createTransformersReranker(options: TransformersRerankerOptions = {}): TransformersReranker {
  const parsed = parseOptions(transformersRerankerOptionsSchema, options, 'createTransformersReranker');
  const modelId = parsed.model ?? DEFAULT_TRANSFORMERS_RERANKER_MODEL;
  const maxBatchSize = parsed.maxBatchSize ?? 32;
  const target = { backend: TRANSFORMERSJS_BACKEND, modelId };
  const handle = modelHandleFor('cross-encoder', modelId, parsed, 'q8');

  async function rerank(call: RerankOptions): Promise<RerankResult> {
    const startedAt = Date.now();
    const signal = call.abortSignal;
    try {
      throwIfAborted(signal, target);
      if (typeof call.query !== 'string' || call.query.trim().length === 0) {
        throw new BadInputError({ ...target, message: 'The query is empty; a reranker needs something to score the texts against' });
      }
      const scores: number[] = [];
      let inputTokens = 0;
      for (let start = 0; start < call.texts.length; start += maxBatchSize) {
        const texts = call.texts.slice(start, start + maxBatchSize);
        const result = await handle.get().call({ type: 'rerank', query: call.query, texts }, signal);
        if (result.type !== 'scored') throw new Error(`unexpected worker answer ${result.type}`);
        scores.push(...result.scores);
        inputTokens += result.inputTokens;
      }
      return {
        scores,
        usage: createUsageEvent({
          ...target,
          operation: 'rerank',
          inputTokens,
          items: call.texts.length,
          startedAt,
          latencyMs: Date.now() - startedAt,
        }),
      };
    } catch (error) {
      throw errorFromException(error, target, signal);
    }
  }

  return {
    specificationVersion: 'v1',
    backend: TRANSFORMERSJS_BACKEND,
    modelId,
    maxBatchSize,
    rerank,
    ...handle.controls(),
  };
}
