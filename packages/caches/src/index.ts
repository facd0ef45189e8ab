export type { CacheStats } from './cache-stats.js';
export type { CacheClock } from './internal/options.js';
export type {
  EmbeddingCacheRecord,
  EmbeddingCacheStore,
  MemoryEmbeddingStoreOptions,
  SqliteEmbeddingStoreOptions,
} from './embedding-store.js';
export { createMemoryEmbeddingStore, openSqliteEmbeddingStore } from './embedding-store.js';
export type { CachedEmbedder, EmbeddingCacheOptions } from './embedding-cache.js';
export { createEmbeddingCache, embeddingCacheKey } from './embedding-cache.js';
export type {
  CachedChatModel,
  MemoryResponseStoreOptions,
  ResponseCacheEntry,
  ResponseCacheOptions,
  ResponseCacheStore,
  SqliteResponseStoreOptions,
} from './response-cache.js';
export { createMemoryResponseStore, createResponseCache, openSqliteResponseStore, responseCacheKey } from './response-cache.js';
