import { query, quoteIdentifier, toNumber, type PostgresDatabase } from '@ragbridge/postgres-connection';
import type { AlertState, CostThresholdCheck, CostThresholdOutcome } from '../monitor/alert-state.js';

/** Version 1 of the alert table: one row per alert sent, per window. */
export const ALERT_TABLES = `
CREATE TABLE {schema}.alerts_sent (
  alert text NOT NULL,
  window_start bigint NOT NULL,
  spent_usd double precision,
  sent_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (alert, window_start)
);
`;

/**
 * An {@link AlertState} in PostgreSQL, for processes that share one ledger: a cost alert counts the
 * spend of every process (summed from the ledger), and each once-per-window alert is sent by the
 * process whose `INSERT … ON CONFLICT DO NOTHING` of (alert, window start) wins.
 */
export function createPostgresAlertState(db: PostgresDatabase): AlertState {
  const schema = quoteIdentifier(db.schema);
  // The window's spend, and the alert's row inserted if the spend has reached the threshold and no
  // process has inserted it yet. $1 alert, $2/$3 window, $4 backend or null, $5 threshold.
  const thresholdSql = `
    WITH spend AS (
      SELECT COALESCE(SUM(cost_usd), 0) AS spent FROM ${schema}.usage_events
       WHERE at >= $2 AND at < $3 AND ($4::text IS NULL OR backend = $4)
    ),
    claimed AS (
      INSERT INTO ${schema}.alerts_sent (alert, window_start, spent_usd)
      SELECT $1, $2, spent FROM spend WHERE spent >= $5
      ON CONFLICT (alert, window_start) DO NOTHING
      RETURNING spent_usd
    )
    SELECT (SELECT spent FROM spend) AS spent, (SELECT spent_usd FROM claimed) AS claimed`;
  return {
    specificationVersion: 'v1',
    async costThreshold(check: CostThresholdCheck): Promise<CostThresholdOutcome> {
      // The call's own row must be in the sum.
      await check.written;
      const { rows } = await query(db, thresholdSql, [check.key, Math.round(check.windowStart), Math.round(check.windowEnd), check.backend ?? null, check.thresholdUsd]);
      const row = rows[0] ?? {};
      if (row.claimed !== null && row.claimed !== undefined) return { state: 'send', spentUsd: toNumber(row.claimed) };
      return toNumber(row.spent) >= check.thresholdUsd ? { state: 'sent' } : { state: 'below' };
    },
    async claim(key: string, windowStart: number): Promise<boolean> {
      const { rowCount } = await query(db, `INSERT INTO ${schema}.alerts_sent (alert, window_start) VALUES ($1, $2) ON CONFLICT (alert, window_start) DO NOTHING`, [
        key,
        Math.round(windowStart),
      ]);
      return rowCount === 1;
    },
  };
}
