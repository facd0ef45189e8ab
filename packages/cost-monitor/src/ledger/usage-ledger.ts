import type { ModelOperation, UsageEvent } from '@ragbridge/core-interfaces';

/**
 * How a call's cost was determined: from the price table (`priced`); at the highest price listed
 * for the model, because the serving provider has none or is not known (`estimated`); free because
 * the backend is local (`local`) or because a cache answered (`cached`); or not at all (`unknown`).
 */
export type PriceState = 'priced' | 'estimated' | 'local' | 'cached' | 'unknown';

/**
 * How a call ended: `ok`; `error` (the backend failed); `blocked` (a budget refused it, no backend
 * was called); `aborted` (the caller cancelled it or stopped reading its stream).
 */
export type CallStatus = 'ok' | 'error' | 'blocked' | 'aborted';

/** One row of the ledger: the call's {@link UsageEvent} plus what the monitor knows about it. */
export interface LedgerEntry extends UsageEvent {
  /** The monitor's clock (epoch ms) when the call began. Time windows, budgets and alerts use it. */
  at: number;
  status: CallStatus;
  /** The error's `name` for `error` and `aborted` calls. */
  errorName?: string;
  /** `unknown` means `costUsd` is null: no price is known for this backend, model and provider. */
  priceState: PriceState;
  /** The query (see `CostMonitor.trackQuery`) the call served, if any. */
  queryId?: string;
  /** Whose call it was (an API key's id; see `CostMonitor.asCaller`), if anyone's. */
  caller?: string;
}

/** One tracked end-to-end query (a question answered by the app). */
export interface QueryRecord {
  id: string;
  /** Monitor clock time (epoch ms) when the query began. */
  at: number;
  latencyMs: number;
  status: 'ok' | 'error';
}

/** Which ledger rows to read. Every field narrows; `from` is inclusive, `to` exclusive (on `at`). */
export interface UsageQuery {
  from?: number;
  to?: number;
  backend?: string;
  modelId?: string;
  operation?: ModelOperation;
  status?: CallStatus;
  /** Only rows served from (`true`) or not from (`false`) a cache. */
  cacheHit?: boolean;
  /** Only calls made for this caller. */
  caller?: string;
  /** Rows in `at` order; the newest `limit` when set. */
  limit?: number;
}

/** Sums over the rows a {@link UsageQuery} selects. */
export interface UsageTotals {
  calls: number;
  okCalls: number;
  errorCalls: number;
  blockedCalls: number;
  abortedCalls: number;
  /** Sum of known costs in USD (unpriced rows add nothing; see `unpricedCalls`). */
  costUsd: number;
  /** Rows whose price is unknown (`costUsd` null) among calls that reached a backend. */
  unpricedCalls: number;
  /** Rows served from a cache. */
  cacheHits: number;
  /** Texts (embed, rerank) or replies (chat) over all rows. */
  items: number;
  /** Items served from a cache. */
  cachedItems: number;
  inputTokens: number;
  outputTokens: number;
  /** Rows served by a fallback step (`fallbackStep > 0`). */
  fallbackCalls: number;
}

/** Which tracked queries to read (`from` inclusive, `to` exclusive, on `at`). */
export interface QueryFilter {
  from?: number;
  to?: number;
}

/**
 * Where usage is recorded. The SQLite implementation ({@link openSqliteLedger}) answers
 * synchronously; a server database may return promises. `append` must be durable when it
 * returns (or resolves): a row it acknowledged survives the process being killed.
 */
export interface UsageLedger {
  /** Appends rows in one transaction. */
  append(entries: readonly LedgerEntry[]): void | Promise<void>;
  /** Appends tracked queries. */
  appendQueries(records: readonly QueryRecord[]): void | Promise<void>;
  /** Reads rows in `at` order. */
  query(filter?: UsageQuery): readonly LedgerEntry[] | Promise<readonly LedgerEntry[]>;
  /** Sums the rows a filter selects. */
  totals(filter?: UsageQuery): UsageTotals | Promise<UsageTotals>;
  /** Reads tracked queries in `at` order. */
  queries(filter?: QueryFilter): readonly QueryRecord[] | Promise<readonly QueryRecord[]>;
  close(): void | Promise<void>;
}

/** Totals of nothing. */
export function emptyTotals(): UsageTotals {
  return {
    calls: 0,
    okCalls: 0,
    errorCalls: 0,
    blockedCalls: 0,
    abortedCalls: 0,
    costUsd: 0,
    unpricedCalls: 0,
    cacheHits: 0,
    items: 0,
    cachedItems: 0,
    inputTokens: 0,
    outputTokens: 0,
    fallbackCalls: 0,
  };
}
