import { InvalidResponseError, ModelNotFoundError, type CallTarget, type EmbeddingPooling } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import type { CallPlan } from './embedding.js';
import { requestJson, type ErrorHints, type JsonResponse } from './http.js';
import { readSecret, type SecretSource } from './secrets.js';

/** The parts of TEI's `GET /info` the adapters use (other fields are ignored). */
const teiInfoSchema = z.object({
  model_id: z.string(),
  model_sha: z.string().nullish(),
  served_model_name: z.string().nullish(),
  model_type: z.object({
    embedding: z.object({ pooling: z.string() }).optional(),
    reranker: z.object({}).optional(),
    classifier: z.object({}).optional(),
  }),
  max_input_length: z.number().int().positive(),
  max_batch_tokens: z.number().int().positive(),
  max_client_batch_size: z.number().int().positive(),
  version: z.string().nullish(),
});

/** TEI's `/info`. */
export type TeiInfo = z.infer<typeof teiInfoSchema>;

/** TEI's pooling names in the contract's vocabulary (`splade` is sparse and has no counterpart). */
export function poolingFromTei(pooling: string | undefined): EmbeddingPooling {
  switch (pooling) {
    case 'cls':
      return 'cls';
    case 'mean':
      return 'mean';
    case 'last_token':
      return 'last-token';
    default:
      return 'unknown';
  }
}

/** What a TEI client knows about its server. */
export interface TeiServerConfig {
  baseUrl: string;
  fetch: typeof fetch;
  apiKey: SecretSource | undefined;
  headers: Record<string, string> | undefined;
  target: CallTarget;
  hints: ErrorHints;
}

/** HTTP access to one TEI server: its `/info` (read once, then cached) and JSON POSTs. */
export class TeiServer {
  private info: TeiInfo | undefined;

  constructor(private readonly config: TeiServerConfig) {}

  private url(path: string): string {
    return `${this.config.baseUrl.replace(/\/+$/, '')}${path}`;
  }

  private async headers(): Promise<Record<string, string>> {
    const key = await readSecret(this.config.apiKey);
    return { ...this.config.headers, ...(key && { authorization: `Bearer ${key}` }) };
  }

  private async call(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal | undefined): Promise<JsonResponse> {
    return requestJson({
      fetch: this.config.fetch,
      url: this.url(path),
      method,
      headers: await this.headers(),
      ...(body !== undefined && { body }),
      ...(signal && { signal }),
      target: this.config.target,
      hints: this.config.hints,
    });
  }

  /**
   * Reads `/info` on first use and caches it. Concurrent first calls may each read it (each under
   * its own signal); a failed read is not cached, so the next call tries again.
   */
  private async readInfo(signal: AbortSignal | undefined): Promise<TeiInfo> {
    if (this.info) return this.info;
    const { data } = await this.call('GET', '/info', undefined, signal);
    const parsed = teiInfoSchema.safeParse(data);
    if (!parsed.success) {
      throw new InvalidResponseError({
        ...this.config.target,
        endpoint: this.url('/info'),
        responseBody: JSON.stringify(data),
        message: `GET /info did not answer like Text Embeddings Inference (${z.prettifyError(parsed.error).replace(/\n+/g, '; ')})`,
        hint: 'Check that baseUrl points at a TEI server (https://github.com/huggingface/text-embeddings-inference).',
      });
    }
    this.info = parsed.data;
    return parsed.data;
  }

  /** Most texts per request: the configured size, capped by `max_client_batch_size` once known. */
  maxBatchSize(configured: number): number {
    return this.info ? Math.min(configured, this.info.max_client_batch_size) : configured;
  }

  /** Reads `/info` (once), checks it against `expected`, and returns the limits of the next call. */
  async plan(
    expected: ExpectedTeiModel,
    configured: { maxBatchSize: number; payloadLimit: number },
    baseBody: Record<string, unknown>,
    signal: AbortSignal | undefined,
  ): Promise<CallPlan> {
    const info = await this.readInfo(signal);
    verifyTeiInfo(info, expected, { ...this.config.target, endpoint: this.url('/info') });
    return {
      maxItems: this.maxBatchSize(configured.maxBatchSize),
      maxTokens: info.max_batch_tokens,
      maxBytes: configured.payloadLimit,
      maxInputTokens: info.max_input_length,
      baseBody,
    };
  }

  /** POSTs JSON to `path` with the API key and extra headers. */
  post(path: string, body: unknown, signal: AbortSignal | undefined): Promise<JsonResponse> {
    return this.call('POST', path, body, signal);
  }

  /** The endpoint URL of `path`, for messages. */
  endpoint(path: string): string {
    return this.url(path);
  }
}

/** What the options promised about the served model. */
export interface ExpectedTeiModel {
  kind: 'embedding' | 'reranker';
  modelId: string;
  /** `unknown` when the options did not pin one. */
  revision: string;
  /** `unknown` when neither the options nor the known-model table said. */
  pooling?: EmbeddingPooling;
  /** False skips the model, revision and pooling comparison. */
  verifyModel: boolean;
}

/**
 * Compares `/info` with what the options said. The identity is fixed at construction (caches key
 * vectors by it), so a server running something else is an error, never a silent change.
 */
export function verifyTeiInfo(info: TeiInfo, expected: ExpectedTeiModel, target: CallTarget): void {
  const fail = (message: string, hint: string): never => {
    throw new ModelNotFoundError({ ...target, message, hint });
  };
  const served = info.model_type.embedding ? 'embedding' : info.model_type.reranker ? 'reranker' : 'classifier';
  if (served !== expected.kind) {
    fail(
      `The TEI server runs ${served === 'embedding' ? 'an' : 'a'} ${served} model ("${info.model_id}"), not ${expected.kind === 'embedding' ? 'an embedding' : 'a reranker'} model`,
      expected.kind === 'embedding' ? 'Point baseUrl at a TEI server started with an embedding model.' : 'Point baseUrl at a TEI server started with a cross-encoder (reranker) model.',
    );
  }
  if (!expected.verifyModel) return;
  if (info.model_id !== expected.modelId && info.served_model_name !== expected.modelId) {
    fail(
      `The TEI server runs "${info.model_id}", but this client was configured for "${expected.modelId}"`,
      `Pass model: "${info.model_id}" (vectors and caches are keyed by the model), or point baseUrl at the server running "${expected.modelId}". If TEI loads the model from a local path, set verifyModel: false.`,
    );
  }
  if (expected.revision !== 'unknown' && info.model_sha && info.model_sha !== expected.revision) {
    fail(
      `The TEI server runs revision "${info.model_sha}" of "${info.model_id}", but this client was configured for revision "${expected.revision}"`,
      `Pass revision: "${info.model_sha}", or start TEI with --revision ${expected.revision}.`,
    );
  }
  const pooling = poolingFromTei(info.model_type.embedding?.pooling);
  if (expected.kind === 'embedding' && expected.pooling && expected.pooling !== 'unknown' && pooling !== expected.pooling) {
    fail(
      `The TEI server pools with "${info.model_type.embedding?.pooling ?? 'unknown'}", but this embedder was configured for "${expected.pooling}" pooling`,
      `Pass pooling: "${pooling}", or start TEI with --pooling matching the option.`,
    );
  }
}
