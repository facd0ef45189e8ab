// @ragbridge/cost-monitor/postgres: the cost monitor's ledger, budgets and alert state in
// PostgreSQL, shared by every process on one schema. Needs @ragbridge/postgres-connection (an optional
// peer, which brings `pg`).
export type { PostgresCostState, PostgresCostStateOptions } from './postgres-cost-state.js';
export { openPostgresCostState } from './postgres-cost-state.js';
export type { PostgresLedger } from './postgres-ledger.js';
export type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from '@ragbridge/postgres-connection';
