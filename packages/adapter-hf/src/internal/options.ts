import { BadInputError, type CallTarget } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import type { SecretSource } from './secrets.js';

/** A token string or a function returning one at call time. */
export const secretSchema = z.custom<SecretSource>(
  (value) => typeof value === 'string' || typeof value === 'function',
  'must be a string or a function returning one',
);

/** A `fetch`-compatible function. */
export const fetchSchema = z.custom<typeof fetch>((value) => typeof value === 'function', 'must be a fetch function');

/** Extra HTTP headers. */
export const headersSchema = z.record(z.string(), z.string());

/** An http(s) URL. */
export const httpUrlSchema = z.string().refine((value) => /^https?:\/\/[^\s]+$/i.test(value), 'must be an http(s) URL');

/** How one call is cut into requests (every embedder and reranker takes these). */
export const batchingOptions = {
  /** Most texts per request (for TEI, the server's `max_client_batch_size` caps it). @default 32 */
  maxBatchSize: z.number().int().positive().optional(),
  /** Most bytes of JSON per request (TEI's `--payload-limit`, which `/info` does not report). @default 2_000_000 */
  payloadLimit: z.number().int().min(1024).optional(),
  /** Requests of one call in flight at once. @default 4 */
  concurrency: z.number().int().positive().optional(),
};

/** The batching options with their defaults applied. */
export function batchingDefaults(options: { maxBatchSize?: number; payloadLimit?: number; concurrency?: number }): {
  maxBatchSize: number;
  payloadLimit: number;
  concurrency: number;
} {
  return { maxBatchSize: options.maxBatchSize ?? 32, payloadLimit: options.payloadLimit ?? 2_000_000, concurrency: options.concurrency ?? 4 };
}

/** Options of the parts that go through `@huggingface/inference`. */
export const hfClientOptions = {
  /** Hugging Face token, or a function returning one; read at call time. @default process.env.HF_TOKEN */
  token: secretSchema.optional(),
  /** Extra headers on every request (never replacing the client's own). */
  headers: headersSchema.optional(),
  /** The `fetch` the Hugging Face client uses (tests point it at a fake). @default globalThis.fetch */
  fetch: fetchSchema.optional(),
  /** Organization to bill (`X-HF-Bill-To`). */
  billTo: z.string().min(1).optional(),
};

/** Options of the parts that talk to a TEI server. */
export const teiServerOptions = {
  /** Base URL of the TEI server, e.g. `http://127.0.0.1:8080` (an Inference Endpoint URL works too). */
  baseUrl: httpUrlSchema,
  /** Bearer key for a TEI started with `--api-key` (or an HF token for an Inference Endpoint); read at call time. */
  apiKey: secretSchema.optional(),
  /** Extra headers on every request. */
  headers: headersSchema.optional(),
  /** The `fetch` to use. @default globalThis.fetch */
  fetch: fetchSchema.optional(),
  /**
   * Compare `/info` with `model` and `revision` (and an embedder's `pooling`) and refuse a server
   * running anything else. Turn off only when TEI loads the model from a local path. @default true
   */
  verifyModel: z.boolean().optional(),
};

/** Parses options with a strict schema; a mistake is a {@link BadInputError} naming the field. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, target: CallTarget): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw new BadInputError({
    ...target,
    message: `Invalid options: ${z.prettifyError(result.error).replace(/\n+/g, '; ')}`,
    hint: 'Fix the options as the message says; see the @ragbridge/adapter-hf README for each option.',
  });
}
