// Latency and quality of keywordCandidates on a synthetic corpus: chunks of ~150 terms drawn from a
// Zipf vocabulary of 80,000 terms (stop words left out, as the pipeline's analyzer does), headings
// from its commoner part; questions of 5 terms drawn from one random chunk. Prints p50/p90 of
// keywordCandidates (limit 100, rareTermLimit 60), the share of the exact BM25 top 100 (computed here
// over the whole corpus) among the candidates, and how often the chunk a question came from is one.
//   DATABASE_URL=... node --conditions=@ragbridge/source --import tsx packages/store-postgres/bench/keyword-bench.ts [chunks] [--keep]
import type { DocumentRecord } from '@ragbridge/core-interfaces';
import pg from 'pg';
import { openPostgresStore } from '../src/index.js';

const CHUNKS = Number(process.argv[2] ?? 20_000);
const KEEP = process.argv.includes('--keep');
const VOCABULARY = 80_000;
const PER_DOCUMENT = 500;
const QUESTIONS = 60;
const url = process.env.DATABASE_URL;
if (!url) throw new Error('set DATABASE_URL');

let seed = 42;
const random = (): number => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const cdf = new Float64Array(VOCABULARY);
let total = 0;
for (let i = 0; i < VOCABULARY; i++) cdf[i] = total += 1 / Math.pow(i + 31, 1.05);
const zipf = (): number => {
  const u = random() * total;
  let lo = 0;
  let hi = VOCABULARY - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cdf[mid] as number) < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};
// Some technical-looking terms (`x14.f1`) among the words.
const term = (rank: number): string => (rank % 7 === 0 ? `x${rank}.f${rank % 13}` : `w${rank}`);

const bodies: string[][] = [];
const headings: string[][] = [];
const schema = `rbbench_keywords_${CHUNKS}`;
const store = await openPostgresStore({ url, schema });
const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  const existing = (await store.stats()).chunks;
  const t0 = performance.now();
  for (let d = 0; d * PER_DOCUMENT < CHUNKS; d++) {
    const chunks = [];
    for (let i = d * PER_DOCUMENT; i < Math.min(CHUNKS, (d + 1) * PER_DOCUMENT); i++) {
      const length = Math.max(20, Math.min(400, Math.round(150 + 60 * (random() + random() + random() - 1.5))));
      const body = Array.from({ length }, () => term(zipf()));
      const heading = Array.from({ length: 3 + Math.floor(random() * 5) }, () => term(Math.floor(zipf() / 4)));
      bodies.push(body);
      headings.push(heading);
      chunks.push({ id: `c${i}`, docId: `d${d}`, text: body.join(' '), page: 1, pageEnd: 1, pageLabel: '1', sectionPath: [], charStart: 0, charEnd: 1, terms: body.join(' '), headingTerms: heading.join(' ') });
    }
    const record: DocumentRecord = {
      document: { id: `d${d}`, source: `/bench/d${d}`, name: `d${d}`, mediaType: 'text/plain', contentHash: `h${d}`, pageCount: 1, byteSize: 1, ingestedAt: 0 },
      chunks,
      documentTerms: `d${d} ${chunks[0]?.headingTerms ?? ''}`,
    };
    if (existing !== CHUNKS) await store.putDocument(record);
  }
  if (existing !== CHUNKS) {
    console.log(`stored ${CHUNKS} chunks in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    await client.query(`VACUUM ANALYZE "${schema}".chunks`);
  } else console.log(`reusing the ${CHUNKS} chunks of schema ${schema}`);
  const size = await client.query<{ chunks: string; gin: string }>(`SELECT pg_size_pretty(pg_total_relation_size('"${schema}".chunks')) AS chunks, pg_size_pretty(pg_relation_size('"${schema}".chunks_tsv')) AS gin`);
  console.log(`chunks table ${size.rows[0]?.chunks} (GIN index on tsv ${size.rows[0]?.gin})`);

  // Exact BM25 (k1 1.2, b 0.75, heading occurrences 0.5) over the whole corpus, for comparison.
  const df = new Map<string, number>();
  const tfs = bodies.map((body, i) => {
    const tf = new Map<string, number>();
    for (const t of body) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const t of headings[i] as string[]) tf.set(t, (tf.get(t) ?? 0) + 0.5);
    for (const t of tf.keys()) df.set(t, (df.get(t) ?? 0) + 1);
    return tf;
  });
  const average = bodies.reduce((s, b) => s + b.length, 0) / bodies.length;
  const exactTop = (terms: string[]): Set<string> => {
    const idf = terms.map((t) => Math.log(1 + (CHUNKS - (df.get(t) ?? 0) + 0.5) / ((df.get(t) ?? 0) + 0.5)));
    const scored: Array<[number, number]> = [];
    tfs.forEach((tf, i) => {
      let s = 0;
      terms.forEach((t, k) => {
        const f = tf.get(t);
        if (f) s += ((idf[k] as number) * f * 2.2) / (f + 1.2 * (0.25 + (0.75 * (bodies[i] as string[]).length) / average));
      });
      if (s > 0) scored.push([i, s]);
    });
    return new Set(scored.sort((a, b) => b[1] - a[1]).slice(0, 100).map(([i]) => `c${i}`));
  };

  const times: number[] = [];
  let overlap = 0;
  let sourceFound = 0;
  let matching = 0;
  for (let q = 0; q < QUESTIONS + 5; q++) {
    const source = Math.floor(random() * CHUNKS);
    const distinct = [...new Set(bodies[source])];
    const picked = new Set<string>();
    while (picked.size < Math.min(5, distinct.length)) picked.add(distinct[Math.floor(random() * distinct.length)] as string);
    const terms = [...picked];
    const t1 = performance.now();
    const found = await store.keywordSearch.keywordCandidates({ groups: terms.map((t) => [t]), limit: 100, rareTermLimit: 60 });
    const ms = performance.now() - t1;
    if (q < 5) continue; // warm-up
    times.push(ms);
    const ids = new Set(found.chunks.map((c) => c.id));
    const exact = exactTop(terms);
    overlap += [...exact].filter((id) => ids.has(id)).length / Math.max(1, exact.size);
    if (ids.has(`c${source}`)) sourceFound++;
    matching += terms.reduce((s, t) => s + (df.get(t) ?? 0), 0);
  }
  times.sort((a, b) => a - b);
  const at = (p: number): string => (times[Math.floor(p * (times.length - 1))] as number).toFixed(1);
  console.log(
    `${CHUNKS} chunks, ${QUESTIONS} questions of 5 terms (their terms held by ${Math.round(matching / QUESTIONS)} chunks on average): ` +
      `keywordCandidates p50 ${at(0.5)} ms, p90 ${at(0.9)} ms; exact BM25 top 100 found ${((100 * overlap) / QUESTIONS).toFixed(1)}%; question's own chunk found ${sourceFound}/${QUESTIONS}`,
  );
} finally {
  if (!KEEP) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
  await store.close();
}
