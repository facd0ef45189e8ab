import { migrate, ONE_CONNECTION_MESSAGE, oneConnection, openPostgresDatabase, postgresConnectionShape } from '@ragbridge/postgres-connection';
import { z } from 'zod';
import { parseOptions } from '../internal/options.js';
import type { AlertState } from '../monitor/alert-state.js';
import type { BudgetReservations } from '../monitor/budget-reservations.js';
import { ALERT_TABLES, createPostgresAlertState } from './postgres-alert-state.js';
import { PostgresBudgetReservations, RESERVATION_TABLES } from './postgres-budget-reservations.js';
import { createPostgresLedger, LEDGER_TABLES, type PostgresLedger } from './postgres-ledger.js';

/** The cost monitor's tables, one migration step per version (see `migrate`). */
const COST_STATE_MIGRATIONS: readonly string[] = [LEDGER_TABLES + RESERVATION_TABLES + ALERT_TABLES];

const postgresCostStateOptionsSchema = z
  .strictObject({
    ...postgresConnectionShape,
    /**
     * How long a budget reservation counts when its call never settles (the process holding it was
     * killed mid-call). Longer than your slowest model call. @default 600_000 (10 minutes)
     */
    reservationTtlMs: z.number().int().positive().optional(),
    /**
     * How old a process's view of a shared budget (what `budgets()` and the step filter read) may
     * get before reading it refreshes it from the database, in the background. @default 5_000
     */
    budgetRefreshMs: z.number().int().nonnegative().optional(),
  })
  .refine(oneConnection, ONE_CONNECTION_MESSAGE);

/** Options of {@link openPostgresCostState}. */
export type PostgresCostStateOptions = z.input<typeof postgresCostStateOptionsSchema>;

/** The cost monitor's state in PostgreSQL: give `ledger`, `reservations` and `alertState` to `createCostMonitor`. */
export interface PostgresCostState {
  /** The usage ledger shared by every process on the schema. */
  readonly ledger: PostgresLedger;
  /** Budgets shared by every process on the schema. */
  readonly reservations: BudgetReservations;
  /** Once-per-window alerts sent once between every process on the schema. */
  readonly alertState: AlertState;
  /** The schema holding the tables. */
  readonly schema: string;
  /** Waits for background work, then closes the connections (unless the pool was given). */
  close(): Promise<void>;
}

/**
 * Opens the cost monitor's state in a PostgreSQL schema, creating or migrating its tables (once,
 * under an advisory lock, however many replicas start together). Connection failures reject with
 * `BackendUnreachableError`, refused credentials with `AuthenticationError`, a missing database
 * with `BadInputError`; their messages show the URL without its password.
 */
export async function openPostgresCostState(options: PostgresCostStateOptions): Promise<PostgresCostState> {
  const parsed = parseOptions(postgresCostStateOptionsSchema, options, 'openPostgresCostState');
  const db = openPostgresDatabase(parsed);
  try {
    await migrate(db, 'cost-monitor', COST_STATE_MIGRATIONS);
  } catch (error) {
    if (db.ownsPool) await db.pool.end().catch(() => undefined);
    throw error;
  }
  const reservations = new PostgresBudgetReservations(db, { ttlMs: parsed.reservationTtlMs ?? 600_000, refreshMs: parsed.budgetRefreshMs ?? 5_000 });
  return {
    ledger: createPostgresLedger(db),
    reservations,
    alertState: createPostgresAlertState(db),
    schema: db.schema,
    async close() {
      await reservations.flush();
      if (db.ownsPool) await db.pool.end();
    },
  };
}
