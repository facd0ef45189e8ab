export type { BudgetWindow, Clock } from './clock.js';
export { systemClock, windowBounds } from './clock.js';

export type {
  CallStatus,
  LedgerEntry,
  PriceState,
  QueryFilter,
  QueryRecord,
  UsageLedger,
  UsageQuery,
  UsageTotals,
} from './ledger/usage-ledger.js';
export type { SqliteLedger, SqliteLedgerOptions } from './ledger/sqlite-ledger.js';
export { openSqliteLedger } from './ledger/sqlite-ledger.js';

export type { ModelPrice, PriceBook, PriceBookOptions, PricedCall, PriceQuote, PriceTable } from './prices/price-book.js';
export { createPriceBook, DEFAULT_LOCAL_BACKENDS, splitProviderSuffix } from './prices/price-book.js';
export { HF_INFERENCE_PROVIDERS_PRICES } from './prices/hf-price-table.js';
export type { HfRouterCatalogOptions } from './prices/hf-router-catalog.js';
export { pricesFromHfRouterCatalog } from './prices/hf-router-catalog.js';

export type { CacheStats } from './cache/cache-stats.js';
export type {
  EmbeddingCacheRecord,
  EmbeddingCacheStore,
  MemoryEmbeddingStoreOptions,
  SqliteEmbeddingStoreOptions,
} from './cache/embedding-store.js';
export { createMemoryEmbeddingStore, openSqliteEmbeddingStore } from './cache/embedding-store.js';
export type { CachedEmbedder, EmbeddingCacheOptions } from './cache/embedding-cache.js';
export { createEmbeddingCache, embeddingCacheKey } from './cache/embedding-cache.js';
export type {
  CachedChatModel,
  MemoryResponseStoreOptions,
  ResponseCacheEntry,
  ResponseCacheOptions,
  ResponseCacheStore,
  SqliteResponseStoreOptions,
} from './cache/response-cache.js';
export { createMemoryResponseStore, createResponseCache, openSqliteResponseStore, responseCacheKey } from './cache/response-cache.js';

export type { BudgetMode, BudgetRule, BudgetStatus, FallbackStepInfo } from './monitor/budgets.js';
export type {
  AlertOptions,
  BudgetAlert,
  CostAlert,
  CostThresholdAlert,
  ErrorRateAlert,
  LatencyAlert,
  LedgerErrorAlert,
  UnknownPriceAlert,
} from './monitor/alerts.js';
export type { BackendSummary, LatencyPercentiles, UsageSummary } from './monitor/summary.js';
export { summarizeUsage } from './monitor/summary.js';
export type {
  CostMonitor,
  CostMonitorOptions,
  MonitoredChatOptions,
  MonitoredEmbedderOptions,
  MonitoredModelOptions,
  SummaryOptions,
} from './monitor/cost-monitor.js';
export { createCostMonitor } from './monitor/cost-monitor.js';
