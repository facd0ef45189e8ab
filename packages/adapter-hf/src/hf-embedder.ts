import { featureExtraction } from '@huggingface/inference';
import { InvalidResponseError, type EmbedderIdentity, type EmbedderV1 } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import { HF_BACKEND, HF_HINTS } from './constants.js';
import { embedTexts, headerTokens, type EmbedderCore } from './internal/embedding.js';
import { isHuggingFaceUrl, resolveHfHosts, type HfHosts } from './internal/hf-hosts.js';
import { capturingFetch, errorFromHfClient, resolveFetch, type ResponseMeta } from './internal/http.js';
import { embedderIdentity, embeddingIdentityOptions } from './internal/identity.js';
import { batchingDefaults, batchingOptions, hfClientOptions, hfInferenceOptions, NOT_STEP_OPTIONS, parseOptions } from './internal/options.js';
import { readHfToken, type HfToken } from './internal/secrets.js';
import { vectorsFromFeatureExtraction } from './internal/vectors.js';
import { WAIT_FOR_MODEL_HEADER, WARM_UP_EMBED, WARM_UP_TEXT, warmUpIfLoading } from './internal/warm-up.js';

/** The model the hf-inference embedder uses when `model` is not given. */
export const DEFAULT_HF_EMBEDDING_MODEL = 'BAAI/bge-small-en-v1.5';

const hfEmbedderOptionsSchema = z.strictObject({
  ...embeddingIdentityOptions,
  ...hfClientOptions,
  ...hfInferenceOptions,
  ...batchingOptions,
});

/**
 * The options a configuration step of {@link createHfEmbedder} may set (`models.embedder.chain[i].options`
 * in ragbridge.yaml): all of its options but `model`, `token`, `fetch` and `onWarmUp`, which the step's own fields and
 * the runtime supply. The runtime checks each step's `options` against it.
 */
export const hfEmbedderStepOptionsSchema = hfEmbedderOptionsSchema.omit(NOT_STEP_OPTIONS);

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
  /** One feature-extraction request; `wait` asks the server to load a cold model first. */
  const request = async (texts: string[], token: HfToken, hosts: HfHosts, signal: AbortSignal, wait: boolean) => {
    let meta: ResponseMeta | undefined;
    const output = await featureExtraction(
      { model: identity.modelId, provider: 'hf-inference', ...(token.value && { accessToken: token.value }), inputs: texts, ...parameters },
      {
        fetch: capturingFetch(baseFetch, scope, {
          headers: wait ? { ...parsed.headers, ...WAIT_FOR_MODEL_HEADER } : parsed.headers,
          hosts,
          environmentToken: token.fromEnvironment ? token.value : undefined,
          onSuccess: (m) => (meta = m),
        }),
        signal,
        retry_on_error: false,
        ...(parsed.billTo && { billTo: parsed.billTo }),
      },
    );
    return { output, meta };
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
      const hosts = resolveHfHosts(parsed);
      const token = await readHfToken(parsed.token, target, isHuggingFaceUrl(hosts.router));
      return { maxItems: limits.maxBatchSize, maxTokens: Infinity, maxBytes: limits.payloadLimit, baseBody: { inputs: [], ...parameters }, hf: { token, hosts } };
    },
    async send(texts, plan, signal) {
      const { token, hosts } = plan.hf as NonNullable<typeof plan.hf>;
      let answer: Awaited<ReturnType<typeof request>>;
      try {
        answer = await request(texts, token, hosts, signal, parsed.waitForModel ?? false);
      } catch (error) {
        const mapped = errorFromHfClient(error, scope, signal);
        warmUpIfLoading(mapped, parsed, { ...target, endpoint: `${hosts.router}/hf-inference` }, WARM_UP_EMBED, (warm) => request([WARM_UP_TEXT], token, hosts, warm, true));
        throw mapped;
      }
      const { output, meta } = answer;
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
