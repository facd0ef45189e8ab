import type { UsageEvent } from './usage.js';

/** Whether a text is a search query or a document passage; some models embed them differently. */
export type EmbeddingInputType = 'query' | 'document';

/** How token vectors are pooled into one vector. */
export type EmbeddingPooling = 'mean' | 'cls' | 'last-token' | 'none' | 'unknown';

/**
 * Everything that decides which vector a text gets. Two embedders with equal identities produce
 * interchangeable vectors; caches and stores key vectors by it.
 */
export interface EmbedderIdentity {
  /** Where the model runs, e.g. `hf-tei`, `ollama`, `transformersjs`. */
  provider: string;
  /** Model id, e.g. `BAAI/bge-small-en-v1.5`. */
  modelId: string;
  /** Model revision (commit sha, tag or `main`); `unknown` when the backend does not say. */
  revision: string;
  pooling: EmbeddingPooling;
  /** True when vectors are L2-normalized. */
  normalized: boolean;
  /** Output dimensions when the model is asked to truncate (Matryoshka); otherwise absent. */
  truncatedDimensions?: number;
  /** Text put before queries, e.g. `query: ` for E5 models. */
  queryPrefix?: string;
  /** Text put before documents, e.g. `passage: `. */
  documentPrefix?: string;
}

/** Options of one embedding call. */
export interface EmbedOptions {
  /** Texts to embed; the result keeps their order. An empty array makes no backend call. */
  texts: string[];
  /** @default 'document' */
  inputType?: EmbeddingInputType;
  /** Cancels the call (see {@link ChatCallOptions.abortSignal}). */
  abortSignal?: AbortSignal;
}

/** The result of {@link EmbedderV1.embed}. */
export interface EmbedResult {
  /** One vector per input text, in input order. */
  embeddings: number[][];
  usage: UsageEvent;
}

/**
 * Turns texts into vectors. Texts longer than the model's input window are truncated, never
 * rejected; an empty string is rejected with {@link BadInputError}. Batches larger than
 * {@link EmbedderV1.maxBatchSize} are split by the implementation and reassembled in order.
 */
export interface EmbedderV1 {
  readonly specificationVersion: 'v1';
  readonly backend: string;
  readonly modelId: string;
  /** The identity caches and stores key vectors by. */
  readonly identity: EmbedderIdentity;
  /** Vector length, when known before the first call. */
  readonly dimensions: number | undefined;
  /** The most texts sent to the backend in one request. */
  readonly maxBatchSize: number;
  embed(options: EmbedOptions): Promise<EmbedResult>;
}

/** The current embedder contract. */
export type Embedder = EmbedderV1;

/**
 * A stable string for an identity, usable as a cache or index key. Field order does not matter.
 */
export function embedderIdentityKey(identity: EmbedderIdentity): string {
  const parts: Array<[string, string]> = [
    ['provider', identity.provider],
    ['model', identity.modelId],
    ['revision', identity.revision],
    ['pooling', identity.pooling],
    ['normalized', String(identity.normalized)],
    ['dims', identity.truncatedDimensions === undefined ? '' : String(identity.truncatedDimensions)],
    ['query', identity.queryPrefix ?? ''],
    ['document', identity.documentPrefix ?? ''],
  ];
  return parts.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join(';');
}

/** True when vectors from `a` and `b` can be mixed in one index. */
export function sameEmbedderIdentity(a: EmbedderIdentity, b: EmbedderIdentity): boolean {
  return embedderIdentityKey(a) === embedderIdentityKey(b);
}
