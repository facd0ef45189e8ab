import {
  BadInputError,
  embedderIdentityKey,
  throwIfAborted,
  type EmbedderIdentity,
  type ScoredId,
  type VectorBatch,
  type VectorCandidatesQuery,
} from '@ragbridge/core-interfaces';
import type pg from 'pg';
import { runCancellable } from './cancellable-query.js';
import type { DatabaseTarget } from './database-errors.js';
import { lockKey, type StoreTables } from './sql-names.js';
import { inTransaction } from './transactions.js';

// One table per embedder identity ("vector space"): `vectors_<id>` with a `vector(<dims>)` column
// and an HNSW index (cosine), created by the first batch of the identity, whose length fixes the
// dimensions (for a bulk load the index can be left out and built once the vectors are in: a build
// is several times faster than maintaining the graph insert by insert). A table per space keeps
// each HNSW graph to one identity's vectors (a shared table would filter a graph walk by identity
// and lose neighbours) and the column typed with its length.

/** pgvector's HNSW index takes `vector` up to 2,000 dimensions and `halfvec` up to 4,000. */
const MAX_VECTOR_DIMENSIONS = 2000;
const MAX_HALFVEC_DIMENSIONS = 4000;

/** How a space's HNSW index is built (pgvector's `m` and `ef_construction`). */
export interface HnswBuild {
  m: number;
  efConstruction: number;
}

/** A vector space as stored in `vector_spaces`. */
export interface VectorSpace {
  id: number;
  dimensions: number;
  /** `vector`, or `halfvec` above 2,000 dimensions (the index and searches use half precision). */
  elementType: 'vector' | 'halfvec';
}

function hnswIndexName(space: VectorSpace): string {
  return `vectors_${Math.trunc(space.id)}_hnsw`;
}

/**
 * maintenance_work_mem for building an index over `count` vectors: pgvector builds the graph in
 * memory and, when it outgrows this, goes on inserting one by one (many times slower). About the
 * vectors plus 2·m neighbour links each, with room to spare; at most 1 GB, never less than the
 * server's own setting.
 */
export function indexBuildMemoryKb(count: number, space: VectorSpace, hnsw: HnswBuild, serverKb: number): number {
  const bytesPerVector = space.dimensions * (space.elementType === 'vector' ? 4 : 2) + 2 * hnsw.m * 8 + 64;
  const wantedKb = Math.ceil((count * bytesPerVector * 1.5) / 1024);
  return Math.max(serverKb, Math.min(wantedKb, 1024 * 1024));
}

/** One vector space's HNSW index, as {@link VectorSpaces.indexes} reports it. */
export interface VectorIndexState {
  identityKey: string;
  vectors: number;
  /** Whether the space's HNSW index exists (without it, searches compare every vector: exact, slow on many). */
  indexed: boolean;
}

/** The SQL of one space's table, distance and index. */
function spaceSql(t: StoreTables, vectorSchema: string, space: VectorSpace, hnsw: HnswBuild) {
  const table = t.vectors(space.id);
  const column = space.elementType === 'vector' ? 'embedding' : `(embedding::${vectorSchema}.halfvec(${space.dimensions}))`;
  const castQuery = (literal: string): string => `'${literal}'::${vectorSchema}.${space.elementType}(${space.dimensions})`;
  return {
    table,
    createTable: `CREATE TABLE ${table} (
        chunk_pk bigint PRIMARY KEY REFERENCES ${t.chunks} (pk) ON DELETE CASCADE,
        embedding ${vectorSchema}.vector(${space.dimensions}) NOT NULL
      )`,
    createIndex: `CREATE INDEX IF NOT EXISTS ${hnswIndexName(space)} ON ${table} USING hnsw (${column} ${vectorSchema}.${space.elementType}_cosine_ops) WITH (m = ${Math.trunc(hnsw.m)}, ef_construction = ${Math.trunc(hnsw.efConstruction)})`,
    /** `<=>` (cosine distance) of pgvector's schema, whatever the search_path. */
    distance: (literal: string): string => `${column} OPERATOR(${vectorSchema}.<=>) ${castQuery(literal)}`,
  };
}

/** A vector as pgvector's text literal (`[0.1,0.2]`); refuses values that are not finite numbers. */
function vectorLiteral(vector: ArrayLike<number>, what: string): string {
  const parts: string[] = [];
  for (let i = 0; i < vector.length; i++) {
    const x = vector[i] as number;
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new BadInputError({ backend: 'postgres', message: `${what} has a value that is not a finite number at position ${i}` });
    parts.push(String(x));
  }
  return `[${parts.join(',')}]`;
}

/** Vector spaces by identity key, read once per key: a space's id and dimensions never change. */
export class VectorSpaces {
  private readonly known = new Map<string, VectorSpace>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly t: StoreTables,
    private readonly vectorSchema: string,
    private readonly target: DatabaseTarget,
    private readonly efSearch: number,
    private readonly hnsw: HnswBuild,
    /** Leave the HNSW index of spaces this instance creates for {@link buildIndexes} (bulk loads). */
    private readonly deferIndex = false,
  ) {}

  private async find(client: pg.ClientBase | pg.Pool, key: string): Promise<VectorSpace | undefined> {
    const cached = this.known.get(key);
    if (cached) return cached;
    const { rows } = await client.query<{ id: number; dimensions: number; element_type: VectorSpace['elementType'] }>(
      `SELECT id, dimensions, element_type FROM ${this.t.vectorSpaces} WHERE identity_key = $1`,
      [key],
    );
    const row = rows[0];
    if (!row) return undefined;
    const space: VectorSpace = { id: row.id, dimensions: row.dimensions, elementType: row.element_type };
    this.known.set(key, space);
    return space;
  }

  /** All spaces with their identity keys (for stats). */
  async all(): Promise<Array<{ key: string; space: VectorSpace }>> {
    const { rows } = await this.pool.query<{ identity_key: string; id: number; dimensions: number; element_type: VectorSpace['elementType'] }>(
      `SELECT identity_key, id, dimensions, element_type FROM ${this.t.vectorSpaces} ORDER BY id`,
    );
    return rows.map((r) => ({ key: r.identity_key, space: { id: r.id, dimensions: r.dimensions, elementType: r.element_type } }));
  }

  tableOf(space: VectorSpace): string {
    return this.t.vectors(space.id);
  }

  /** The space of `identity`, created (with its table and index) when `dimensions` is its first batch's length. */
  private async findOrCreate(client: pg.ClientBase, identity: EmbedderIdentity, dimensions: number): Promise<VectorSpace> {
    const key = embedderIdentityKey(identity);
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey('vector-space', this.t.schemaName, key)]);
    const existing = await this.find(client, key);
    if (existing) return existing;
    if (dimensions > MAX_HALFVEC_DIMENSIONS) {
      throw new BadInputError({
        backend: 'postgres',
        modelId: identity.modelId,
        message: `Vectors of ${dimensions} dimensions cannot be indexed: pgvector's HNSW index takes at most ${MAX_HALFVEC_DIMENSIONS}`,
        hint: 'Use an embedder identity with truncatedDimensions (Matryoshka models) of 4,000 or fewer.',
      });
    }
    const elementType = dimensions > MAX_VECTOR_DIMENSIONS ? 'halfvec' : 'vector';
    const { rows } = await client.query<{ id: number }>(
      `INSERT INTO ${this.t.vectorSpaces} (identity_key, identity, dimensions, element_type) VALUES ($1, $2, $3, $4) RETURNING id`,
      [key, JSON.stringify(identity), dimensions, elementType],
    );
    const space: VectorSpace = { id: (rows[0] as { id: number }).id, dimensions, elementType };
    const sql = spaceSql(this.t, this.vectorSchema, space, this.hnsw);
    await client.query(sql.createTable);
    if (!this.deferIndex) await client.query(sql.createIndex);
    // Cached only once committed (see put): a rolled-back creation leaves no space.
    return space;
  }

  /** Stores a batch (replacing the chunks' vectors of this identity) in one transaction; refuses it whole on any problem. */
  async put(batch: VectorBatch, bumpRevision: (client: pg.ClientBase) => Promise<void>): Promise<void> {
    if (batch.entries.length === 0) return;
    const dimensions = batch.entries[0]?.vector.length ?? 0;
    const what = `A vector of ${batch.identity.modelId}`;
    const latest = new Map<string, string>();
    for (const { chunkId, vector } of batch.entries) {
      if (vector.length !== dimensions) {
        throw new BadInputError({ backend: 'postgres', modelId: batch.identity.modelId, message: `The batch mixes vector lengths (${dimensions} and ${vector.length}); nothing was stored` });
      }
      latest.set(chunkId, vectorLiteral(vector, what));
    }
    const key = embedderIdentityKey(batch.identity);
    const space = await inTransaction(this.pool, async (client) => {
      const found = await this.findOrCreate(client, batch.identity, dimensions);
      if (found.dimensions !== dimensions) {
        throw new BadInputError({
          backend: 'postgres',
          modelId: batch.identity.modelId,
          message: `Vectors of this embedder identity have ${found.dimensions} dimensions, this batch has ${dimensions}; nothing was stored`,
          hint: 'A model, revision, pooling or truncation change is a new embedder identity: describe it as such.',
        });
      }
      const ids = [...latest.keys()];
      const { rowCount } = await client.query(
        `INSERT INTO ${this.t.vectors(found.id)} (chunk_pk, embedding)
         SELECT c.pk, e.embedding::${this.vectorSchema}.vector FROM unnest($1::text[], $2::text[]) AS e(id, embedding) JOIN ${this.t.chunks} c ON c.id = e.id
         ON CONFLICT (chunk_pk) DO UPDATE SET embedding = excluded.embedding`,
        [ids, [...latest.values()]],
      );
      if ((rowCount ?? 0) !== ids.length) {
        const { rows } = await client.query<{ id: string }>(`SELECT id FROM unnest($1::text[]) AS e(id) WHERE NOT EXISTS (SELECT 1 FROM ${this.t.chunks} c WHERE c.id = e.id) LIMIT 5`, [ids]);
        throw new BadInputError({
          backend: 'postgres',
          modelId: batch.identity.modelId,
          message: `No chunk ${rows.map((r) => `"${r.id}"`).join(', ')} to attach a vector to; nothing was stored`,
          hint: 'Store the document (putDocument) before its vectors, and embed the chunks it holds now.',
        });
      }
      await bumpRevision(client);
      return found;
    });
    this.known.set(key, space);
  }

  /** Whether a space's HNSW index exists. */
  private async indexed(client: pg.ClientBase | pg.Pool, space: VectorSpace): Promise<boolean> {
    const { rows } = await client.query<{ indexed: boolean }>('SELECT to_regclass($1) IS NOT NULL AS indexed', [`${this.t.schema}.${hnswIndexName(space)}`]);
    return rows[0]?.indexed ?? false;
  }

  private async count(client: pg.ClientBase | pg.Pool, space: VectorSpace): Promise<number> {
    const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.t.vectors(space.id)}`);
    return rows[0]?.n ?? 0;
  }

  /** Each space's vector count and whether its HNSW index exists. */
  async indexes(): Promise<VectorIndexState[]> {
    const out: VectorIndexState[] = [];
    for (const { key, space } of await this.all()) out.push({ identityKey: key, vectors: await this.count(this.pool, space), indexed: await this.indexed(this.pool, space) });
    return out;
  }

  /**
   * Builds the HNSW index of every space that lacks one (created with the index deferred, or a bulk
   * load cut short), one space at a time, in one transaction each: writes to that space wait for
   * its build, searches go on (exactly, without the index, until it commits). Two processes
   * building at once build each index once (an advisory lock per space). Returns what was built.
   */
  async buildIndexes(onBuild?: (space: { identityKey: string; vectors: number }) => void): Promise<Array<{ identityKey: string; vectors: number; seconds: number }>> {
    const built: Array<{ identityKey: string; vectors: number; seconds: number }> = [];
    // Spaces that have their index are not counted (a count reads every vector).
    for (const { key, space } of await this.all()) {
      if (await this.indexed(this.pool, space)) continue;
      const began = performance.now();
      const vectors = await inTransaction(this.pool, async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey('vector-space', this.t.schemaName, key)]);
        if (await this.indexed(client, space)) return undefined;
        const count = await this.count(client, space);
        onBuild?.({ identityKey: key, vectors: count });
        const { rows } = await client.query<{ setting: string }>("SELECT setting FROM pg_settings WHERE name = 'maintenance_work_mem'");
        const memoryKb = indexBuildMemoryKb(count, space, this.hnsw, Number(rows[0]?.setting ?? 65536));
        await client.query(`SET LOCAL maintenance_work_mem = '${memoryKb}kB'`);
        await client.query(spaceSql(this.t, this.vectorSchema, space, this.hnsw).createIndex);
        return count;
      });
      if (vectors !== undefined) built.push({ identityKey: key, vectors, seconds: (performance.now() - began) / 1000 });
    }
    return built;
  }

  /** Ids of chunks without a vector of `identity`, in storage order. */
  async missing(identity: EmbedderIdentity): Promise<string[]> {
    const space = await this.find(this.pool, embedderIdentityKey(identity));
    const sql = space
      ? `SELECT c.id FROM ${this.t.chunks} c WHERE NOT EXISTS (SELECT 1 FROM ${this.t.vectors(space.id)} v WHERE v.chunk_pk = c.pk) ORDER BY c.pk`
      : `SELECT id FROM ${this.t.chunks} ORDER BY pk`;
    return (await this.pool.query<{ id: string }>(sql)).rows.map((r) => r.id);
  }

  /**
   * Nearest neighbours by the HNSW index (every vector compared while the space has none), with
   * `hnsw.ef_search` set for this query only (SET LOCAL in its transaction). An abort cancels the
   * running statement (pg_cancel_backend).
   */
  async search(query: VectorCandidatesQuery): Promise<ScoredId[]> {
    throwIfAborted(query.abortSignal, this.target);
    const space = await this.find(this.pool, embedderIdentityKey(query.identity));
    if (!space || query.limit <= 0) return [];
    if (query.vector.length !== space.dimensions) {
      throw new BadInputError({
        backend: 'postgres',
        modelId: query.identity.modelId,
        message: `The query vector has ${query.vector.length} dimensions, the stored vectors of this identity ${space.dimensions}`,
      });
    }
    const sql = spaceSql(this.t, this.vectorSchema, space, this.hnsw);
    const distance = sql.distance(vectorLiteral(query.vector, 'The query vector'));
    const limit = Math.trunc(query.limit);
    // One round trip: the statements run as one transaction, so SET LOCAL covers the search only.
    // ef_search bounds how many neighbours the graph walk returns: never below the limit.
    const text = `BEGIN; SET LOCAL hnsw.ef_search = ${Math.max(this.efSearch, Math.min(limit, 1000))};
      SELECT c.id, 1 - n.distance AS score FROM (SELECT chunk_pk, ${distance} AS distance FROM ${sql.table} ORDER BY ${distance} LIMIT ${limit}) n
      JOIN ${this.t.chunks} c ON c.pk = n.chunk_pk ORDER BY n.distance, c.pk; COMMIT`;
    return runCancellable(this.pool, query.abortSignal, this.target, async (client) => {
      const results = (await client.query(text)) as unknown as pg.QueryResult[];
      const rows = (results.find((r) => r.command === 'SELECT')?.rows ?? []) as Array<{ id: string; score: number }>;
      return rows.map((r) => ({ id: r.id, score: Number(r.score) }));
    });
  }
}
