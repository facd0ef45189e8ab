import { InvalidResponseError, type EmbedderIdentity, type EmbedderV1 } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import { TEI_BACKEND, TEI_HINTS } from './constants.js';
import { embedTexts, headerTokens, type EmbedderCore } from './internal/embedding.js';
import { resolveFetch } from './internal/http.js';
import { embedderIdentity, embeddingIdentityOptions } from './internal/identity.js';
import { batchingDefaults, batchingOptions, parseOptions, teiServerOptions } from './internal/options.js';
import { TeiServer } from './internal/tei-server.js';

/** The model a TEI embedder expects when `model` is not given (TEI's own quick-start model). */
export const DEFAULT_TEI_EMBEDDING_MODEL = 'BAAI/bge-small-en-v1.5';

const teiEmbedderOptionsSchema = z.strictObject({
  ...teiServerOptions,
  ...embeddingIdentityOptions,
  ...batchingOptions,
});

/**
 * The options a configuration step of {@link createTeiEmbedder} may set (`models.embedder.chain[i].options`
 * in ragbridge.yaml): all of its options but `model`, `baseUrl`, `apiKey` and `fetch`, which the step's own fields and the runtime
 * supply. The runtime checks each step's `options` against it.
 */
export const teiEmbedderStepOptionsSchema = teiEmbedderOptionsSchema.omit({ model: true, baseUrl: true, apiKey: true, fetch: true });

/** Options of an `hf-tei` embedder step in configuration. */
export type TeiEmbedderStepOptions = z.input<typeof teiEmbedderStepOptionsSchema>;

/** Options of {@link createTeiEmbedder}. */
export type TeiEmbedderOptions = z.input<typeof teiEmbedderOptionsSchema>;

const embedResponseSchema = z.array(z.array(z.number()));

/**
 * An {@link EmbedderV1} on a Text Embeddings Inference server's `POST /embed`. Reads `/info` once
 * to learn the server's limits (batch size, tokens per batch, input window) and checks it runs
 * the configured model; splits larger inputs into requests within those limits and the payload
 * limit, sends them with bounded concurrency and returns vectors in input order.
 */
export function createTeiEmbedder(options: TeiEmbedderOptions): EmbedderV1 {
  const target = { backend: TEI_BACKEND, modelId: options?.model ?? DEFAULT_TEI_EMBEDDING_MODEL };
  const parsed = parseOptions(teiEmbedderOptionsSchema, options, target);
  const { identity, known, truncate, keep } = embedderIdentity('hf-tei', parsed, DEFAULT_TEI_EMBEDDING_MODEL);
  const server = new TeiServer({
    baseUrl: parsed.baseUrl,
    fetch: resolveFetch(parsed.fetch),
    apiKey: parsed.apiKey,
    headers: parsed.headers,
    target,
    hints: TEI_HINTS,
  });
  const limits = batchingDefaults(parsed);
  const body = {
    normalize: identity.normalized,
    truncate,
    ...(keep === 'end' && { truncation_direction: 'Left' }),
  };
  const core: EmbedderCore = {
    target,
    identity,
    truncate,
    keep,
    concurrency: limits.concurrency,
    dimensions: known?.dimensions,
    prepare: (signal) =>
      server.plan(
        { kind: 'embedding', modelId: identity.modelId, revision: identity.revision, pooling: identity.pooling, verifyModel: parsed.verifyModel ?? true },
        limits,
        { inputs: [], ...body },
        signal,
      ),
    async send(texts, _plan, signal) {
      const { data, headers } = await server.post('/embed', { inputs: texts, ...body }, signal);
      const vectors = embedResponseSchema.safeParse(data);
      if (!vectors.success) {
        throw new InvalidResponseError({
          ...target,
          endpoint: server.endpoint('/embed'),
          responseBody: JSON.stringify(data).slice(0, 2000),
          message: 'POST /embed did not answer a list of vectors',
        });
      }
      const tokens = headerTokens(headers);
      const requestId = headers.get('x-request-id') ?? undefined;
      return { values: vectors.data, ...(tokens !== undefined && { tokens }), ...(requestId && { requestId }) };
    },
  };
  const frozen: EmbedderIdentity = Object.freeze({ ...identity });
  return {
    specificationVersion: 'v1',
    backend: TEI_BACKEND,
    modelId: identity.modelId,
    identity: frozen,
    get dimensions() {
      return core.dimensions;
    },
    get maxBatchSize() {
      return server.maxBatchSize(limits.maxBatchSize);
    },
    embed: (call) => embedTexts(core, call),
  };
}
