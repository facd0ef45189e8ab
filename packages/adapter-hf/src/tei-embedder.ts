import { InvalidResponseError, type EmbedderIdentity, type EmbedderV1 } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import { TEI_BACKEND, TEI_HINTS } from './constants.js';
import { embedTexts, headerTokens, type CallPlan, type EmbedderCore } from './internal/embedding.js';
import { resolveFetch } from './internal/http.js';
import { embedderIdentity, embeddingIdentityOptions } from './internal/identity.js';
import { fetchSchema, headersSchema, httpUrlSchema, parseOptions, secretSchema } from './internal/options.js';
import { TeiServer, verifyTeiInfo } from './internal/tei-server.js';

/** The model a TEI embedder expects when `model` is not given (TEI's own quick-start model). */
export const DEFAULT_TEI_EMBEDDING_MODEL = 'BAAI/bge-small-en-v1.5';

const teiEmbedderOptionsSchema = z.strictObject({
  /** Base URL of the TEI server, e.g. `http://127.0.0.1:8080` (an Inference Endpoint URL works too). */
  baseUrl: httpUrlSchema,
  ...embeddingIdentityOptions,
  /** Bearer key for a TEI started with `--api-key` (or an HF token for an Inference Endpoint); read at call time. */
  apiKey: secretSchema.optional(),
  /** Extra headers on every request. */
  headers: headersSchema.optional(),
  /** The `fetch` to use. @default globalThis.fetch */
  fetch: fetchSchema.optional(),
  /** Most texts per request; the server's `max_client_batch_size` caps it. @default 32 */
  maxBatchSize: z.number().int().positive().optional(),
  /** Most bytes of JSON per request (TEI's `--payload-limit`). @default 2_000_000 */
  payloadLimit: z.number().int().min(1024).optional(),
  /** Requests of one call in flight at once. @default 4 */
  concurrency: z.number().int().positive().optional(),
  /**
   * Compare `/info` with `model`, `revision` and `pooling` and refuse a server running anything
   * else. Turn off only when TEI loads the model from a local path. @default true
   */
  verifyModel: z.boolean().optional(),
});

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
  const scope = { ...target, modelId: identity.modelId };
  const server = new TeiServer({
    baseUrl: parsed.baseUrl,
    fetch: resolveFetch(parsed.fetch),
    apiKey: parsed.apiKey,
    headers: parsed.headers,
    target: scope,
    hints: TEI_HINTS,
  });
  const configuredBatch = parsed.maxBatchSize ?? 32;
  const body = {
    normalize: identity.normalized,
    truncate,
    ...(keep === 'end' && { truncation_direction: 'Left' }),
  };
  const core: EmbedderCore = {
    target: scope,
    identity,
    truncate,
    keep,
    concurrency: parsed.concurrency ?? 4,
    dimensions: known?.dimensions,
    async prepare(signal): Promise<CallPlan> {
      const info = await server.readInfo(signal);
      verifyTeiInfo(
        info,
        { kind: 'embedding', modelId: identity.modelId, revision: identity.revision, pooling: identity.pooling, verifyModel: parsed.verifyModel ?? true },
        { ...scope, endpoint: server.endpoint('/info') },
      );
      return {
        maxItems: Math.min(configuredBatch, info.max_client_batch_size),
        maxTokens: info.max_batch_tokens,
        maxBytes: parsed.payloadLimit ?? 2_000_000,
        maxInputTokens: info.max_input_length,
        baseBody: { inputs: [], ...body },
      };
    },
    async send(texts, _plan, signal) {
      const { data, headers } = await server.post('/embed', { inputs: texts, ...body }, signal);
      const vectors = embedResponseSchema.safeParse(data);
      if (!vectors.success) {
        throw new InvalidResponseError({
          ...scope,
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
      const info = server.cachedInfo;
      return info ? Math.min(configuredBatch, info.max_client_batch_size) : configuredBatch;
    },
    embed: (call) => embedTexts(core, call),
  };
}
