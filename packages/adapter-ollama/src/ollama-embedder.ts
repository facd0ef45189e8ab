import {
  BadInputError,
  createUsageEvent,
  estimateTokens,
  InvalidResponseError,
  throwIfAborted,
  type CallTarget,
  type EmbedOptions,
  type EmbedResult,
  type EmbedderIdentity,
  type EmbedderV1,
  type EmbeddingPooling,
} from '@ragbridge/core-interfaces';
import type { EmbedRequest } from 'ollama';
import { z } from 'zod';
import { knownEmbeddingModel, splitModelTag } from './internal/ollama-models.js';
import { connectionShape, keepAliveSchema, parseOptions, type OptionsShape } from './internal/ollama-options.js';
import { ollamaEmbedResponseSchema } from './internal/ollama-schemas.js';
import { OLLAMA_BACKEND, openOllamaCall } from './internal/ollama-transport.js';
import type { OllamaConnectionOptions } from './ollama-connection.js';

/** Options of {@link createOllamaEmbedder}. */
export interface OllamaEmbedderOptions extends OllamaConnectionOptions {
  /** Embedding model as `ollama list` shows it, e.g. `nomic-embed-text` (no tag means `:latest`). */
  model: string;
  /** How long Ollama keeps the model loaded after a call (`keep_alive`): seconds (negative = forever) or `"5m"`, `"1h"`, `"0"`. @default the server's (5m) */
  keepAlive?: number | string;
  /**
   * Ask Ollama to shorten vectors to this length (Matryoshka models such as nomic-embed-text);
   * recorded in the identity as `truncatedDimensions`. @default the model's full length
   */
  dimensions?: number;
  /** Put before every query text; `''` sends none. @default the model's known prefix (see README), else none */
  queryPrefix?: string;
  /** Put before every document text; `''` sends none. @default the model's known prefix (see README), else none */
  documentPrefix?: string;
  /** Most texts per `/api/embed` request; larger calls are split and reassembled in order. @default 32 */
  maxBatchSize?: number;
  /**
   * The identity's revision. Ollama reports a model's digest only through other endpoints, so the
   * tag is used (`latest`, `v1.5`); pass the digest from `ollama list` (or `checkOllamaHealth`) so
   * that a re-pulled model becomes a new identity. @default the model's tag
   */
  revision?: string;
  /** How the model pools token vectors, for the identity. @default known for library models, else 'unknown' */
  pooling?: EmbeddingPooling;
}

const embedderOptionsShape = {
  model: z.string().trim().min(1),
  ...connectionShape,
  keepAlive: keepAliveSchema.optional(),
  dimensions: z.number().int().positive().optional(),
  queryPrefix: z.string().optional(),
  documentPrefix: z.string().optional(),
  maxBatchSize: z.number().int().positive().max(4096).optional(),
  revision: z.string().trim().min(1).optional(),
  pooling: z.enum(['mean', 'cls', 'last-token', 'none', 'unknown']).optional(),
} satisfies OptionsShape<OllamaEmbedderOptions>;
const embedderOptionsSchema: z.ZodType<OllamaEmbedderOptions, OllamaEmbedderOptions> = z.strictObject(embedderOptionsShape);

/**
 * The options a configuration step of {@link createOllamaEmbedder} may set (`models.embedder.chain[i].options`
 * in ragbridge.yaml): all of its options but `model`, `host` and `fetch`, which the step's own fields and the runtime
 * supply. The runtime checks each step's `options` against it.
 */
export const ollamaEmbedderStepOptionsSchema = z.strictObject(embedderOptionsShape).omit({ model: true, host: true, fetch: true });

/** Options of an `ollama` embedder step in configuration. */
export type OllamaEmbedderStepOptions = z.input<typeof ollamaEmbedderStepOptionsSchema>;

/** An Ollama embedder (`POST /api/embed`). */
export interface OllamaEmbedder extends EmbedderV1 {
  readonly backend: 'ollama';
}

/**
 * Creates an {@link EmbedderV1} on Ollama's `/api/embed`.
 *
 * - Texts get the model's query or document prefix (`search_query: ` / `search_document: ` for
 *   nomic-embed-text); the prefixes are part of the identity.
 * - Batches are split by `maxBatchSize` and sent one after another, keeping input order.
 * - Over-long texts are truncated by Ollama (`truncate: true` is sent explicitly); empty strings are
 *   rejected before any request with {@link BadInputError} naming the index.
 * - Vectors from `/api/embed` are L2-normalized by Ollama, so the identity says `normalized: true`.
 * - The identity is fixed at creation: `modelId` is the model without tag and `revision` its tag
 *   (Ollama's digest is not known before a call, and an identity must never change after one).
 *
 * @example
 * const embedder = createOllamaEmbedder({ model: 'nomic-embed-text' });
 * const { embeddings } = await embedder.embed({ texts: ['How many registers?'], inputType: 'query' });
 */
export function createOllamaEmbedder(options: OllamaEmbedderOptions): OllamaEmbedder {
  const config = parseOptions(embedderOptionsSchema, options, 'createOllamaEmbedder');
  const modelId = config.model;
  const baseTarget: CallTarget = { backend: OLLAMA_BACKEND, modelId };
  const known = knownEmbeddingModel(modelId);
  const { base, tag } = splitModelTag(modelId);
  const queryPrefix = config.queryPrefix ?? known?.queryPrefix ?? '';
  const documentPrefix = config.documentPrefix ?? known?.documentPrefix ?? '';
  const maxBatchSize = config.maxBatchSize ?? 32;
  const identity: EmbedderIdentity = Object.freeze({
    provider: OLLAMA_BACKEND,
    modelId: base,
    revision: config.revision ?? tag,
    pooling: config.pooling ?? known?.pooling ?? 'unknown',
    normalized: true,
    ...(config.dimensions !== undefined && { truncatedDimensions: config.dimensions }),
    ...(queryPrefix !== '' && { queryPrefix }),
    ...(documentPrefix !== '' && { documentPrefix }),
  });
  // Known before the first call for library models and truncated vectors; learned from the first answer otherwise.
  let dimensions: number | undefined = config.dimensions ?? known?.dimensions;

  async function embed(call: EmbedOptions): Promise<EmbedResult> {
    throwIfAborted(call.abortSignal, baseTarget);
    if (!Array.isArray(call.texts)) throw new BadInputError({ ...baseTarget, message: 'texts must be an array of strings' });
    for (const [i, text] of call.texts.entries()) {
      if (typeof text !== 'string') throw new BadInputError({ ...baseTarget, message: `texts[${i}] is not a string` });
      if (text.length === 0) throw new BadInputError({ ...baseTarget, message: `texts[${i}] is empty; every text needs content` });
    }
    const startedAt = Date.now();
    const prefix = call.inputType === 'query' ? queryPrefix : documentPrefix;
    const embeddings: number[][] = [];
    let inputTokens = 0;
    let tokensEstimated = false;

    for (let start = 0; start < call.texts.length; start += maxBatchSize) {
      const batch = call.texts.slice(start, start + maxBatchSize).map((text) => prefix + text);
      const ollama = openOllamaCall(config, { modelId, path: '/api/embed', signal: call.abortSignal });
      const request: EmbedRequest = {
        model: modelId,
        input: batch,
        truncate: true,
        ...(config.dimensions !== undefined && { dimensions: config.dimensions }),
        ...(config.keepAlive !== undefined && { keep_alive: config.keepAlive }),
      };
      let raw: unknown;
      try {
        raw = await ollama.client.embed(request);
      } catch (error) {
        throw ollama.mapError(error);
      }
      throwIfAborted(call.abortSignal, ollama.target);
      const parsed = ollamaEmbedResponseSchema.safeParse(raw);
      if (!parsed.success) {
        throw new InvalidResponseError({
          ...ollama.target,
          responseBody: JSON.stringify(raw),
          message: `Unexpected /api/embed reply: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`,
        });
      }
      const vectors = parsed.data.embeddings;
      if (vectors.length !== batch.length) {
        throw new InvalidResponseError({
          ...ollama.target,
          message: `Ollama returned ${vectors.length} vectors for ${batch.length} texts`,
          hint: 'Check that the model is an embedding model (ollama show <model> lists the "embedding" capability).',
        });
      }
      for (const [i, vector] of vectors.entries()) {
        if (dimensions !== undefined && vector.length !== dimensions) {
          throw new InvalidResponseError({
            ...ollama.target,
            message: `vector ${start + i} has ${vector.length} dimensions, expected ${dimensions}`,
            hint: 'Pass the model\'s real length as `dimensions` only when it supports truncation; otherwise check the model name.',
          });
        }
        dimensions ??= vector.length;
        embeddings.push(vector);
      }
      if (parsed.data.prompt_eval_count !== undefined && parsed.data.prompt_eval_count > 0) inputTokens += parsed.data.prompt_eval_count;
      else {
        inputTokens += batch.reduce((n, text) => n + estimateTokens(text), 0);
        tokensEstimated = true;
      }
    }

    return {
      embeddings,
      usage: createUsageEvent({
        backend: OLLAMA_BACKEND,
        modelId,
        operation: 'embed',
        inputTokens,
        tokensEstimated,
        items: call.texts.length,
        startedAt,
        latencyMs: Date.now() - startedAt,
      }),
    };
  }

  return {
    specificationVersion: 'v1',
    backend: OLLAMA_BACKEND,
    modelId,
    identity,
    get dimensions() {
      return dimensions;
    },
    maxBatchSize,
    embed,
  };
}
