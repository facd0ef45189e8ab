import { randomUUID } from 'node:crypto';
import { inTransaction, query, quoteIdentifier, toNumber, type PostgresDatabase } from '@ragbridge/postgres-connection';
import { InProcessBudgetReservations } from '../internal/in-process-reservations.js';
import type {
  BudgetClaim,
  BudgetReservation,
  BudgetReservations,
  BudgetReserveOutcome,
  BudgetUsage,
  BudgetWindowRef,
} from '../monitor/budget-reservations.js';

/** Version 1 of the reservation table: one row per call and budget window, until the call settles or the row expires. */
export const RESERVATION_TABLES = `
CREATE TABLE {schema}.budget_reservations (
  id uuid NOT NULL,
  budget_id text NOT NULL,
  window_start bigint NOT NULL,
  amount double precision NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY (id, budget_id)
);
CREATE INDEX budget_reservations_window ON {schema}.budget_reservations (budget_id, window_start, expires_at);
CREATE INDEX budget_reservations_expires ON {schema}.budget_reservations (expires_at);
`;

/**
 * Each claim's window with what it holds now: the spend of the ledger rows it counts (dollars, or
 * input plus output tokens) and the reservations that have not expired. Parameters: $1–$9 the
 * claims as arrays, $10 the monitor's clock now.
 */
const counted = (schema: string): string => `
claim AS (
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::double precision[], $8::double precision[], $9::boolean[])
    WITH ORDINALITY AS c (budget_id, window_start, window_end, unit, backend, caller, budget_limit, amount, enforced, n)
),
counted AS (
  SELECT c.*,
    (SELECT COALESCE(SUM(CASE WHEN c.unit = 'tokens' THEN (e.input_tokens + e.output_tokens)::double precision ELSE e.cost_usd END), 0)
       FROM ${schema}.usage_events e
      WHERE e.at >= c.window_start AND e.at < c.window_end
        AND (c.backend IS NULL OR e.backend = c.backend)
        AND (c.caller IS NULL OR e.caller = c.caller)) AS spent,
    held.reserved,
    held.in_flight
  FROM claim c
  CROSS JOIN LATERAL (
    SELECT COALESCE(SUM(r.amount), 0) AS reserved, COUNT(*) AS in_flight
      FROM ${schema}.budget_reservations r
     WHERE r.budget_id = c.budget_id AND r.window_start = c.window_start AND r.expires_at > $10
  ) held
)`;

/**
 * The reservation: ONE statement that reads every claimed window (spend + live reservations) and
 * inserts the call's reservation rows only if no enforced window is spent. It runs after the
 * windows' advisory locks are taken, in the same transaction, so its snapshot (taken when the
 * statement starts, in READ COMMITTED) already holds every reservation committed before: no two
 * replicas can both see room for the last call. ($11 the reservation id, $12 when it expires.)
 */
const reserveSql = (schema: string): string => `
WITH ${counted(schema)},
refused AS (
  SELECT n FROM counted WHERE enforced AND spent + reserved >= budget_limit
),
inserted AS (
  INSERT INTO ${schema}.budget_reservations (id, budget_id, window_start, amount, expires_at)
  SELECT $11::uuid, budget_id, window_start, amount, $12 FROM counted
   WHERE NOT EXISTS (SELECT 1 FROM refused)
  RETURNING 1
)
SELECT n, spent, reserved, in_flight, n IN (SELECT n FROM refused) AS refused, (SELECT COUNT(*) FROM inserted) AS inserted
  FROM counted ORDER BY n`;

/** One lock per budget window, taken in a fixed (sorted) order so two calls on the same windows cannot deadlock. */
const LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtext($1), hashtext(k)) FROM unnest($2::text[]) AS k`;

const lockKey = (w: BudgetWindowRef): string => `${w.windowStart}:${w.budgetKey}`;

/** The claims as the statement's array parameters $1–$9, then `now`. */
function claimParams(claims: readonly BudgetClaim[], now: number): unknown[] {
  const w = claims.map((c) => c.window);
  return [
    w.map((x) => x.budgetKey),
    w.map((x) => x.windowStart),
    w.map((x) => x.windowEnd),
    w.map((x) => x.unit),
    w.map((x) => x.backend ?? null),
    w.map((x) => x.caller ?? null),
    w.map((x) => x.limit),
    claims.map((c) => c.amount),
    claims.map((c) => c.enforced),
    Math.round(now),
  ];
}

/** Options of {@link PostgresBudgetReservations}. */
export interface PostgresBudgetReservationsOptions {
  /** How long a reservation counts if its call never settles (its process died). */
  ttlMs: number;
  /** How old this process's view of a budget may get before reading it refreshes it (in the background). */
  refreshMs: number;
}

interface Fetched {
  windowStart: number;
  at: number;
  /** Bumped by every answer, so a refresh that started before a reservation does not overwrite it. */
  generation: number;
}

const usageOf = (row: Record<string, unknown>): BudgetUsage => ({ spent: toNumber(row.spent), reserved: toNumber(row.reserved), inFlight: toNumber(row.in_flight) });

/**
 * {@link BudgetReservations} in PostgreSQL, for processes that share one budget. Spend is summed
 * from the shared ledger's rows; reservations are rows that count until the call settles or
 * `ttlMs` passes. Statuses and the step filter read a local view of each budget, replaced by the
 * database's numbers at every reservation and refreshed in the background when older than
 * `refreshMs`; admission itself always asks the database.
 */
export class PostgresBudgetReservations implements BudgetReservations {
  readonly specificationVersion = 'v1';
  private readonly view = new InProcessBudgetReservations();
  private readonly fetched = new Map<string, Fetched>();
  private readonly refreshing = new Set<string>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly schema: string;

  constructor(
    private readonly db: PostgresDatabase,
    private readonly options: PostgresBudgetReservationsOptions,
  ) {
    this.schema = quoteIdentifier(db.schema);
  }

  usage(window: BudgetWindowRef, now: number): BudgetUsage {
    const fetched = this.fetched.get(window.budgetKey);
    const fresh = fetched?.windowStart === window.windowStart && now - fetched.at < this.options.refreshMs;
    if (!fresh && (fetched === undefined || fetched.windowStart <= window.windowStart)) this.refresh(window, now);
    return this.view.usage(window);
  }

  seed(window: BudgetWindowRef, spent: number): void {
    this.view.seed(window, spent);
  }

  async reserve(claims: readonly BudgetClaim[], now: number): Promise<BudgetReserveOutcome> {
    const id = randomUUID();
    const keys = [...new Set(claims.map((c) => lockKey(c.window)))].sort();
    const rows = await inTransaction(this.db, async (client) => {
      await client.query(LOCK_SQL, [`ragbridge.budget:${this.db.schema}`, keys]);
      const result = await client.query(reserveSql(this.schema), [...claimParams(claims, now), id, Math.round(now + this.options.ttlMs)]);
      return result.rows;
    });
    const admitted = toNumber(rows[0]?.inserted) > 0;
    rows.forEach((row, index) => {
      const claim = claims[index] as BudgetClaim;
      const u = usageOf(row);
      this.learn(claim.window, now, admitted ? { spent: u.spent, reserved: u.reserved + claim.amount, inFlight: u.inFlight + 1 } : u);
    });
    if (admitted) return { ok: true, reservation: { id, claims } };
    return { ok: false, refused: rows.flatMap((row, index) => (row.refused === true ? [index] : [])) };
  }

  settle(reservation: BudgetReservation, spent: readonly number[], written: Promise<unknown> | undefined): Promise<void> {
    this.view.settle(reservation, spent);
    const windows = reservation.claims.map((c) => c.window);
    // Only once the call's ledger row is committed does the reservation go: the call always counts
    // at least once. Rows of these budgets' past windows (left by processes that died) go too.
    return this.track(
      (async () => {
        await written;
        await query(
          this.db,
          `DELETE FROM ${this.schema}.budget_reservations r
            WHERE r.id = $1
               OR EXISTS (SELECT 1 FROM unnest($2::text[], $3::bigint[]) AS w (budget_id, window_start)
                           WHERE r.budget_id = w.budget_id AND r.window_start < w.window_start)`,
          [reservation.id, windows.map((w) => w.budgetKey), windows.map((w) => w.windowStart)],
        );
      })(),
    );
  }

  addSpend(window: BudgetWindowRef, amount: number): void {
    this.view.addSpend(window, amount);
  }

  /** Waits for background refreshes and releases (before the pool closes). */
  async flush(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private refresh(window: BudgetWindowRef, now: number): void {
    const key = lockKey(window);
    if (this.refreshing.has(key)) return;
    this.refreshing.add(key);
    const generation = this.fetched.get(window.budgetKey)?.generation ?? 0;
    const claim: BudgetClaim = { window, amount: 0, enforced: false };
    const work = query(this.db, `WITH ${counted(this.schema)} SELECT spent, reserved, in_flight FROM counted`, claimParams([claim], now))
      .then(({ rows }) => {
        if ((this.fetched.get(window.budgetKey)?.generation ?? 0) === generation && rows[0]) this.learn(window, now, usageOf(rows[0]));
      })
      // A failed refresh keeps the last numbers; the next reservation asks the database anyway.
      .catch(() => undefined)
      .finally(() => this.refreshing.delete(key));
    this.track(work);
  }

  private learn(window: BudgetWindowRef, now: number, usage: BudgetUsage): void {
    const previous = this.fetched.get(window.budgetKey);
    if (previous && previous.windowStart > window.windowStart) return;
    this.view.replace(window, usage);
    this.fetched.set(window.budgetKey, { windowStart: window.windowStart, at: now, generation: (previous?.generation ?? 0) + 1 });
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work)).catch(() => undefined);
    return work;
  }
}
