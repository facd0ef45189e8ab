import type { ModelOperation } from '@ragbridge/core-interfaces';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { parseOptions } from '../internal/options.js';
import {
  emptyTotals,
  type CallStatus,
  type LedgerEntry,
  type PriceState,
  type QueryFilter,
  type QueryRecord,
  type UsageLedger,
  type UsageQuery,
  type UsageTotals,
} from './usage-ledger.js';

const sqliteLedgerOptionsSchema = z.strictObject({
  /** Database file; `:memory:` keeps the ledger in memory (not durable, for tests). */
  path: z.string().min(1),
  /**
   * SQLite `synchronous` setting. `normal` (with WAL) loses nothing when the process is killed;
   * `full` also survives a power cut, at some write throughput. @default 'normal'
   */
  synchronous: z.enum(['normal', 'full']).optional(),
  /** Open for reading only (reports, dashboards). @default false */
  readonly: z.boolean().optional(),
});

/** Options of {@link openSqliteLedger}. */
export type SqliteLedgerOptions = z.input<typeof sqliteLedgerOptionsSchema>;

/** The SQLite ledger: a {@link UsageLedger} whose methods answer synchronously. */
export interface SqliteLedger extends UsageLedger {
  append(entries: readonly LedgerEntry[]): void;
  appendQueries(records: readonly QueryRecord[]): void;
  query(filter?: UsageQuery): LedgerEntry[];
  totals(filter?: UsageQuery): UsageTotals;
  queries(filter?: QueryFilter): QueryRecord[];
  close(): void;
  /** The database file. */
  readonly path: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS usage_events (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  backend TEXT NOT NULL,
  model_id TEXT NOT NULL,
  provider TEXT,
  operation TEXT NOT NULL,
  streamed INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  tokens_estimated INTEGER NOT NULL,
  items INTEGER NOT NULL,
  latency_ms REAL NOT NULL,
  cost_usd REAL,
  price_state TEXT NOT NULL,
  cache_hit INTEGER NOT NULL,
  fallback_step INTEGER NOT NULL,
  request_id TEXT,
  status TEXT NOT NULL,
  error_name TEXT,
  query_id TEXT,
  caller TEXT
);
CREATE INDEX IF NOT EXISTS usage_events_at ON usage_events(at);
CREATE INDEX IF NOT EXISTS usage_events_backend_at ON usage_events(backend, at);
CREATE TABLE IF NOT EXISTS usage_queries (
  id TEXT PRIMARY KEY,
  at INTEGER NOT NULL,
  latency_ms REAL NOT NULL,
  status TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_queries_at ON usage_queries(at);
`;

interface EventRow {
  at: number;
  started_at: number;
  backend: string;
  model_id: string;
  provider: string | null;
  operation: string;
  streamed: number;
  input_tokens: number;
  output_tokens: number;
  tokens_estimated: number;
  items: number;
  latency_ms: number;
  cost_usd: number | null;
  price_state: string;
  cache_hit: number;
  fallback_step: number;
  request_id: string | null;
  status: string;
  error_name: string | null;
  query_id: string | null;
  caller: string | null;
}

function toRow(e: LedgerEntry): EventRow {
  return {
    at: Math.round(e.at),
    started_at: Math.round(e.startedAt),
    backend: e.backend,
    model_id: e.modelId,
    provider: e.provider ?? null,
    operation: e.operation,
    streamed: e.streamed ? 1 : 0,
    input_tokens: Math.round(e.inputTokens),
    output_tokens: Math.round(e.outputTokens),
    tokens_estimated: e.tokensEstimated ? 1 : 0,
    items: Math.round(e.items),
    latency_ms: e.latencyMs,
    cost_usd: e.costUsd,
    price_state: e.priceState,
    cache_hit: e.cacheHit ? 1 : 0,
    fallback_step: e.fallbackStep,
    request_id: e.requestId ?? null,
    status: e.status,
    error_name: e.errorName ?? null,
    query_id: e.queryId ?? null,
    caller: e.caller ?? null,
  };
}

function fromRow(r: EventRow): LedgerEntry {
  return {
    at: r.at,
    startedAt: r.started_at,
    backend: r.backend,
    modelId: r.model_id,
    ...(r.provider !== null && { provider: r.provider }),
    operation: r.operation as ModelOperation,
    streamed: r.streamed === 1,
    inputTokens: r.input_tokens,
    outputTokens: r.output_tokens,
    tokensEstimated: r.tokens_estimated === 1,
    items: r.items,
    latencyMs: r.latency_ms,
    costUsd: r.cost_usd,
    priceState: r.price_state as PriceState,
    cacheHit: r.cache_hit === 1,
    fallbackStep: r.fallback_step,
    ...(r.request_id !== null && { requestId: r.request_id }),
    status: r.status as CallStatus,
    ...(r.error_name !== null && { errorName: r.error_name }),
    ...(r.query_id !== null && { queryId: r.query_id }),
    ...(r.caller !== null && r.caller !== undefined && { caller: r.caller }),
  };
}

const FILTER_COLUMNS: Array<[keyof UsageQuery, string]> = [
  ['backend', 'backend'],
  ['modelId', 'model_id'],
  ['operation', 'operation'],
  ['status', 'status'],
  ['caller', 'caller'],
];

function where(filter: UsageQuery): { sql: string; params: Record<string, unknown> } {
  const clauses: string[] = [];
  const params: Record<string, unknown> = {};
  if (filter.from !== undefined) {
    clauses.push('at >= @from');
    params.from = filter.from;
  }
  if (filter.to !== undefined) {
    clauses.push('at < @to');
    params.to = filter.to;
  }
  for (const [key, column] of FILTER_COLUMNS) {
    if (filter[key] === undefined) continue;
    clauses.push(`${column} = @${key}`);
    params[key] = filter[key];
  }
  if (filter.cacheHit !== undefined) {
    clauses.push('cache_hit = @cacheHit');
    params.cacheHit = filter.cacheHit ? 1 : 0;
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

interface Writer {
  insertEvent: Database.Statement<[EventRow]>;
  appendMany: (entries: readonly LedgerEntry[]) => void;
  appendQueries: (records: readonly QueryRecord[]) => void;
}

function prepareWriter(db: Database.Database): Writer {
  const insertEvent = db.prepare<[EventRow]>(
    `INSERT INTO usage_events (at, started_at, backend, model_id, provider, operation, streamed, input_tokens, output_tokens,
       tokens_estimated, items, latency_ms, cost_usd, price_state, cache_hit, fallback_step, request_id, status, error_name, query_id, caller)
     VALUES (@at, @started_at, @backend, @model_id, @provider, @operation, @streamed, @input_tokens, @output_tokens,
       @tokens_estimated, @items, @latency_ms, @cost_usd, @price_state, @cache_hit, @fallback_step, @request_id, @status, @error_name, @query_id, @caller)`,
  );
  const insertQuery = db.prepare<[QueryRecord]>('INSERT OR REPLACE INTO usage_queries (id, at, latency_ms, status) VALUES (@id, @at, @latencyMs, @status)');
  return {
    insertEvent,
    appendMany: db.transaction((entries: readonly LedgerEntry[]) => {
      for (const entry of entries) insertEvent.run(toRow(entry));
    }),
    appendQueries: db.transaction((records: readonly QueryRecord[]) => {
      for (const record of records) insertQuery.run(record);
    }),
  };
}

/** Columns added since the first release, added to a ledger file written by an older version. */
const ADDED_COLUMNS: ReadonlyArray<[name: string, type: string]> = [['caller', 'TEXT']];

function addMissingColumns(db: Database.Database): void {
  const present = new Set((db.prepare('PRAGMA table_info(usage_events)').all() as Array<{ name: string }>).map((c) => c.name));
  for (const [name, type] of ADDED_COLUMNS) if (!present.has(name)) db.exec(`ALTER TABLE usage_events ADD COLUMN ${name} ${type}`);
  db.exec('CREATE INDEX IF NOT EXISTS usage_events_caller_at ON usage_events(caller, at)');
}

/**
 * Opens (creating if needed) a usage ledger in a SQLite file. Every `append` is one committed
 * transaction in WAL mode, so a row is durable when `append` returns: killing the process loses
 * no acknowledged row and leaves the file readable. Several processes may share the file.
 */
export function openSqliteLedger(options: SqliteLedgerOptions): SqliteLedger {
  const parsed = parseOptions(sqliteLedgerOptionsSchema, options, 'openSqliteLedger');
  const readonly = parsed.readonly ?? false;
  const db = new Database(parsed.path, { readonly, fileMustExist: readonly });
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${parsed.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    addMissingColumns(db);
  }

  const writer = readonly ? undefined : prepareWriter(db);
  const write = (): Writer => {
    if (!writer) throw new Error(`The usage ledger ${parsed.path} was opened read-only`);
    return writer;
  };

  return {
    path: parsed.path,
    append(entries) {
      const w = write();
      if (entries.length === 1) w.insertEvent.run(toRow(entries[0] as LedgerEntry));
      else if (entries.length > 1) w.appendMany(entries);
    },
    appendQueries(records) {
      const w = write();
      if (records.length) w.appendQueries(records);
    },
    query(filter = {}) {
      const w = where(filter);
      const sql =
        filter.limit === undefined
          ? `SELECT * FROM usage_events ${w.sql} ORDER BY at, id`
          : `SELECT * FROM (SELECT * FROM usage_events ${w.sql} ORDER BY at DESC, id DESC LIMIT @limit) ORDER BY at, id`;
      const params = filter.limit === undefined ? w.params : { ...w.params, limit: filter.limit };
      return (db.prepare(sql).all(params) as EventRow[]).map(fromRow);
    },
    totals(filter = {}) {
      const w = where(filter);
      const row = db
        .prepare(
          `SELECT COUNT(*) AS calls,
             COALESCE(SUM(status = 'ok'), 0) AS okCalls,
             COALESCE(SUM(status = 'error'), 0) AS errorCalls,
             COALESCE(SUM(status = 'blocked'), 0) AS blockedCalls,
             COALESCE(SUM(status = 'aborted'), 0) AS abortedCalls,
             COALESCE(SUM(cost_usd), 0) AS costUsd,
             COALESCE(SUM(price_state = 'unknown' AND status != 'blocked' AND cache_hit = 0), 0) AS unpricedCalls,
             COALESCE(SUM(cache_hit), 0) AS cacheHits,
             COALESCE(SUM(items), 0) AS items,
             COALESCE(SUM(CASE WHEN cache_hit = 1 THEN items ELSE 0 END), 0) AS cachedItems,
             COALESCE(SUM(input_tokens), 0) AS inputTokens,
             COALESCE(SUM(output_tokens), 0) AS outputTokens,
             COALESCE(SUM(fallback_step > 0), 0) AS fallbackCalls
           FROM usage_events ${w.sql}`,
        )
        .get(w.params) as UsageTotals | undefined;
      return row ?? emptyTotals();
    },
    queries(filter = {}) {
      const w = where({ ...(filter.from !== undefined && { from: filter.from }), ...(filter.to !== undefined && { to: filter.to }) });
      return db.prepare(`SELECT id, at, latency_ms AS latencyMs, status FROM usage_queries ${w.sql} ORDER BY at, id`).all(w.params) as QueryRecord[];
    },
    close() {
      if (db.open) db.close();
    },
  };
}
