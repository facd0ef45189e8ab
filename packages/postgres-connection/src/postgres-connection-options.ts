import { z } from 'zod';
import { isPostgresPool, type PostgresPool } from './postgres-pool.js';

/**
 * The connection options of a PostgreSQL factory, to spread into its strict zod schema (refine the
 * object with {@link oneConnection}).
 */
export const postgresConnectionShape = {
  /** A PostgreSQL URL, e.g. `process.env.DATABASE_URL` (`postgres://user:password@host:5432/database`). Give this or `pool`. */
  url: z.string().min(1).optional(),
  /** A `pg` Pool to use instead of opening one; it stays open when the state closes. Give this or `url`. */
  pool: z.custom<PostgresPool>(isPostgresPool, 'must be a pg Pool (query, connect and end)').optional(),
  /** The schema holding the tables, created if missing; replicas that share state share it. @default 'ragbridge' */
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier (letters, digits, _; at most 63)')
    .optional(),
  /** Most connections of the pool opened from `url`. @default 10 */
  maxConnections: z.number().int().positive().optional(),
  /** How long opening a connection may take before it fails, in ms. @default 10_000 */
  connectTimeoutMs: z.number().int().positive().optional(),
};

/** The options {@link postgresConnectionShape} describes, once parsed. */
export interface PostgresConnectionOptions {
  url?: string | undefined;
  pool?: PostgresPool | undefined;
  schema?: string | undefined;
  maxConnections?: number | undefined;
  connectTimeoutMs?: number | undefined;
}

/**
 * Refinement: exactly one of `url` and `pool`, and the pool settings only with `url` (a pool that
 * is given keeps its own). Its message is {@link ONE_CONNECTION_MESSAGE}.
 */
export const oneConnection = (o: PostgresConnectionOptions): boolean =>
  o.pool === undefined ? o.url !== undefined : o.url === undefined && o.maxConnections === undefined && o.connectTimeoutMs === undefined;

/** What a failed {@link oneConnection} says. */
export const ONE_CONNECTION_MESSAGE = 'give exactly one of url and pool (maxConnections and connectTimeoutMs only with url)';
