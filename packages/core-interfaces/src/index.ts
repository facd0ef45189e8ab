export type {
  ChatCallOptions,
  ChatFinishPart,
  ChatMessage,
  ChatModel,
  ChatModelV1,
  ChatResult,
  ChatRole,
  ChatStreamPart,
  ChatTextDeltaPart,
  FinishReason,
} from './chat-model.js';
export type {
  EmbedOptions,
  EmbedResult,
  Embedder,
  EmbedderIdentity,
  EmbedderV1,
  EmbeddingInputType,
  EmbeddingPooling,
} from './embedder.js';
export { embedderIdentityKey, sameEmbedderIdentity } from './embedder.js';
export type { RerankOptions, RerankResult, Reranker, RerankerV1 } from './reranker.js';
export type {
  Answer,
  Chunk,
  Citation,
  DocumentMediaType,
  DocumentSection,
  RetrievalExplanation,
  RetrievalHit,
  RetrievalReason,
  SourceDocument,
} from './documents.js';
export type {
  ChunkTerms,
  DocumentTerms,
  TermsScan,
  DocumentRecord,
  DocumentStoreV1,
  IndexedChunk,
  KeywordQuery,
  ScoredId,
  VectorBatch,
  VectorQuery,
} from './document-store.js';
export type {
  DocumentStore,
  DocumentStoreStats,
  DocumentStoreV2,
  KeywordCandidates,
  KeywordCandidatesQuery,
  KeywordCollectionStats,
  KeywordSearchV1,
  VectorCandidatesQuery,
  VectorSearchV1,
} from './document-store-v2.js';
export { KEYWORD_MATCH_BUDGET, planKeywordFetch, type KeywordFetchPlan } from './keyword-fetch-plan.js';
export type { ModelOperation, UsageEvent, UsageEventInit } from './usage.js';
export { createUsageEvent, estimateTokens } from './usage.js';
export type { RagbridgeErrorContext, RagbridgeErrorOptions } from './errors.js';
export {
  AuthenticationError,
  BackendUnreachableError,
  BadInputError,
  BudgetExceededError,
  InvalidResponseError,
  ModelLoadingError,
  ModelNotFoundError,
  PaymentRequiredError,
  RagbridgeError,
  RateLimitError,
  RequestTimeoutError,
  ServerError,
  UnsupportedRequestError,
} from './errors.js';
export type { CallTarget, HttpFailure } from './http-errors.js';
export {
  errorFromException,
  errorFromHttpResponse,
  isAbortError,
  parseJsonBody,
  parseRetryAfter,
  throwIfAborted,
} from './http-errors.js';
export { delegateChatModel, delegateEmbedder, delegateReranker } from './model-wrappers.js';
export { redactSecrets, redactUrl, registerSecret } from './redact.js';
export type { BackendInfo, BackendLocation, BackendName, ChainPart } from './backends.js';
export { BACKENDS, isLocalBackend, LOCAL_BACKENDS, TERMINAL_BACKENDS } from './backends.js';
