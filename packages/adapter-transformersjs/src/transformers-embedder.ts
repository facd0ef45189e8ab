import {
  BadInputError,
  createUsageEvent,
  errorFromException,
  throwIfAborted,
  type EmbedOptions,
  type EmbedResult,
  type EmbedderIdentity,
  type EmbedderV1,
} from '@ragbridge/core-interfaces';
import { modelHandleFor } from './internal/model-handle.js';
import type { TransformersModelControls } from './transformers-model-info.js';
import {
  parseOptions,
  TRANSFORMERSJS_BACKEND,
  transformersEmbedderOptionsSchema,
  type TransformersEmbedderOptions,
} from './transformers-options.js';

/** The embedding model used when none is configured: sentence-transformers all-MiniLM-L6-v2 (384 dimensions) in ONNX. */
export const DEFAULT_TRANSFORMERS_EMBEDDING_MODEL = 'Xenova/all-MiniLM-L6-v2';

/** An {@link EmbedderV1} running a Transformers.js feature-extraction model in a worker thread. */
export interface TransformersEmbedder extends EmbedderV1, TransformersModelControls {}

/**
 * Creates an embedder on Transformers.js (ONNX Runtime, in-process). The model loads in a worker
 * thread at the first call, from `localModelPath`, the download cache, or (when allowed) the
 * Hugging Face Hub. Vectors are pooled (mean by default, over real tokens only) and normalized;
 * texts longer than the model's window are truncated.
 *
 * The identity's `revision` is `<revision>+<dtype>` (e.g. `main+q8`): quantized and full-precision
 * weights give slightly different vectors, so they must not share a cache or index.
 */
export function createTransformersEmbedder(options: TransformersEmbedderOptions = {}): TransformersEmbedder {
  const parsed = parseOptions(transformersEmbedderOptionsSchema, options, 'createTransformersEmbedder');
  const modelId = parsed.model ?? DEFAULT_TRANSFORMERS_EMBEDDING_MODEL;
  const dtype = parsed.dtype ?? 'q8';
  const revision = parsed.revision ?? 'main';
  const pooling = parsed.pooling ?? 'mean';
  const normalize = parsed.normalize ?? true;
  const maxBatchSize = parsed.maxBatchSize ?? 32;
  const target = { backend: TRANSFORMERSJS_BACKEND, modelId };
  const handle = modelHandleFor('feature-extraction', modelId, { ...parsed, dtype, revision }, dtype);
  const identity: EmbedderIdentity = Object.freeze({
    provider: TRANSFORMERSJS_BACKEND,
    modelId,
    revision: `${revision}+${dtype}`,
    pooling,
    normalized: normalize,
    ...(parsed.queryPrefix !== undefined && { queryPrefix: parsed.queryPrefix }),
    ...(parsed.documentPrefix !== undefined && { documentPrefix: parsed.documentPrefix }),
  });

  async function embed(call: EmbedOptions): Promise<EmbedResult> {
    const startedAt = Date.now();
    const signal = call.abortSignal;
    try {
      throwIfAborted(signal, target);
      const blank = call.texts.findIndex((text) => typeof text !== 'string' || text.trim().length === 0);
      if (blank >= 0) {
        throw new BadInputError({ ...target, message: `texts[${blank}] is empty; every text to embed needs some content` });
      }
      const prefix = (call.inputType === 'query' ? parsed.queryPrefix : parsed.documentPrefix) ?? '';
      const embeddings: number[][] = [];
      let inputTokens = 0;
      for (let start = 0; start < call.texts.length; start += maxBatchSize) {
        const texts = call.texts.slice(start, start + maxBatchSize).map((text) => prefix + text);
        const result = await handle.get().call({ type: 'embed', texts, pooling, normalize }, signal);
        if (result.type !== 'embedded') throw new Error(`unexpected worker answer ${result.type}`);
        for (let row = 0; row < texts.length; row++) {
          embeddings.push(Array.from(result.vectors.subarray(row * result.dimensions, (row + 1) * result.dimensions)));
        }
        inputTokens += result.inputTokens;
      }
      return {
        embeddings,
        usage: createUsageEvent({
          ...target,
          operation: 'embed',
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
    identity,
    get dimensions() {
      return handle.info()?.dimensions;
    },
    maxBatchSize,
    embed,
    ...handle.controls(),
  };
}
