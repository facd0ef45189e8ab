import { featureExtraction } from '@huggingface/inference';
import { InvalidResponseError, type EmbedderIdentity, type EmbedderV1 } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import { HF_BACKEND, HF_HINTS } from './constants.js';
import { embedTexts, headerTokens, type EmbedderCore } from './internal/embedding.js';
import { capturingFetch, errorFromHfClient, resolveFetch, type ResponseMeta } from './internal/http.js';
import { embedderIdentity, embeddingIdentityOptions } from './internal/identity.js';
import { batchingDefaults, batchingOptions, hfClientOptions, parseOptions } from './internal/options.js';
import { requireHfToken } from './internal/secrets.js';
import { vectorsFromFeatureExtraction } from './internal/vectors.js';

/** The model the hf-inference embedder uses when `model` is not given. */
export const DEFAULT_HF_EMBEDDING_MODEL = 'BAAI/bge-small-en-v1.5';

const hfEmbedderOptionsSchema = z.strictObject({
  ...embeddingIdentityOptions,
  ...hfClientOptions,
  ...batchingOptions,
});

/**
 * The options a configuration step of {@link createHfEmbedder} may set (`models.embedder.chain[i].options`
 * in ragbridge.yaml): all of its options but `model`, `token` and `fetch`, which the step's own fields and the runtime
 * supply. The runtime checks each step's `options` against it.
 */
export const hfEmbedderStepOptionsSchema = hfEmbedderOptionsSchema.omit({ model: true, token: true, fetch: true });

/** Options of an `hf-inference` embedder step in configuration. */
export type HfEmbedderStepOptions = z.input<typeof hfEmbedderStepOptionsSchema>;

/** Options of {@link createHfEmbedder}. */
export type HfEmbedderOptions = z.input<typeof hfEmbedderOptionsSchema>;

/**
 * An {@link EmbedderV1} on Hugging Face's hf-inference feature-extraction API, through
 * `@huggingface/inference` (provider `hf-inference`, so the Hub lookup uses the given `fetch`).
 * Handles the answer shapes the API has: one vector per text, or token vectors per text (pooled
 * as `identity.pooling` says).
 */
export function createHfEmbedder(options: HfEmbedderOptions = {}): EmbedderV1 {
  const target = { backend: HF_BACKEND, modelId: options?.model ?? DEFAULT_HF_EMBEDDING_MODEL };
  const parsed = parseOptions(hfEmbedderOptionsSchema, options, target);
  const { identity, known, truncate, keep } = embedderIdentity('hf-inference', parsed, DEFAULT_HF_EMBEDDING_MODEL);
  const scope = { target, hints: HF_HINTS };
  const baseFetch = resolveFetch(parsed.fetch);
  const limits = batchingDefaults(parsed);
  const parameters = {
    normalize: identity.normalized,
    truncate,
    ...(keep === 'end' && { truncation_direction: 'left' as const }),
  };
  const core: EmbedderCore = {
    target,
    identity,
    truncate,
    keep,
    concurrency: limits.concurrency,
    dimensions: known?.dimensions,
    usageProvider: 'hf-inference',
    async prepare() {
      const token = await requireHfToken(parsed.token, target);
      return { maxItems: limits.maxBatchSize, maxTokens: Infinity, maxBytes: limits.payloadLimit, baseBody: { inputs: [], ...parameters }, token };
    },
    async send(texts, plan, signal) {
      let meta: ResponseMeta | undefined;
      let output: unknown;
      try {
        output = await featureExtraction(
          { model: identity.modelId, provider: 'hf-inference', accessToken: plan.token, inputs: texts, ...parameters },
          {
            fetch: capturingFetch(baseFetch, scope, parsed.headers, (m) => (meta = m)),
            signal,
            retry_on_error: false,
            ...(parsed.billTo && { billTo: parsed.billTo }),
          },
        );
      } catch (error) {
        throw errorFromHfClient(error, scope, signal);
      }
      const vectors = vectorsFromFeatureExtraction(output, texts.length, identity.pooling);
      if (!vectors) {
        throw new InvalidResponseError({
          ...target,
          ...(meta && { endpoint: meta.url }),
          responseBody: JSON.stringify(output).slice(0, 2000),
          message: `feature-extraction answered a shape that is not one vector (or token vectors) per text for ${texts.length} texts`,
        });
      }
      const tokens = meta && headerTokens(meta.headers);
      const requestId = meta?.headers.get('x-request-id') ?? undefined;
      return { values: vectors, ...(tokens !== undefined && { tokens }), ...(requestId && { requestId }) };
    },
  };
  const frozen: EmbedderIdentity = Object.freeze({ ...identity });
  return {
    specificationVersion: 'v1',
    backend: HF_BACKEND,
    modelId: identity.modelId,
    identity: frozen,
    get dimensions() {
      return core.dimensions;
    },
    maxBatchSize: limits.maxBatchSize,
    embed: (call) => embedTexts(core, call),
  };
}
