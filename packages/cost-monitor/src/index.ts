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
export {
  createPriceBook,
  DEFAULT_LOCAL_BACKENDS,
  DEFAULT_SCALE_TO_ZERO_MINUTES,
  modelPriceSchema,
  priceTableSchema,
  splitProviderSuffix,
} from './prices/price-book.js';
export { HF_INFERENCE_PROVIDERS_PRICES } from './prices/hf-price-table.js';
export type { HfRouterCatalogOptions } from './prices/hf-router-catalog.js';
export { HF_ROUTER_MODELS_URL, pricesFromHfRouterCatalog } from './prices/hf-router-catalog.js';

export type { BudgetMode, BudgetRule, BudgetStatus, BudgetUnit, FallbackStepInfo } from './monitor/budgets.js';
export type {
  AlertOptions,
  BudgetAlert,
  CostAlert,
  CostThresholdAlert,
  ErrorRateAlert,
  EstimatedPriceAlert,
  LatencyAlert,
  LedgerErrorAlert,
  UnknownPriceAlert,
} from './monitor/alerts.js';
export type { AlertLog } from './monitor/alert-notifier.js';
export type {
  BudgetClaim,
  BudgetReservation,
  BudgetReservations,
  BudgetReserveOutcome,
  BudgetUsage,
  BudgetWindowRef,
} from './monitor/budget-reservations.js';
export type { AlertState, CostThresholdCheck, CostThresholdOutcome } from './monitor/alert-state.js';
export type { BackendSummary, CacheHitStats, LatencyPercentiles, UsageSummary } from './monitor/summary.js';
export { summarizeUsage } from './monitor/summary.js';
export type { MonitoredModelOptions } from './monitor/monitored-models.js';
export type { CostMonitor, CostMonitorOptions, SummaryOptions } from './monitor/cost-monitor.js';
export { createCostMonitor } from './monitor/cost-monitor.js';
