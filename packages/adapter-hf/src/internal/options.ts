import { BadInputError, type CallTarget } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import type { SecretSource } from './secrets.js';
import type { HfWarmUpListener } from './warm-up.js';

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
  /**
   * Base URL of the Hub, for the model lookups of explicit providers and hf-inference (a mirror or
   * private Hub). Read at call time. Never sent a token unless it is a Hugging Face host.
   * @default process.env.HF_ENDPOINT, else https://huggingface.co
   */
  hubUrl: httpUrlSchema.optional(),
  /**
   * Base URL of the Inference Providers router (a private gateway that forwards to it). A host
   * that is not Hugging Face's gets only a `token` given as an option, never `HF_TOKEN`.
   * @default https://router.huggingface.co
   */
  routerUrl: httpUrlSchema.optional(),
  /**
   * After a call fails with 503 "model loading" (ModelLoadingError), send one request in the
   * background that waits for the model (`x-wait-for-model: true`), so it is loaded for the next
   * calls; one at a time per model, never delaying the failed call. It keeps a Node process alive
   * until it ends (at most 5 minutes): meant for servers, not one-shot commands. @default false
   */
  warmUp: z.boolean().optional(),
  /** Receives the background warm-up's events (`started`, `ready`, `failed` with the error). */
  onWarmUp: z.custom<HfWarmUpListener>((value) => typeof value === 'function', 'must be a function').optional(),
};

/** Options of the hf-inference parts (feature-extraction, text-classification). */
export const hfInferenceOptions = {
  /**
   * Send `x-wait-for-model: true`, so a cold model is loaded while the request waits instead of
   * failing at once with 503 (ModelLoadingError). The call then takes as long as the load (often
   * 20–60 s): leave room in the resilience timeouts. @default false
   */
  waitForModel: z.boolean().optional(),
};

/** The client options a configuration step cannot set: the runtime supplies them, or they are functions. */
export const NOT_STEP_OPTIONS = { model: true, token: true, fetch: true, onWarmUp: true } as const;

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
