import type { ModelOperation } from '@ragbridge/core-interfaces';
import { query, quoteIdentifier, toNumber, type PostgresDatabase } from '@ragbridge/postgres-connection';
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
} from '../ledger/usage-ledger.js';

/** The PostgreSQL ledger: a {@link UsageLedger} whose methods answer in promises; rows of every process that shares the schema. */
export interface PostgresLedger extends UsageLedger {
  append(entries: readonly LedgerEntry[]): Promise<void>;
  appendQueries(records: readonly QueryRecord[]): Promise<void>;
  query(filter?: UsageQuery): Promise<LedgerEntry[]>;
  totals(filter?: UsageQuery): Promise<UsageTotals>;
  queries(filter?: QueryFilter): Promise<QueryRecord[]>;
  /** Does nothing: the connections belong to the cost state (`PostgresCostState.close`). */
  close(): void;
}

/** Version 1 of the ledger tables (`{schema}`: the quoted schema). */
export const LEDGER_TABLES = `
CREATE TABLE {schema}.usage_events (
  id bigserial PRIMARY KEY,
  at bigint NOT NULL,
  started_at bigint NOT NULL,
  backend text NOT NULL,
  model_id text NOT NULL,
  provider text,
  operation text NOT NULL,
  streamed boolean NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  tokens_estimated boolean NOT NULL,
  items bigint NOT NULL,
  latency_ms double precision NOT NULL,
  cost_usd double precision,
  price_state text NOT NULL,
  cache_hit boolean NOT NULL,
  fallback_step integer NOT NULL,
  request_id text,
  status text NOT NULL,
  error_name text,
  query_id text,
  caller text
);
CREATE INDEX usage_events_at ON {schema}.usage_events (at);
CREATE INDEX usage_events_backend_at ON {schema}.usage_events (backend, at);
CREATE INDEX usage_events_caller_at ON {schema}.usage_events (caller, at);
CREATE TABLE {schema}.usage_queries (
  id text PRIMARY KEY,
  at bigint NOT NULL,
  latency_ms double precision NOT NULL,
  status text NOT NULL
);
CREATE INDEX usage_queries_at ON {schema}.usage_queries (at);
`;

/** Columns written by `append`, with the SQL array type each is sent as and how an entry fills it. */
const EVENT_COLUMNS: ReadonlyArray<[column: string, type: string, value: (e: LedgerEntry) => unknown]> = [
  ['at', 'bigint', (e) => Math.round(e.at)],
  ['started_at', 'bigint', (e) => Math.round(e.startedAt)],
  ['backend', 'text', (e) => e.backend],
  ['model_id', 'text', (e) => e.modelId],
  ['provider', 'text', (e) => e.provider ?? null],
  ['operation', 'text', (e) => e.operation],
  ['streamed', 'boolean', (e) => e.streamed],
  ['input_tokens', 'bigint', (e) => Math.round(e.inputTokens)],
  ['output_tokens', 'bigint', (e) => Math.round(e.outputTokens)],
  ['tokens_estimated', 'boolean', (e) => e.tokensEstimated],
  ['items', 'bigint', (e) => Math.round(e.items)],
  ['latency_ms', 'double precision', (e) => e.latencyMs],
  ['cost_usd', 'double precision', (e) => e.costUsd],
  ['price_state', 'text', (e) => e.priceState],
  ['cache_hit', 'boolean', (e) => e.cacheHit],
  ['fallback_step', 'integer', (e) => e.fallbackStep],
  ['request_id', 'text', (e) => e.requestId ?? null],
  ['status', 'text', (e) => e.status],
  ['error_name', 'text', (e) => e.errorName ?? null],
  ['query_id', 'text', (e) => e.queryId ?? null],
  ['caller', 'text', (e) => e.caller ?? null],
];

function fromRow(r: Record<string, unknown>): LedgerEntry {
  const text = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));
  const provider = text(r.provider);
  const requestId = text(r.request_id);
  const errorName = text(r.error_name);
  const queryId = text(r.query_id);
  const caller = text(r.caller);
  return {
    at: toNumber(r.at),
    startedAt: toNumber(r.started_at),
    backend: String(r.backend),
    modelId: String(r.model_id),
    ...(provider !== undefined && { provider }),
    operation: r.operation as ModelOperation,
    streamed: r.streamed === true,
    inputTokens: toNumber(r.input_tokens),
    outputTokens: toNumber(r.output_tokens),
    tokensEstimated: r.tokens_estimated === true,
    items: toNumber(r.items),
    latencyMs: toNumber(r.latency_ms),
    costUsd: r.cost_usd === null ? null : toNumber(r.cost_usd),
    priceState: r.price_state as PriceState,
    cacheHit: r.cache_hit === true,
    fallbackStep: toNumber(r.fallback_step),
    ...(requestId !== undefined && { requestId }),
    status: r.status as CallStatus,
    ...(errorName !== undefined && { errorName }),
    ...(queryId !== undefined && { queryId }),
    ...(caller !== undefined && { caller }),
  };
}

const FILTER_COLUMNS: Array<[keyof UsageQuery, string]> = [
  ['backend', 'backend'],
  ['modelId', 'model_id'],
  ['operation', 'operation'],
  ['status', 'status'],
  ['caller', 'caller'],
  ['cacheHit', 'cache_hit'],
];

/** The WHERE clause of a filter, its parameters numbered from `$1`. */
function where(filter: UsageQuery): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (clause: (p: string) => string, value: unknown): void => {
    params.push(value);
    clauses.push(clause(`$${params.length}`));
  };
  if (filter.from !== undefined) add((p) => `at >= ${p}`, Math.round(filter.from));
  if (filter.to !== undefined) add((p) => `at < ${p}`, Math.round(filter.to));
  for (const [key, column] of FILTER_COLUMNS) if (filter[key] !== undefined) add((p) => `${column} = ${p}`, filter[key]);
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

const TOTALS = `
  COUNT(*) AS calls,
  COUNT(*) FILTER (WHERE status = 'ok') AS "okCalls",
  COUNT(*) FILTER (WHERE status = 'error') AS "errorCalls",
  COUNT(*) FILTER (WHERE status = 'blocked') AS "blockedCalls",
  COUNT(*) FILTER (WHERE status = 'aborted') AS "abortedCalls",
  COALESCE(SUM(cost_usd), 0) AS "costUsd",
  COUNT(*) FILTER (WHERE price_state = 'unknown' AND status <> 'blocked' AND NOT cache_hit) AS "unpricedCalls",
  COUNT(*) FILTER (WHERE cache_hit) AS "cacheHits",
  COALESCE(SUM(items), 0) AS items,
  COALESCE(SUM(items) FILTER (WHERE cache_hit), 0) AS "cachedItems",
  COALESCE(SUM(input_tokens), 0) AS "inputTokens",
  COALESCE(SUM(output_tokens), 0) AS "outputTokens",
  COUNT(*) FILTER (WHERE fallback_step > 0) AS "fallbackCalls"`;

/**
 * A usage ledger in PostgreSQL tables (created by `openPostgresCostState`). `append` resolves once
 * its rows are committed, so they survive the process being killed; several processes append to
 * one ledger, and totals and windows are summed by the database over all their rows.
 */
export function createPostgresLedger(db: PostgresDatabase): PostgresLedger {
  const schema = quoteIdentifier(db.schema);
  const insertEvents = `INSERT INTO ${schema}.usage_events (${EVENT_COLUMNS.map(([c]) => c).join(', ')})
    SELECT * FROM unnest(${EVENT_COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})`;
  return {
    async append(entries) {
      if (entries.length === 0) return;
      // One statement, so the rows are committed together; unnest keeps their order.
      await query(db, insertEvents, EVENT_COLUMNS.map(([, , value]) => entries.map(value)));
    },
    async appendQueries(records) {
      if (records.length === 0) return;
      await query(
        db,
        `INSERT INTO ${schema}.usage_queries (id, at, latency_ms, status)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::double precision[], $4::text[])
         ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at, latency_ms = EXCLUDED.latency_ms, status = EXCLUDED.status`,
        [records.map((r) => r.id), records.map((r) => Math.round(r.at)), records.map((r) => r.latencyMs), records.map((r) => r.status)],
      );
    },
    async query(filter = {}) {
      const w = where(filter);
      const sql =
        filter.limit === undefined
          ? `SELECT * FROM ${schema}.usage_events ${w.sql} ORDER BY at, id`
          : `SELECT * FROM (SELECT * FROM ${schema}.usage_events ${w.sql} ORDER BY at DESC, id DESC LIMIT $${w.params.length + 1}) newest ORDER BY at, id`;
      const { rows } = await query(db, sql, filter.limit === undefined ? w.params : [...w.params, filter.limit]);
      return rows.map(fromRow);
    },
    async totals(filter = {}) {
      const w = where(filter);
      const { rows } = await query(db, `SELECT ${TOTALS} FROM ${schema}.usage_events ${w.sql}`, w.params);
      const row = rows[0] ?? {};
      const totals = emptyTotals();
      for (const key of Object.keys(totals) as Array<keyof UsageTotals>) totals[key] = toNumber(row[key]);
      return totals;
    },
    async queries(filter = {}) {
      const w = where({ ...(filter.from !== undefined && { from: filter.from }), ...(filter.to !== undefined && { to: filter.to }) });
      const { rows } = await query(db, `SELECT id, at, latency_ms, status FROM ${schema}.usage_queries ${w.sql} ORDER BY at, id`, w.params);
      return rows.map((r) => ({ id: String(r.id), at: toNumber(r.at), latencyMs: toNumber(r.latency_ms), status: r.status as QueryRecord['status'] }));
    },
    close() {
      // The pool belongs to the cost state: PostgresCostState.close() ends it.
    },
  };
}
