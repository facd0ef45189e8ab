import { InvalidResponseError, type RerankerV1 } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import { TEI_BACKEND, TEI_HINTS } from './constants.js';
import { headerTokens } from './internal/embedding.js';
import { resolveFetch } from './internal/http.js';
import { batchingDefaults, batchingOptions, parseOptions, teiServerOptions } from './internal/options.js';
import { rerankTexts, type RerankerCore } from './internal/reranking.js';
import { TeiServer } from './internal/tei-server.js';
import { sigmoid } from './internal/vectors.js';

/** The model a TEI reranker expects when `model` is not given. */
export const DEFAULT_TEI_RERANKER_MODEL = 'BAAI/bge-reranker-base';

const teiRerankerOptionsSchema = z.strictObject({
  ...teiServerOptions,
  /** The model the server must run (checked against `/info`). @default 'BAAI/bge-reranker-base' */
  model: z.string().min(1).optional(),
  /** Revision the server must run (TEI `--revision`), checked when both say. @default 'unknown' */
  revision: z.string().min(1).optional(),
  /** Cut pairs longer than the model's input window instead of failing. @default true */
  truncate: z.boolean().optional(),
  /** Which end of a long text is kept. @default 'right' */
  truncationDirection: z.enum(['right', 'left']).optional(),
  ...batchingOptions,
});

/**
 * The options a configuration step of {@link createTeiReranker} may set (`models.reranker.chain[i].options`
 * in ragbridge.yaml): all of its options but `model`, `baseUrl`, `apiKey` and `fetch`, which the step's own fields and the runtime
 * supply. The runtime checks each step's `options` against it.
 */
export const teiRerankerStepOptionsSchema = teiRerankerOptionsSchema.omit({ model: true, baseUrl: true, apiKey: true, fetch: true });

/** Options of an `hf-tei` reranker step in configuration. */
export type TeiRerankerStepOptions = z.input<typeof teiRerankerStepOptionsSchema>;

/** Options of {@link createTeiReranker}. */
export type TeiRerankerOptions = z.input<typeof teiRerankerOptionsSchema>;

const rerankResponseSchema = z.array(z.object({ index: z.number().int().nonnegative(), score: z.number() }));

/**
 * A {@link RerankerV1} on a Text Embeddings Inference server's `POST /rerank`. Asks for raw logits
 * and applies the sigmoid itself (so scores match the hf-inference reranker's), and puts the
 * scores back in input order (TEI sorts them by score).
 */
export function createTeiReranker(options: TeiRerankerOptions): RerankerV1 {
  const target = { backend: TEI_BACKEND, modelId: options?.model ?? DEFAULT_TEI_RERANKER_MODEL };
  const parsed = parseOptions(teiRerankerOptionsSchema, options, target);
  const server = new TeiServer({
    baseUrl: parsed.baseUrl,
    fetch: resolveFetch(parsed.fetch),
    apiKey: parsed.apiKey,
    headers: parsed.headers,
    target,
    hints: TEI_HINTS,
  });
  const truncate = parsed.truncate ?? true;
  const keep = parsed.truncationDirection === 'left' ? 'end' : 'start';
  const body = { raw_scores: true, return_text: false, truncate, ...(keep === 'end' && { truncation_direction: 'Left' }) };
  const limits = batchingDefaults(parsed);
  const core: RerankerCore = {
    target,
    truncate,
    keep,
    concurrency: limits.concurrency,
    prepare: (signal) =>
      server.plan(
        { kind: 'reranker', modelId: target.modelId, revision: parsed.revision ?? 'unknown', verifyModel: parsed.verifyModel ?? true },
        limits,
        { texts: [], ...body },
        signal,
      ),
    async send(query, texts, _plan, signal) {
      const { data, headers } = await server.post('/rerank', { query, texts, ...body }, signal);
      const parsedBody = rerankResponseSchema.safeParse(data);
      const scores = new Array<number>(texts.length).fill(NaN);
      if (parsedBody.success) for (const { index, score } of parsedBody.data) if (index < texts.length) scores[index] = sigmoid(score);
      if (!parsedBody.success || parsedBody.data.length !== texts.length || scores.some(Number.isNaN)) {
        throw new InvalidResponseError({
          ...target,
          endpoint: server.endpoint('/rerank'),
          responseBody: JSON.stringify(data).slice(0, 2000),
          message: `POST /rerank did not answer one {index, score} per text (${texts.length} texts)`,
        });
      }
      const tokens = headerTokens(headers);
      const requestId = headers.get('x-request-id') ?? undefined;
      return { values: scores, ...(tokens !== undefined && { tokens }), ...(requestId && { requestId }) };
    },
  };
  return {
    specificationVersion: 'v1',
    backend: TEI_BACKEND,
    modelId: target.modelId,
    get maxBatchSize() {
      return server.maxBatchSize(limits.maxBatchSize);
    },
    rerank: (call) => rerankTexts(core, call),
  };
}
