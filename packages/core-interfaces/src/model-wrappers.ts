import type { ChatModelV1 } from './chat-model.js';
import type { EmbedderV1 } from './embedder.js';
import type { RerankerV1 } from './reranker.js';

/**
 * An embedder that replaces only `embed` and otherwise is `inner`: backend, model id, identity,
 * dimensions and batch limit are read from `inner` at each access (an adapter may learn its
 * vector size or batch limit from the server after the first call). For wrappers such as caches,
 * monitors and retry layers; `extra` adds fields of the wrapper's own.
 */
export function delegateEmbedder<E extends object = Record<never, never>>(inner: EmbedderV1, embed: EmbedderV1['embed'], extra?: E): EmbedderV1 & E {
  const wrapped: EmbedderV1 = {
    specificationVersion: 'v1',
    get backend() {
      return inner.backend;
    },
    get modelId() {
      return inner.modelId;
    },
    get identity() {
      return inner.identity;
    },
    get dimensions() {
      return inner.dimensions;
    },
    get maxBatchSize() {
      return inner.maxBatchSize;
    },
    embed,
  };
  return Object.defineProperties(wrapped, Object.getOwnPropertyDescriptors(extra ?? {})) as EmbedderV1 & E;
}

/** A reranker that replaces only `rerank` and otherwise is `inner` (see {@link delegateEmbedder}). */
export function delegateReranker<E extends object = Record<never, never>>(inner: RerankerV1, rerank: RerankerV1['rerank'], extra?: E): RerankerV1 & E {
  const wrapped: RerankerV1 = {
    specificationVersion: 'v1',
    get backend() {
      return inner.backend;
    },
    get modelId() {
      return inner.modelId;
    },
    get maxBatchSize() {
      return inner.maxBatchSize;
    },
    rerank,
  };
  return Object.defineProperties(wrapped, Object.getOwnPropertyDescriptors(extra ?? {})) as RerankerV1 & E;
}

/** A chat model that replaces `generate` and `stream` and otherwise is `inner` (see {@link delegateEmbedder}). */
export function delegateChatModel<E extends object = Record<never, never>>(
  inner: ChatModelV1,
  calls: Pick<ChatModelV1, 'generate' | 'stream'>,
  extra?: E,
): ChatModelV1 & E {
  const wrapped: ChatModelV1 = {
    specificationVersion: 'v1',
    get backend() {
      return inner.backend;
    },
    get modelId() {
      return inner.modelId;
    },
    generate: calls.generate,
    stream: calls.stream,
  };
  return Object.defineProperties(wrapped, Object.getOwnPropertyDescriptors(extra ?? {})) as ChatModelV1 & E;
}
