import { BadInputError } from '@ragbridge/core-interfaces';
import pg from 'pg';
import { z } from 'zod';

/**
 * The defaults of {@link PostgresStoreOptions}, defined once.
 *
 * `efSearch` 200 (pgvector's own default is 40): on random 384-dimension unit vectors, the hardest
 * case for an HNSW graph, the store's index (m 16, ef_construction 64) found these shares of the
 * true 10 nearest neighbours at 3,000 / 5,000 vectors (bench/vector-recall-bench.ts): ef_search 40:
 * 0.64 / 0.51; 100: 0.90 / 0.78; 200: 0.985 / 0.94; 300: 0.996 / 0.98, for ~1-3 ms more per query
 * than 40. Embeddings of real text cluster and reach a given recall at a lower ef_search; 200 keeps
 * recall@10 at 0.95 or more where the data is hard. It only sizes the candidate list of the graph
 * walk: nothing is rebuilt when it changes.
 */
export const POSTGRES_STORE_DEFAULTS = {
  schema: 'ragbridge',
  maxConnections: 10,
  efSearch: 200,
  /**
   * How each vector space's HNSW index is built: pgvector's defaults. On 100k hash-embedding
   * vectors (docs/postgres.md) m 32 / efConstruction 200 reached recall@10 0.955 at efSearch 150
   * where these reached 0.905 at 200, for a slower build and a larger index.
   */
  hnsw: { m: 16, efConstruction: 64 },
  deferVectorIndex: false,
  migrate: true,
} as const;

/** An unquoted PostgreSQL identifier of ours: lower-case letters, digits and `_`, at most 63 bytes, not `pg_…`. */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * A pool of node-postgres connections you lend the store: a `pg.Pool`. Typed by the two methods the
 * contract needs, so these declarations do not make your TypeScript need `@types/pg`.
 */
export interface PostgresPool {
  connect(): Promise<unknown>;
  query(text: string, values?: unknown[]): Promise<unknown>;
}

const poolSchema = z.custom<PostgresPool>(
  (value) => value instanceof pg.Pool || (typeof value === 'object' && value !== null && typeof (value as PostgresPool).connect === 'function' && typeof (value as PostgresPool).query === 'function'),
  'must be a pg.Pool',
);

export const postgresStoreOptionsSchema = z
  .strictObject({
    /** A connection string, e.g. `postgres://user:password@host:5432/database`. The store owns the pool it opens. */
    url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional(),
    /** A pool of your own (the store neither ends it nor changes its settings). */
    pool: poolSchema.optional(),
    /** The PostgreSQL schema the store's tables live in (created when missing). @default 'ragbridge' */
    schema: z
      .string()
      .regex(IDENTIFIER, 'must be a lower-case identifier: letters a-z, digits and _, starting with a letter or _, at most 63 characters')
      .refine((name) => !name.startsWith('pg_'), 'must not start with pg_ (reserved by PostgreSQL)')
      .optional(),
    /** Connections of the pool the store opens from `url` (not used with `pool`). @default 10 */
    maxConnections: z.number().int().min(1).max(1000).optional(),
    /** `hnsw.ef_search` of vector searches: higher finds more of the true neighbours, slower. @default 200 */
    efSearch: z.number().int().min(1).max(1000).optional(),
    /**
     * How the HNSW index of a vector space is built, when the space is created (the first vectors of
     * an embedder identity; an existing index keeps its settings): `m` links per node, `efConstruction`
     * candidates per insert (at least 2 × m). Higher: better recall at a given efSearch, slower
     * inserts, a larger index. @default { m: 16, efConstruction: 64 } (pgvector's)
     */
    hnsw: z
      .strictObject({ m: z.number().int().min(2).max(100).optional(), efConstruction: z.number().int().min(4).max(1000).optional() })
      .refine((h) => (h.efConstruction ?? POSTGRES_STORE_DEFAULTS.hnsw.efConstruction) >= 2 * (h.m ?? POSTGRES_STORE_DEFAULTS.hnsw.m), { message: 'efConstruction must be at least 2 × m (pgvector)' })
      .optional(),
    /**
     * Bulk loads: vector spaces this store creates get no HNSW index until you call
     * `buildVectorIndexes()`, which builds it over all their vectors at once (on 100k 384-dimension
     * vectors several times faster than maintaining it on every insert; docs/postgres.md). Until
     * then searches of such a space compare every vector (exact, slower as it grows). Spaces that
     * exist keep their index. @default false
     */
    deferVectorIndex: z.boolean().optional(),
    /** Create or upgrade the schema's tables when opening. Without it, a schema not at this version is refused. @default true */
    migrate: z.boolean().optional(),
  })
  .refine((o) => (o.url === undefined) !== (o.pool === undefined), { message: 'give exactly one of url or pool' })
  .refine((o) => o.pool === undefined || o.maxConnections === undefined, { message: 'maxConnections applies to the pool opened from url; size your own pool yourself' });

/** Options of {@link openPostgresStore}. */
export type PostgresStoreOptions = z.input<typeof postgresStoreOptionsSchema>;

/** Options with their defaults applied. */
export interface ResolvedPostgresStoreOptions {
  url?: string;
  pool?: PostgresPool;
  schema: string;
  maxConnections: number;
  efSearch: number;
  hnsw: { m: number; efConstruction: number };
  deferVectorIndex: boolean;
  migrate: boolean;
}

/** Parses options with the strict schema; a mistake becomes a {@link BadInputError} naming the field (never its value). */
export function resolvePostgresStoreOptions(options: unknown): ResolvedPostgresStoreOptions {
  const result = postgresStoreOptionsSchema.safeParse(options);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
    throw new BadInputError({
      backend: 'postgres',
      message: `Invalid openPostgresStore options: ${problems.join('; ')}`,
      hint: 'Fix the options as the message says (see the @ragbridge/store-postgres README).',
    });
  }
  const o = result.data;
  const D = POSTGRES_STORE_DEFAULTS;
  return {
    ...(o.url !== undefined && { url: o.url }),
    ...(o.pool !== undefined && { pool: o.pool }),
    schema: o.schema ?? D.schema,
    maxConnections: o.maxConnections ?? D.maxConnections,
    efSearch: o.efSearch ?? D.efSearch,
    hnsw: { m: o.hnsw?.m ?? D.hnsw.m, efConstruction: o.hnsw?.efConstruction ?? D.hnsw.efConstruction },
    deferVectorIndex: o.deferVectorIndex ?? D.deferVectorIndex,
    migrate: o.migrate ?? D.migrate,
  };
}
