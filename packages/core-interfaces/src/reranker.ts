import type { UsageEvent } from './usage.js';

/** Options of one rerank call. */
export interface RerankOptions {
  /** The search query; must not be empty. */
  query: string;
  /** Candidate passages. An empty array makes no backend call. */
  texts: string[];
  /** Cancels the call (see {@link ChatCallOptions.abortSignal}). */
  abortSignal?: AbortSignal;
}

/** The result of {@link RerankerV1.rerank}. */
export interface RerankResult {
  /** One relevance score in [0, 1] per input text, in input order (not sorted). */
  scores: number[];
  usage: UsageEvent;
}

/** A cross-encoder: scores how well each text answers the query. */
export interface RerankerV1 {
  readonly specificationVersion: 'v1';
  readonly backend: string;
  readonly modelId: string;
  /** The most texts scored in one backend request; larger inputs are split. */
  readonly maxBatchSize: number;
  rerank(options: RerankOptions): Promise<RerankResult>;
}

/** The current reranker contract. */
export type Reranker = RerankerV1;
