// Recall@10 of the store's vector search against exact cosine neighbours, on random unit vectors
// (the hardest case for an HNSW graph: no structure to follow), for several hnsw.ef_search values:
// as the store runs it (the planner may choose an exact scan on a small table) and with the HNSW
// index forced (enable_seqscan off), which is what a large table gets.
//   DATABASE_URL=... node --conditions=@ragbridge/source --import tsx packages/store-postgres/bench/vector-recall-bench.ts [vectors] [dims]
import { openPostgresStore } from '../src/index.js';
import pg from 'pg';

const N = Number(process.argv[2] ?? 4000);
const D = Number(process.argv[3] ?? 384);
const QUERIES = 100;
const url = process.env.DATABASE_URL;
if (!url) throw new Error('set DATABASE_URL');

let seed = 11;
const random = (): number => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const gauss = (): number => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
const unitVector = (): number[] => {
  const v = Array.from({ length: D }, gauss);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
};

const identity = { provider: 'bench', modelId: `random-${D}`, revision: '1', pooling: 'mean' as const, normalized: true };
const schema = `rbbench_vectors_${Date.now()}`;
const store = await openPostgresStore({ url, schema });
const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  const chunks = Array.from({ length: N }, (_, i) => ({
    id: `v#${i}`, docId: 'v', text: 'vector', page: 1, pageEnd: 1, pageLabel: '1', sectionPath: [], charStart: 0, charEnd: 6, terms: 'vector', headingTerms: '',
  }));
  await store.putDocument({ document: { id: 'v', source: '/v', name: 'v', mediaType: 'text/plain', contentHash: 'h', pageCount: 1, byteSize: 1, ingestedAt: 0 }, chunks, documentTerms: 'v' });
  const vectors = chunks.map(unitVector);
  const t0 = performance.now();
  for (let s = 0; s < N; s += 500) await store.putVectors({ identity, entries: vectors.slice(s, s + 500).map((vector, j) => ({ chunkId: `v#${s + j}`, vector })) });
  console.log(`${N} vectors of ${D} dimensions stored (HNSW index built as they arrive) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await client.query(`ANALYZE ${schema}.vectors_1`);

  const queries = Array.from({ length: QUERIES }, unitVector);
  const truth = queries.map((q) =>
    vectors
      .map((v, i) => [i, v.reduce((a, x, k) => a + x * (q[k] as number), 0)] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([i]) => `v#${i}`),
  );
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
  for (const efSearch of [40, 100, 200, 300, 400]) {
    const tuned = await openPostgresStore({ url, schema, efSearch });
    let found = 0;
    let forcedFound = 0;
    const times: number[] = [];
    const forcedTimes: number[] = [];
    for (const [i, q] of queries.entries()) {
      const t1 = performance.now();
      const hits = await tuned.vectorSearch.vectorCandidates({ identity, vector: q, limit: 10 });
      times.push(performance.now() - t1);
      found += hits.filter((h) => truth[i]?.includes(h.id)).length;
      const literal = `[${q.join(',')}]`;
      const t2 = performance.now();
      const results = (await client.query(
        `BEGIN; SET LOCAL hnsw.ef_search = ${efSearch}; SET LOCAL enable_seqscan = off;
         SELECT 'v#' || (chunk_pk - 1) AS id FROM ${schema}.vectors_1 ORDER BY embedding OPERATOR(public.<=>) '${literal}'::public.vector(${D}) LIMIT 10; COMMIT`,
      )) as unknown as pg.QueryResult[];
      forcedTimes.push(performance.now() - t2);
      const rows = results.find((r) => r.command === 'SELECT')?.rows as Array<{ id: string }>;
      forcedFound += rows.filter((r) => truth[i]?.includes(r.id)).length;
    }
    await tuned.close();
    const recall = (n: number): string => (n / (QUERIES * 10)).toFixed(3);
    console.log(`efSearch ${efSearch}: store recall@10 ${recall(found)} (p50 ${median(times).toFixed(1)} ms); HNSW forced recall@10 ${recall(forcedFound)} (p50 ${median(forcedTimes).toFixed(1)} ms)`);
  }
} finally {
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
  await store.close();
}
