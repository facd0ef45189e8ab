import { BadInputError, embedderIdentityKey, type DocumentRecord, type EmbedderIdentity } from '@ragbridge/core-interfaces';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runCancellable } from './internal/cancellable-query.js';
import { indexBuildMemoryKb } from './internal/vector-spaces.js';
import { POSTGRES_STORE_DEFAULTS, type PostgresStore } from './index.js';
import { rawClient, requireDatabaseUrl, skipPostgres, testSchemas } from './__fixtures__/test-database.js';

const identity = (dims: number): EmbedderIdentity => ({ provider: 'test', modelId: `random-${dims}`, revision: '1', pooling: 'mean', normalized: true });

/** A seeded generator of random unit vectors (normal components, normalised). */
function unitVectors(dims: number, seed: number): () => number[] {
  let state = seed;
  const random = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => {
    const v = Array.from({ length: dims }, () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random()));
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  };
}

function record(n: number): DocumentRecord {
  return {
    document: { id: 'v', source: '/v', name: 'v.txt', mediaType: 'text/plain', contentHash: 'h', pageCount: 1, byteSize: 1, ingestedAt: 1 },
    chunks: Array.from({ length: n }, (_, i) => ({ id: `v#${i}`, docId: 'v', text: 'x', page: 1, pageEnd: 1, pageLabel: '1', sectionPath: [], charStart: 0, charEnd: 1, terms: 'x', headingTerms: '' })),
    documentTerms: 'v',
  };
}

const dot = (a: number[], b: number[]): number => a.reduce((sum, x, i) => sum + x * (b[i] as number), 0);

describe('index build memory', () => {
  const space = { id: 1, dimensions: 384, elementType: 'vector' as const };
  it('fits the graph of the vectors (vectors plus 2·m links, with room), never below the server setting, at most 1 GB', () => {
    const kb = indexBuildMemoryKb(100_000, space, { m: 16, efConstruction: 64 }, 65_536);
    expect(kb * 1024).toBeGreaterThan(100_000 * (384 * 4 + 2 * 16 * 8));
    expect(kb).toBeLessThan(400 * 1024);
    expect(indexBuildMemoryKb(100, space, { m: 16, efConstruction: 64 }, 65_536)).toBe(65_536);
    expect(indexBuildMemoryKb(10_000_000, space, { m: 16, efConstruction: 64 }, 65_536)).toBe(1024 * 1024);
    expect(indexBuildMemoryKb(10_000_000, space, { m: 16, efConstruction: 64 }, 2 * 1024 * 1024)).toBe(2 * 1024 * 1024);
  });
});

describe.skipIf(skipPostgres)('vector search', () => {
  const schemas = testSchemas('vectors');

  it('finds ≥ 0.95 of the exact 10 nearest of 3,000 random 384-dimension vectors at the default efSearch', async () => {
    const store = await schemas.open();
    const client = await rawClient();
    try {
      const N = 3000;
      const next = unitVectors(384, 17);
      const vectors = Array.from({ length: N }, next);
      await store.putDocument(record(N));
      for (let s = 0; s < N; s += 500) await store.putVectors({ identity: identity(384), entries: vectors.slice(s, s + 500).map((vector, j) => ({ chunkId: `v#${s + j}`, vector })) });
      await client.query(`ANALYZE "${store.schema}".vectors_1`);
      const queries = Array.from({ length: 40 }, next);
      let found = 0;
      let foundByGraph = 0;
      for (const q of queries) {
        const exact = vectors
          .map((v, i) => ({ id: `v#${i}`, score: dot(v, q) }))
          .sort((a, b) => b.score - a.score)
          .slice(0, 10);
        const truth = new Set(exact.map((h) => h.id));
        const hits = await store.vectorSearch.vectorCandidates({ identity: identity(384), vector: q, limit: 10 });
        found += hits.filter((h) => truth.has(h.id)).length;
        expect(hits[0]?.score).toBeCloseTo(exact[0]?.score as number, 5);
        // The same search with the HNSW graph forced: the planner may scan a table this small exactly.
        const results = (await client.query(
          `BEGIN; SET LOCAL hnsw.ef_search = ${POSTGRES_STORE_DEFAULTS.efSearch}; SET LOCAL enable_seqscan = off;
           SELECT c.id FROM "${store.schema}".vectors_1 v JOIN "${store.schema}".chunks c ON c.pk = v.chunk_pk
           ORDER BY v.embedding OPERATOR(public.<=>) '[${q.join(',')}]'::public.vector(384) LIMIT 10; COMMIT`,
        )) as unknown as pg.QueryResult[];
        foundByGraph += (results.find((r) => r.command === 'SELECT')?.rows ?? []).filter((r: { id: string }) => truth.has(r.id)).length;
      }
      expect(found / (queries.length * 10)).toBeGreaterThanOrEqual(0.95);
      expect(foundByGraph / (queries.length * 10)).toBeGreaterThanOrEqual(0.95);
    } finally {
      await client.end();
      await store.close();
    }
  }, 180_000);

  it('vectors over 2,000 dimensions are indexed as halfvec; over 4,000 refused; a query of another length refused', async () => {
    const store: PostgresStore = await schemas.open();
    try {
      const next = unitVectors(2048, 3);
      const vectors = [next(), next(), next()];
      await store.putDocument(record(3));
      await store.putVectors({ identity: identity(2048), entries: vectors.map((vector, i) => ({ chunkId: `v#${i}`, vector })) });
      const hits = await store.vectorSearch.vectorCandidates({ identity: identity(2048), vector: vectors[1] as number[], limit: 3 });
      expect(hits[0]?.id).toBe('v#1');
      expect(hits[0]?.score).toBeCloseTo(1, 2);
      expect((await store.stats()).vectors[embedderIdentityKey(identity(2048))]).toBe(3);
      const tooLong = await store.putVectors({ identity: identity(4001), entries: [{ chunkId: 'v#0', vector: new Float32Array(4001).fill(0.01) }] }).catch((e: unknown) => e);
      expect(BadInputError.isInstance(tooLong)).toBe(true);
      expect((tooLong as Error).message).toContain('at most 4000');
      const wrongQuery = await store.vectorSearch.vectorCandidates({ identity: identity(2048), vector: [1, 0, 0], limit: 1 }).catch((e: unknown) => e);
      expect((wrongQuery as Error).message).toContain('The query vector has 3 dimensions, the stored vectors of this identity 2048');
      const notFinite = await store.putVectors({ identity: identity(2048), entries: [{ chunkId: 'v#0', vector: [...next().slice(1), Number.NaN] }] }).catch((e: unknown) => e);
      expect(BadInputError.isInstance(notFinite)).toBe(true);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('builds a new vector space\'s HNSW index with the hnsw settings given; refuses efConstruction below 2 × m', async () => {
    const store = await schemas.open({ hnsw: { m: 24, efConstruction: 100 } });
    const client = await rawClient();
    try {
      const next = unitVectors(8, 5);
      await store.putDocument(record(4));
      await store.putVectors({ identity: identity(8), entries: [0, 1, 2, 3].map((i) => ({ chunkId: `v#${i}`, vector: next() })) });
      const { rows } = await client.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = $2', [store.schema, 'vectors_1_hnsw']);
      expect(rows[0]?.indexdef).toMatch(/WITH \(m='24', ef_construction='100'\)/);
    } finally {
      await client.end();
      await store.close();
    }
    const refused = await schemas.open({ hnsw: { m: 40 } }).catch((e: unknown) => e);
    expect(BadInputError.isInstance(refused)).toBe(true);
    expect((refused as Error).message).toContain('hnsw: efConstruction must be at least 2 × m');
  });

  it('deferVectorIndex: a new space has no index and is searched exactly until buildVectorIndexes builds it, once, with the hnsw settings', async () => {
    const loader = await schemas.open({ deferVectorIndex: true, hnsw: { m: 8, efConstruction: 32 } });
    const client = await rawClient();
    const indexDefinition = async (): Promise<string | undefined> =>
      (await client.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = $2', [loader.schema, 'vectors_1_hnsw'])).rows[0]?.indexdef;
    try {
      const N = 600;
      const next = unitVectors(16, 11);
      const vectors = Array.from({ length: N }, next);
      await loader.putDocument(record(N));
      for (let s = 0; s < N; s += 200) await loader.putVectors({ identity: identity(16), entries: vectors.slice(s, s + 200).map((vector, j) => ({ chunkId: `v#${s + j}`, vector })) });
      expect(await indexDefinition()).toBeUndefined();
      expect(await loader.vectorIndexes()).toEqual([{ identityKey: embedderIdentityKey(identity(16)), vectors: N, indexed: false }]);
      // Without the index every vector is compared: the exact 10 nearest.
      const q = next();
      const exact = vectors
        .map((v, i) => ({ id: `v#${i}`, score: dot(v, q) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 10)
        .map((h) => h.id);
      expect((await loader.vectorSearch.vectorCandidates({ identity: identity(16), vector: q, limit: 10 })).map((h) => h.id)).toEqual(exact);

      // Two processes building at once build it once.
      const other = await schemas.open({ hnsw: { m: 8, efConstruction: 32 } });
      const heard: string[] = [];
      try {
        const [a, b] = await Promise.all([loader.buildVectorIndexes({ onBuild: (s) => heard.push(`${s.vectors}`) }), other.buildVectorIndexes({ onBuild: (s) => heard.push(`${s.vectors}`) })]);
        expect([...a, ...b].map((built) => built.vectors)).toEqual([N]);
        expect(heard).toEqual([`${N}`]);
      } finally {
        await other.close();
      }
      expect(await indexDefinition()).toMatch(/USING hnsw .*WITH \(m='8', ef_construction='32'\)/);
      expect((await loader.vectorIndexes())[0]?.indexed).toBe(true);
      expect(await loader.buildVectorIndexes()).toEqual([]);
      // Vectors written after the build are in the index like any other.
      await loader.putVectors({ identity: identity(16), entries: [{ chunkId: 'v#0', vector: q }] });
      expect((await loader.vectorSearch.vectorCandidates({ identity: identity(16), vector: q, limit: 1 }))[0]?.id).toBe('v#0');
    } finally {
      await client.end();
      await loader.close();
    }
  }, 60_000);

  it('an abort cancels the running statement and frees its connection', async () => {
    const pool = new pg.Pool({ connectionString: requireDatabaseUrl(), max: 2 });
    const watcher = await rawClient();
    try {
      const controller = new AbortController();
      const running = runCancellable(pool, controller.signal, { backend: 'postgres', endpoint: 'postgres://test' }, (client) => client.query("SELECT pg_sleep(60), 'ragbridge-cancel-test'"));
      const outcome = running.catch((e: unknown) => e);
      // Abort once the server runs the statement (not after a guessed delay).
      const active = "SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%ragbridge-cancel-test%' AND pid <> pg_backend_pid()";
      while ((await watcher.query<{ n: number }>(active)).rows[0]?.n === 0);
      controller.abort();
      const error = await outcome;
      expect((error as Error).name).toBe('AbortError');
      expect((await watcher.query<{ n: number }>(active)).rows[0]?.n).toBe(0);
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
    } finally {
      await watcher.end();
      await pool.end();
    }
  });
});
