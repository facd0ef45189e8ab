// Scale benchmark of PostgreSQL storage (issue #17): `npm run bench:postgres` (see docs/postgres.md).
//
// 100k chunks of real documentation (Debian's postgresql-doc-15 and python3-doc HTML manuals,
// prepared by the pipeline and repeated under other names), 384-dim vectors, in a fresh schema on
// DATABASE_URL: ingest rate, keyword and dense latency with recall@10, then two demo replicas on
// that schema under 50 clients. Prints every number, a PASS/MISS summary and the command.
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { INGEST_VERSION, RETRIEVER_DEFAULTS } from '@ragbridge/pipeline';
import { openPostgresStore, POSTGRES_STORE_DEFAULTS, type PostgresStore } from '@ragbridge/store-postgres';
import { chunkCount, htmlFiles, MANUALS, missingManuals, prepareCorpus, repeatCorpus } from './bench-corpus.js';
import { bufferCounts, bufferHitLine, dropSchema, schemaExists, schemaSizes, serverInfo, shownUrl, vacuumAnalyze } from './bench-database.js';
import { DENSE_K, exactNeighbours, mean, measureDense, type DenseResult } from './bench-dense.js';
import { GOALS, goalTable, type GoalKey, type GoalResult } from './bench-goals.js';
import { ingestIntoStore, VECTOR_BATCH } from './bench-ingest.js';
import { measureKeyword } from './bench-keyword.js';
import { ENDPOINT_LABELS, type LoadEndpoint } from './bench-load.js';
import { DEFAULT_QUESTION_FILES, loadQuestions } from './bench-questions.js';
import { measureReplicas, type EndpointRun } from './bench-replica-load.js';
import { count, latencySummary, ms, percentile, table } from './bench-stats.js';
import { loadAverage, machineLine, startCpuWindow, type CpuWindow } from './bench-system.js';
import { BENCH_IDENTITY, chunkVectors, queryVectors, row, VECTORS_DESCRIPTION } from './bench-vectors.js';

const ROOT = resolve(import.meta.dirname, '../../..');

const { values: args } = parseArgs({
  options: {
    /** A smoke run: 10k chunks, one measured pass, 8 s of load per setup. */
    quick: { type: 'boolean', default: false },
    /** Chunks to store (the manuals repeated until at least this many). */
    chunks: { type: 'string' },
    /** Seconds of load per setup (one replica, two replicas). */
    seconds: { type: 'string' },
    clients: { type: 'string', default: '50' },
    /** putDocument / putVectors calls in flight during the ingest. */
    writers: { type: 'string', default: '2' },
    /** efSearch values measured (the store's default is always measured too). */
    'ef-search': { type: 'string', default: '40,100,200,400' },
    /** The demo endpoints the load clients call, in turn: ask (/api/ask, SSE), openai (/v1/chat/completions). */
    endpoints: { type: 'string', default: 'ask,openai' },
    /** QA files (`[{ question }]`), comma-separated, relative to the repository root. */
    qa: { type: 'string', default: DEFAULT_QUESTION_FILES.join(',') },
    /** Where the prepared corpus is cached. */
    'cache-dir': { type: 'string', default: join(tmpdir(), 'ragbridge-bench-postgres') },
    /** Measure against this schema as it is (written by an earlier run with --keep-schema): no ingest. */
    'reuse-schema': { type: 'string' },
    /** Leave the schema in the database afterwards (its name is printed). */
    'keep-schema': { type: 'boolean', default: false },
    'skip-replicas': { type: 'boolean', default: false },
    /** Maintain the HNSW index on every insert (as live uploads do) instead of building it after the load (as `ragbridge migrate` does). */
    'index-on-insert': { type: 'boolean', default: false },
  },
});

const quick = args.quick === true;
const settings = {
  chunks: Number(args.chunks ?? (quick ? 10_000 : GOALS.chunks)),
  seconds: Number(args.seconds ?? (quick ? 8 : 30)),
  clients: Number(args.clients),
  writers: Number(args.writers),
  passes: quick ? 1 : 3,
  efSearch: [...new Set([POSTGRES_STORE_DEFAULTS.efSearch, ...(args['ef-search'] ?? '').split(',').filter(Boolean).map(Number)])].sort((a, b) => a - b),
  endpoints: (args.endpoints ?? '').split(',').filter(Boolean) as LoadEndpoint[],
};
for (const [name, value] of Object.entries({ chunks: settings.chunks, seconds: settings.seconds, clients: settings.clients, writers: settings.writers })) {
  if (!Number.isInteger(value) || value < 1) fail(`--${name} must be a positive integer`);
}
if (settings.efSearch.some((v) => !Number.isInteger(v) || v < 1 || v > 1000)) fail('--ef-search takes integers from 1 to 1000, comma-separated');
if (settings.endpoints.length === 0 || settings.endpoints.some((e) => !(e in ENDPOINT_LABELS))) fail('--endpoints takes ask, openai or both, comma-separated');

function fail(message: string): never {
  console.error(`bench:postgres: ${message}`);
  process.exit(1);
}

const log = (line = ''): void => console.log(line);
const reproduce = (url: string): string => `DATABASE_URL=${shownUrl(url)} npm run bench:postgres${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

const databaseUrl = process.env.DATABASE_URL ?? '';
if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
  fail('DATABASE_URL must name a PostgreSQL database with pgvector (postgres://…). For a throwaway local cluster: eval "$(bash tools/pg-cluster.sh start)"');
}
const missing = missingManuals();
if (missing.length > 0) {
  fail(`the manuals are not installed: ${missing.map((m) => `${m.debianPackage} (${m.dir})`).join(', ')}.\nInstall them with: apt-get install postgresql-doc-15 python3-doc`);
}

const info = await serverInfo(databaseUrl);
log(`ragbridge PostgreSQL scale benchmark (issue #17)${quick ? ' — quick run' : ''}`);
log(`reproduce: ${reproduce(databaseUrl)}`);
log(`machine: ${machineLine()}; PostgreSQL ${info.version}, pgvector ${info.pgvector}, shared_buffers ${info.sharedBuffers}`);
log(`load average at start: ${loadAverage()} (work of other processes on this machine slows every number below; each phase says how many cores they kept busy)`);
log();

// 1. Corpus.
log('1. Corpus');
for (const manual of MANUALS) log(`  ${manual.debianPackage}: ${count(htmlFiles(manual.dir).length)} HTML files in ${manual.dir}`);
const corpus = await prepareCorpus(resolve(args['cache-dir'] as string), (line) => log(`  ${line}`));
const baseChunks = chunkCount(corpus.records);
log(
  `  prepared by the pipeline (ingestPaths into a temporary SQLite store, no embedder; ${INGEST_VERSION}; ${corpus.ingestSeconds.toFixed(1)} s when cached): ` +
    `${count(corpus.chars)} characters, ${count(corpus.records.length)} documents, ${count(baseChunks)} chunks`,
);
const copies = repeatCorpus(corpus.records, settings.chunks);
const records = copies.map((c) => c.record);
const chunks = records.flatMap((r) => r.chunks);
const lastCopy = copies.at(-1)?.copy ?? 0;
log(
  `  stored: ${count(chunks.length)} chunks, ${count(records.length)} documents` +
    (lastCopy > 0 ? ` (the manuals ${lastCopy + 1} times: copies 1–${lastCopy} under ids, sources and names ending in ~n; the last copy partial)` : ' (the first documents of the manuals)'),
);
log();

// 2. Vectors and exact neighbours.
log('2. Vectors');
log(`  ${VECTORS_DESCRIPTION}`);
const started = performance.now();
const vectors = chunkVectors(chunks);
log(`  ${count(vectors.count)} vectors computed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
const qaFiles = (args.qa as string).split(',').filter(Boolean);
const qa = loadQuestions(ROOT, qaFiles);
if (qa.missing.length > 0) log(`  (question files not found, left out: ${qa.missing.join(', ')})`);
if (qa.questions.length === 0) fail(`no questions in ${qaFiles.join(', ')}`);
const queries = queryVectors(qa.questions);
const exact = exactNeighbours(vectors, chunks.map((c) => c.id), queries);
log(`  exact top-${DENSE_K} of ${qa.questions.length} questions by brute force in JS over all ${count(vectors.count)} vectors: ${exact.seconds.toFixed(1)} s`);
log();

// 3. Ingest.
const schema = args['reuse-schema'] ?? `bench_postgres_${Date.now().toString(36)}`;
const reusing = args['reuse-schema'] !== undefined;
if (reusing && !(await schemaExists(databaseUrl, schema))) fail(`--reuse-schema ${schema}: no such schema`);
if (!reusing && (await schemaExists(databaseUrl, schema))) fail(`schema ${schema} exists already`);
const goals: Partial<Record<GoalKey, GoalResult>> = {};
let store: PostgresStore | undefined;
try {
  store = await openPostgresStore({ url: databaseUrl, schema, deferVectorIndex: !args['index-on-insert'] });
  await ingestPhase(store);
  await keywordPhase(store);
  const dense = await densePhase();
  goals.dense = denseGoal(dense);
  if (!args['skip-replicas']) await replicaPhase();
  summary();
} finally {
  await store?.close();
  if (args['keep-schema'] || reusing) log(`schema kept: ${schema} (--reuse-schema ${schema} measures it again without the ingest)`);
  else await dropSchema(databaseUrl, schema);
}

async function ingestPhase(target: PostgresStore): Promise<void> {
  if (reusing) {
    const stats = await target.stats();
    log(`3. Ingest: skipped, measuring schema ${schema} as it is (${count(stats.chunks)} chunks, ${count(Object.values(stats.vectors)[0] ?? 0)} vectors)`);
    if (stats.chunks !== chunks.length) fail(`schema ${schema} holds ${stats.chunks} chunks, this run expects ${chunks.length}: give the same --chunks`);
    goals.chunks = { measured: count(stats.chunks), pass: stats.chunks >= GOALS.chunks };
    log();
    return;
  }
  log(`3. Ingest into the fresh schema ${schema} (${settings.writers} calls in flight)`);
  const window = startCpuWindow();
  const buildIndex = args['index-on-insert'] ? undefined : () => target.buildVectorIndexes({ onBuild: (b) => log(`  building the HNSW index of ${count(b.vectors)} vectors…`) });
  const result = await ingestIntoStore(target, records, chunks.map((c) => c.id), vectors, settings.writers, log, buildIndex);
  const cpu = window();
  const rate = (r: { items: number; megabytes: number; seconds: number }): string =>
    `${count(r.items)} chunks in ${r.seconds.toFixed(1)} s: ${count(r.items / r.seconds)} chunks/s, ${(r.megabytes / r.seconds).toFixed(2)} MB/s`;
  log(`  documents (putDocument, one per document): ${rate(result.documents)} (of ${result.documents.megabytes.toFixed(1)} MB of chunk text and index terms)`);
  log(`  vectors (putVectors, ${VECTOR_BATCH} per call): ${rate(result.vectors)} (of ${result.vectors.megabytes.toFixed(1)} MB of float32)`);
  if (result.indexSeconds === undefined) log('  the HNSW index existed before the first vector (--index-on-insert, as live uploads): maintaining it is included in the vector rate');
  else {
    log(`  HNSW index built after the load (deferVectorIndex + buildVectorIndexes, as ragbridge migrate does): ${result.indexSeconds.toFixed(1)} s`);
    log(`  vectors including the index build: ${count(result.vectors.items / (result.vectors.seconds + result.indexSeconds))} chunks/s (--index-on-insert measures the per-insert path)`);
  }
  log(`  total ${result.totalSeconds.toFixed(1)} s; ${cpuLine(cpu)}`);
  const vacuumSeconds = await vacuumAnalyze(databaseUrl, schema);
  log(`  then VACUUM (ANALYZE) of the schema's tables, as autovacuum does after a bulk load: ${vacuumSeconds.toFixed(1)} s (not in the total)`);
  const stats = await target.stats();
  const sizes = await schemaSizes(databaseUrl, schema);
  log(`  store: ${count(stats.documents)} documents, ${count(stats.chunks)} chunks, ${count(Object.values(stats.vectors)[0] ?? 0)} vectors; schema ${sizes.totalMb.toFixed(0)} MB on disk`);
  for (const index of sizes.hnsw) log(`  ${index.definition.replace(/^CREATE INDEX /, 'index ')} — ${index.mb.toFixed(0)} MB`);
  goals.chunks = { measured: count(stats.chunks), pass: stats.chunks >= GOALS.chunks };
  const vectorSeconds = result.vectors.seconds + (result.indexSeconds ?? 0);
  goals.ingest = {
    measured: `documents ${count(result.documents.items / result.documents.seconds)} chunks/s, vectors ${count(result.vectors.items / vectorSeconds)} chunks/s (${result.indexSeconds === undefined ? 'index maintained per insert' : 'index built after the load, included'})`,
  };
  log();
}

async function keywordPhase(target: PostgresStore): Promise<void> {
  log(`4. Keyword (${qa.read.map((r) => `${r.questions} from ${r.file}`).join(', ')}; one warm-up pass, ${settings.passes} measured, a fresh retriever per pass)`);
  const window = startCpuWindow();
  const buffers = await bufferCounts(databaseUrl, schema);
  const result = await measureKeyword(target, qa.questions, settings.passes);
  const cpu = window();
  log(`  PostgreSQL: ${bufferHitLine(buffers, await bufferCounts(databaseUrl, schema))}`);
  const p50 = percentile(result.retrieverKeyword, 50);
  log(`  retriever keyword stage, top-10 (createRetriever({ store }), no embedder: store call + scoring by the signals): ${latencySummary(result.retrieverKeyword)}`);
  log(
    `  store keywordCandidates alone (limit ${RETRIEVER_DEFAULTS.candidates}, rareTermLimit ${RETRIEVER_DEFAULTS.rareTermLimit}, as the retriever asks): ${latencySummary(result.storeCall)}` +
      `; candidates returned p50 ${percentile(result.candidates, 50)}, p95 ${percentile(result.candidates, 95)}, max ${Math.max(...result.candidates)}`,
  );
  log(`  ${cpuLine(cpu)}`);
  if (result.callsPerQuestion !== 1) log(`  (the retriever called keywordCandidates ${result.callsPerQuestion.toFixed(2)} times per question)`);
  goals.keyword = { measured: ms(p50), pass: p50 <= GOALS.keywordP50Ms };
  goals.keywordStore = { measured: ms(percentile(result.storeCall, 50)) };
  log();
}

async function densePhase(): Promise<Array<{ efSearch: number; result: DenseResult }>> {
  log(`5. Dense (vectorCandidates limit ${DENSE_K}, ${qa.questions.length} question vectors; one warm-up pass, ${settings.passes} measured; recall@${DENSE_K} against the exact top-${DENSE_K})`);
  const index = new Map(chunks.map((c, i) => [c.id, i]));
  const vectorOf = (id: string): Float32Array | undefined => {
    const i = index.get(id);
    return i === undefined ? undefined : row(vectors, i);
  };
  const results: Array<{ efSearch: number; result: DenseResult }> = [];
  const window = startCpuWindow();
  const buffers = await bufferCounts(databaseUrl, schema);
  for (const efSearch of settings.efSearch) {
    const searchStore = await openPostgresStore({ url: databaseUrl, schema, efSearch, migrate: false });
    try {
      results.push({ efSearch, result: await measureDense(searchStore, queries, exact, vectorOf, settings.passes) });
    } finally {
      await searchStore.close();
    }
  }
  // Recall per question file: the manual's own questions have close neighbours; the dev questions (about other documents) do not.
  const sets = qa.read.map((r, i) => ({ label: r.file.replace(/^.*\//, ''), start: qa.read.slice(0, i).reduce((sum, p) => sum + p.questions, 0), size: r.questions }));
  log(
    table([
      ['efSearch', 'p50', 'p95', `recall@${DENSE_K} all`, ...sets.map((set) => set.label), 'worst query'],
      ...results.map(({ efSearch, result }) => [
        `${efSearch}${efSearch === POSTGRES_STORE_DEFAULTS.efSearch ? ' (default)' : ''}`,
        ms(percentile(result.latencies, 50)),
        ms(percentile(result.latencies, 95)),
        result.recall.toFixed(3),
        ...sets.map((set) => mean(result.recalls.slice(set.start, set.start + set.size)).toFixed(3)),
        Math.min(...result.recalls).toFixed(1),
      ]),
    ]).replace(/^/gm, '  '),
  );
  log(`  ${cpuLine(window())}; vectors stored as ${BENCH_IDENTITY.provider}/${BENCH_IDENTITY.modelId}`);
  log(`  PostgreSQL: ${bufferHitLine(buffers, await bufferCounts(databaseUrl, schema))}`);
  log();
  return results;
}

async function replicaPhase(): Promise<void> {
  log(`6. Two demo replicas on schema ${schema} (${count(chunks.length)} chunks), ${settings.clients} clients, ${settings.seconds} s per setup`);
  const measured = await measureReplicas({ root: ROOT, databaseUrl, schema, clients: settings.clients, seconds: settings.seconds, questions: qa.questions, endpoints: settings.endpoints, log: (line) => log(`  ${line}`) });
  for (const run of measured.runs) {
    printEndpointRun(run, measured.cores);
    const ratio = run.two.throughput / run.one.throughput;
    const errors = run.one.errors + run.two.errors;
    goals[run.endpoint === 'ask' ? 'replicasAsk' : 'replicasOpenai'] = {
      measured: `${ratio.toFixed(2)}× (${run.two.throughput.toFixed(1)} vs ${run.one.throughput.toFixed(1)} req/s, ${settings.clients} clients), ${errors} errors`,
      pass: ratio >= GOALS.replicaSpeedup && errors === GOALS.replicaErrors,
    };
  }
  log();
}

function printEndpointRun(run: EndpointRun, machineCores: number): void {
  log(`  ${ENDPOINT_LABELS[run.endpoint]}:`);
  log(
    table([
      ['setup', 'req/s', 'p50', 'p95', 'errors', 'resent', 'load avg', 'CPU cores: each replica', 'PostgreSQL', 'load generator', 'other processes', 'stolen by the host'],
      ...[run.one, run.two].map((s) => [
        s.label,
        s.throughput.toFixed(1),
        ms(percentile(s.latencies, 50)),
        ms(percentile(s.latencies, 95)),
        String(s.errors),
        String(s.resent),
        s.loadAverage,
        s.replicaCores.map((c) => c.toFixed(2)).join(' + '),
        s.postgresCores.toFixed(2),
        s.loadGeneratorCores.toFixed(2),
        s.otherCores.toFixed(2),
        s.stolenCores.toFixed(2),
      ]),
    ]).replace(/^/gm, '    '),
  );
  for (const s of [run.one, run.two]) for (const sample of s.errorSamples) log(`    error (${s.label}): ${sample}`);
  if (run.one.resent + run.two.resent > 0) log('    resent: requests written to a kept-alive socket as the server closed it (ECONNRESET on a reused socket, before any reply), sent again');
  const perRequest = (s: EndpointRun['one']): string =>
    `replicas ${((1000 * s.replicaCores.reduce((a, b) => a + b, 0)) / s.throughput).toFixed(0)} ms + PostgreSQL ${((1000 * s.postgresCores) / s.throughput).toFixed(0)} ms`;
  log(`    throughput two/one: ${(run.two.throughput / run.one.throughput).toFixed(2)}× (goal ≥ ${GOALS.replicaSpeedup}×)`);
  log(
    `    CPU per answered request: ${perRequest(run.one)} with one replica, ${perRequest(run.two)} with two; ` +
      `cores busy in all (ours + others): ${(run.one.totalCores + run.one.otherCores).toFixed(2)} and ${(run.two.totalCores + run.two.otherCores).toFixed(2)} of ${machineCores}`,
  );
  // At a fixed CPU cost per request, throughput grows at most with the cores our processes can get:
  // those they used with one replica plus those left idle (the other processes' and the host's
  // share is not ours).
  const ours = run.one.totalCores;
  const ceiling = Math.min(2, (machineCores - run.one.otherCores - run.one.stolenCores) / ours);
  log(
    `    CPU ceiling: one replica's setup used ${ours.toFixed(2)} cores while other processes used ${run.one.otherCores.toFixed(2)} and the host took ${run.one.stolenCores.toFixed(2)}; ` +
      `at the same CPU per request, ${machineCores} cores allow at most ${ceiling.toFixed(2)}× with two replicas`,
  );
}

/** `CPU meanwhile: …` of a measuring phase. */
function cpuLine(cpu: CpuWindow): string {
  return `CPU meanwhile (cores): this process ${cpu.selfCores.toFixed(2)}, PostgreSQL ${cpu.postgresCores.toFixed(2)}, other processes ${cpu.otherCores.toFixed(2)}, stolen by the host ${cpu.stolenCores.toFixed(2)}; load average ${loadAverage()}`;
}

/** The dense goal, judged at the store's default efSearch (what an application gets without tuning). */
function denseGoal(dense: Array<{ efSearch: number; result: DenseResult }>): GoalResult | undefined {
  const atDefault = dense.find((d) => d.efSearch === POSTGRES_STORE_DEFAULTS.efSearch)?.result;
  if (!atDefault) return undefined;
  const p50 = percentile(atDefault.latencies, 50);
  return { measured: `${ms(p50)} at recall ${atDefault.recall.toFixed(3)} (efSearch ${POSTGRES_STORE_DEFAULTS.efSearch})`, pass: p50 <= GOALS.denseP50Ms && atDefault.recall >= GOALS.denseRecall };
}

function summary(): void {
  const smoke = settings.chunks < GOALS.chunks ? `, ${count(chunks.length)} chunks: a smoke run, not the acceptance numbers` : '';
  log(`7. Summary (load average now ${loadAverage()}${smoke})`);
  log(goalTable(goals).replace(/^/gm, '  '));
  log();
  log(`reproduce: ${reproduce(databaseUrl)}`);
}
