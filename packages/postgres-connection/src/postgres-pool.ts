/** One query's answer: the rows (pg parses `bigint` and `numeric` as strings). */
export interface PostgresQueryResult {
  rows: Array<Record<string, unknown>>;
  rowCount: number | null;
}

/** A connection taken from a {@link PostgresPool} for a transaction. */
export interface PostgresPoolClient {
  query(text: string, values?: unknown[]): Promise<PostgresQueryResult>;
  /** Returns the connection to the pool; an error destroys it instead. */
  release(error?: Error | boolean): void;
}

/**
 * What the PostgreSQL stores use of a pool: a `pg` `Pool` fits. Typed by its methods, so these
 * declarations do not make your TypeScript need `@types/pg`.
 */
export interface PostgresPool {
  query(text: string, values?: unknown[]): Promise<PostgresQueryResult>;
  connect(): Promise<PostgresPoolClient>;
  end(): Promise<void>;
}

/** True for an object with a pool's `query`, `connect` and `end`. */
export const isPostgresPool = (value: unknown): value is PostgresPool =>
  typeof value === 'object' && value !== null && ['query', 'connect', 'end'].every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
