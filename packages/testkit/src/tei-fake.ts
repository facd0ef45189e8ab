import { hashEmbedding, wordOverlapScore } from '@ragbridge/core-interfaces/testing';
import { FakeServer, type FakeContext, type FakeRoute, type FakeServerOptions } from './fake-server.js';
import { fakeTokenCount, sigmoid, truncateToTokens } from './fake-text.js';
import { TRANSPORT_FAULTS, type FaultPresets } from './fault-harness.js';

/** Options of {@link startFakeTei}; the limits mirror TEI's `/info` and CLI flags. */
export interface FakeTeiOptions extends FakeServerOptions {
  /** `embedding` serves `/embed`, `reranker` serves `/rerank`. @default 'embedding' */
  kind?: 'embedding' | 'reranker';
  /** @default 'BAAI/bge-small-en-v1.5' (or 'BAAI/bge-reranker-base' for a reranker) */
  modelId?: string;
  /** Revision reported as `model_sha`. @default null */
  modelSha?: string | null;
  /** @default 384 */
  dimensions?: number;
  /** Pooling reported in `/info`. @default 'cls' */
  pooling?: 'cls' | 'mean' | 'splade' | 'last_token';
  /** @default 32 */
  maxClientBatchSize?: number;
  /** Maximum tokens per input. @default 512 */
  maxInputLength?: number;
  /** @default 16384 */
  maxBatchTokens?: number;
  /** `--auto-truncate`. @default true */
  autoTruncate?: boolean;
  /** `--payload-limit` in bytes; larger bodies get a plain-text 413. @default 2_000_000 */
  payloadLimit?: number;
  /** `--api-key`: when set, requests need `Authorization: Bearer <key>` (else 401, empty body). */
  apiKey?: string;
}

/** TEI's real error bodies, per conformance fault kind. */
export const teiFaultPresets: FaultPresets = {
  auth: { status: 401, body: '' },
  payment: { status: 402, body: { error: 'Payment required', error_type: 'Payment' } },
  'not-found': { status: 404, body: { error: 'Model BAAI/unknown does not exist', error_type: 'NotFound' } },
  'bad-input': {
    status: 422,
    body: { error: 'Input validation error: `inputs` must have less than 512 tokens. Given: 600', error_type: 'Validation' },
  },
  'rate-limit': { status: 429, body: { error: 'Model is overloaded', error_type: 'Overloaded' } },
  'rate-limit-retry-after': { status: 429, body: { error: 'Model is overloaded', error_type: 'Overloaded' }, headers: { 'retry-after': '7' } },
  loading: { status: 503, body: { error: 'Model BAAI/bge-small-en-v1.5 is currently loading', estimated_time: 20.0 } },
  'server-error': { status: 500, body: { error: 'Backend error: inference failed', error_type: 'Backend' } },
  ...TRANSPORT_FAULTS,
};

/**
 * Starts a fake Text Embeddings Inference server (`/health`, `/info`, `/embed`, `/rerank`) with
 * TEI's validation rules: client batch size, input length with or without truncation, payload
 * limit, empty inputs, API key, and capitalised `error_type`s.
 */
export async function startFakeTei(options: FakeTeiOptions = {}): Promise<FakeServer> {
  const kind = options.kind ?? 'embedding';
  const modelId = options.modelId ?? (kind === 'reranker' ? 'BAAI/bge-reranker-base' : 'BAAI/bge-small-en-v1.5');
  const dims = options.dimensions ?? 384;
  const maxClientBatchSize = options.maxClientBatchSize ?? 32;
  const maxInputLength = options.maxInputLength ?? 512;
  const maxBatchTokens = options.maxBatchTokens ?? 16384;
  const autoTruncate = options.autoTruncate ?? true;
  const payloadLimit = options.payloadLimit ?? 2_000_000;

  const error = (ctx: FakeContext, status: number, message: string, type: string): void =>
    ctx.json(status, { error: message, error_type: type });

  /** Checks auth and payload size; false when an error was sent. */
  const admit = (ctx: FakeContext): boolean => {
    if (options.apiKey && ctx.request.headers.authorization !== `Bearer ${options.apiKey}`) {
      ctx.text(401, '', 'text/plain');
      return false;
    }
    if (Buffer.byteLength(ctx.request.body) > payloadLimit) {
      ctx.text(413, 'Failed to buffer the request body: length limit exceeded', 'text/plain; charset=utf-8');
      return false;
    }
    return true;
  };

  /** Validates inputs as TEI does; returns the texts to process or undefined after sending an error. */
  const validate = (ctx: FakeContext, texts: string[], truncate: boolean | undefined, field: string): string[] | undefined => {
    if (texts.length === 0) {
      error(ctx, 400, `Input validation error: \`${field}\` cannot be empty`, 'Empty');
      return undefined;
    }
    if (texts.length > maxClientBatchSize) {
      error(ctx, 422, `batch size ${texts.length} > maximum allowed batch size ${maxClientBatchSize}`, 'Validation');
      return undefined;
    }
    const doTruncate = truncate ?? autoTruncate;
    const out: string[] = [];
    for (const text of texts) {
      if (text.length === 0) {
        error(ctx, 400, `Input validation error: \`${field}\` cannot be empty`, 'Empty');
        return undefined;
      }
      const tokens = fakeTokenCount(text);
      if (tokens > maxInputLength) {
        if (!doTruncate) {
          error(ctx, 422, `Input validation error: \`inputs\` must have less than ${maxInputLength} tokens. Given: ${tokens}`, 'Validation');
          return undefined;
        }
        out.push(truncateToTokens(text, maxInputLength));
      } else out.push(text);
    }
    return out;
  };

  const computeHeaders = (tokens: number): Record<string, string> => ({
    'x-compute-type': 'cpu',
    'x-compute-time': '1',
    'x-compute-characters': '0',
    'x-compute-tokens': String(tokens),
    'x-total-time': '1',
    'x-tokenization-time': '0',
    'x-queue-time': '0',
    'x-inference-time': '1',
  });

  const routes: FakeRoute[] = [
    { name: 'tei.health', method: 'GET', pattern: '/health', handle: (ctx) => ctx.text(200, '', 'text/plain') },
    {
      name: 'tei.info',
      method: 'GET',
      pattern: '/info',
      handle(ctx) {
        ctx.json(200, {
          model_id: modelId,
          model_sha: options.modelSha ?? null,
          model_dtype: 'float32',
          served_model_name: modelId,
          model_type:
            kind === 'reranker'
              ? { reranker: { id2label: { '0': 'LABEL_0' }, label2id: { LABEL_0: 0 } } }
              : { embedding: { pooling: options.pooling ?? 'cls' } },
          max_concurrent_requests: 512,
          max_input_length: maxInputLength,
          max_batch_tokens: maxBatchTokens,
          max_batch_requests: null,
          max_client_batch_size: maxClientBatchSize,
          auto_truncate: autoTruncate,
          tokenization_workers: 2,
          version: '1.9.3',
          sha: null,
          docker_label: null,
        });
      },
    },
    {
      name: 'tei.embed',
      method: 'POST',
      pattern: '/embed',
      handle(ctx) {
        if (!admit(ctx)) return;
        if (kind !== 'embedding') return error(ctx, 424, 'Backend error: model is not an embedding model', 'Backend');
        const body = ctx.request.json as { inputs?: unknown; normalize?: boolean; truncate?: boolean } | undefined;
        const inputs = body?.inputs;
        if (inputs === undefined || (typeof inputs !== 'string' && !Array.isArray(inputs))) {
          ctx.text(422, 'Failed to deserialize the JSON body into the target type: missing field `inputs`', 'text/plain; charset=utf-8');
          return;
        }
        const texts = validate(ctx, (Array.isArray(inputs) ? inputs : [inputs]).map(String), body?.truncate, 'inputs');
        if (!texts) return;
        const normalize = body?.normalize ?? true;
        const rows = texts.map((t) => {
          const v = hashEmbedding(t, dims);
          return normalize ? v : v.map((x) => x * 4);
        });
        ctx.json(200, rows, computeHeaders(texts.reduce((n, t) => n + fakeTokenCount(t), 0)));
      },
    },
    {
      name: 'tei.rerank',
      method: 'POST',
      pattern: '/rerank',
      handle(ctx) {
        if (!admit(ctx)) return;
        if (kind !== 'reranker') return error(ctx, 424, 'Backend error: model is not a re-ranker model', 'Backend');
        const body = ctx.request.json as
          | { query?: unknown; texts?: unknown; raw_scores?: boolean; return_text?: boolean; truncate?: boolean }
          | undefined;
        if (typeof body?.query !== 'string' || !Array.isArray(body.texts)) {
          ctx.text(422, 'Failed to deserialize the JSON body into the target type: missing field `query`', 'text/plain; charset=utf-8');
          return;
        }
        if (body.query.length === 0) return error(ctx, 400, 'Input validation error: `query` cannot be empty', 'Empty');
        const texts = validate(ctx, body.texts.map(String), body.truncate, 'texts');
        if (!texts) return;
        const query = body.query;
        const originals = body.texts as unknown[];
        const results = texts.map((text, index) => {
          // One relevance logit per pair, from word overlap; raw_scores:false applies the sigmoid like TEI.
          const logit = wordOverlapScore(query, text) * 8 - 4;
          return { index, score: body.raw_scores ? logit : sigmoid(logit), ...(body.return_text ? { text: originals[index] } : {}) };
        });
        results.sort((a, b) => b.score - a.score);
        ctx.json(200, results, computeHeaders(texts.reduce((n, t) => n + fakeTokenCount(query) + fakeTokenCount(t), 0)));
      },
    },
  ];
  return new FakeServer('tei', routes, options).listen();
}
