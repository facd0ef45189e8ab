#!/usr/bin/env node
// Pipeline benchmark: ingest throughput, per-stage time and peak memory on a PDF corpus, keyword
// retrieval latency, and dense top-10 search (HNSW vs exact) on 100k synthetic 384-dimensional vectors.
// Runs the built package (dist/) with plain Node, as users run it.
//
//   npm run bench:pipeline -- --corpus ../shared/corpus --qa ../shared/eval/dev-qa.json
//   npm run bench:pipeline -- --corpus ../shared/corpus --skip-vectors --runs 5   (ingest spread over 5 fresh stores)
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createPipeline, ExactVectorIndex, HnswVectorIndex, loadUsearch, UsearchVectorIndex } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string' },
    qa: { type: 'string' },
    vectors: { type: 'string', default: '100000' },
    dims: { type: 'string', default: '384' },
    queries: { type: 'string', default: '200' },
    workers: { type: 'string' },
    runs: { type: 'string', default: '1' },
    'ef-search': { type: 'string', default: '96' },
    'skip-vectors': { type: 'boolean' },
    'typescript-hnsw': { type: 'boolean' },
  },
});

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const mb = (bytes) => `${Math.round(bytes / 1024 / 1024)} MB`;
const peakRssFromProc = () => {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
    return line ? Number(line.replace(/\D+/g, '')) * 1024 : undefined;
  } catch {
    return undefined;
  }
};

console.log(`ragbridge pipeline benchmark · node ${process.version} · ${availableParallelism()} cores`);
console.log(`reproduce: npm run bench:pipeline -- ${process.argv.slice(2).join(' ')}\n`);

if (values.corpus) {
  const workers = values.workers ? Number(values.workers) : availableParallelism();
  const runs = Math.max(1, Number(values.runs));
  const rates = [];
  let pipeline;
  let dir;
  console.log('Ingest (extract on worker threads, then chunk, analyze terms and commit to SQLite on the main thread)');
  for (let run = 1; run <= runs; run++) {
    if (pipeline) {
      await pipeline.close();
      rmSync(dir, { recursive: true, force: true });
    }
    dir = mkdtempSync(join(tmpdir(), 'rb-bench-'));
    pipeline = createPipeline({ store: join(dir, 'store.db') });
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const cpu = process.cpuUsage();
    const report = await pipeline.ingest([values.corpus], { workers });
    const used = process.cpuUsage(cpu);
    clearInterval(sampler);
    const seconds = report.ms / 1000;
    const rate = report.chars / seconds / 1000;
    rates.push(rate);
    const stages = report.stageMs;
    console.log(`run ${run}/${runs}`);
    console.log(`  files ${report.added.length} (failed ${report.failed.length}) · pages ${report.pages} · page errors ${report.pageErrors.length} · chars ${report.chars} · chunks ${report.chunks} · workers ${workers}`);
    console.log(`  time ${seconds.toFixed(2)} s · ${Math.round(rate)}K chars/s · ${Math.round(report.pages / seconds)} pages/s · CPU ${((used.user + used.system) / 1e6).toFixed(2)} s (all threads)`);
    console.log(`  stages, ms summed over files: extract ${Math.round(stages.extract)} (wall time per file on its worker) · chunk ${Math.round(stages.chunk)} · analyze ${Math.round(stages.analyze)} · store ${Math.round(stages.store)}`);
    console.log(`  peak RSS during ingest ${mb(peak)} (sampled; process high-water mark ${mb(peakRssFromProc() ?? peak)})`);
  }
  if (runs > 1) {
    const sorted = [...rates].sort((a, b) => a - b);
    console.log(`  ${runs} runs: min ${Math.round(sorted[0])}K · median ${Math.round(percentile(rates, 50))}K · max ${Math.round(sorted[sorted.length - 1])}K chars/s`);
  }

  // The floor under extraction: PDFium's own page and text parsing of every PDF, nothing else, on
  // this thread. Divided among the cores it bounds what any ingest on this machine can reach.
  {
    const { loadPdfium } = await import('../dist/ingest/pdfium-module.js');
    const runtime = await loadPdfium();
    const e = runtime.exports;
    const pdfs = readdirSync(values.corpus).filter((f) => f.toLowerCase().endsWith('.pdf'));
    let parsedChars = 0;
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    for (const file of pdfs) {
      const data = readFileSync(join(values.corpus, file));
      const buffer = runtime.malloc(data.length);
      runtime.heapU8().set(data, buffer);
      const doc = e.FPDF_LoadMemDocument(buffer, data.length, 0);
      if (doc) {
        for (let i = 0; i < e.FPDF_GetPageCount(doc); i++) {
          const page = e.FPDF_LoadPage(doc, i);
          if (!page) continue;
          const text = e.FPDFText_LoadPage(page);
          if (text) {
            parsedChars += Math.max(0, e.FPDFText_CountChars(text));
            e.FPDFText_ClosePage(text);
          }
          e.FPDF_ClosePage(page);
        }
        e.FPDF_CloseDocument(doc);
      }
      runtime.free(buffer);
    }
    const wall = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu);
    const perCore = parsedChars / wall / 1000;
    console.log(`  PDFium parsing alone (load page + text page, ${pdfs.length} PDFs, one thread): ${wall.toFixed(2)} s · CPU ${((used.user + used.system) / 1e6).toFixed(2)} s · ${Math.round(perCore)}K chars/s per core → at most ~${Math.round(perCore * workers)}K chars/s on ${workers} workers before any layout, chunking, analysis or commit`);
  }

  const again = await pipeline.ingest([values.corpus], { workers });
  console.log(`  re-ingest unchanged: ${again.unchanged.length} unchanged, ${again.added.length + again.updated.length} re-done, ${Math.round(again.ms)} ms`);

  if (values.qa) {
    const questions = values.qa.split(',').flatMap((file) => JSON.parse(readFileSync(file.trim(), 'utf8')).map((q) => q.question));
    for (const q of questions) await pipeline.retrieve(q, { k: 10 }); // warm-up
    const times = [];
    for (let round = 0; round < 10; round++) {
      for (const q of questions) {
        const t = performance.now();
        await pipeline.retrieve(q, { k: 10 });
        times.push(performance.now() - t);
      }
    }
    console.log('Keyword retrieval (BM25 + rescoring, top 10)');
    console.log(`  ${times.length} queries · p50 ${percentile(times, 50).toFixed(2)} ms · p95 ${percentile(times, 95).toFixed(2)} ms · max ${Math.max(...times).toFixed(2)} ms`);
  }
  await pipeline.close();
  rmSync(dir, { recursive: true, force: true });
}

if (!values['skip-vectors']) {
  const count = Number(values.vectors);
  const dims = Number(values.dims);
  let state = 12345;
  const rand = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296 - 0.5;
  };
  // Clustered synthetic embeddings: 1,000 topic centres, each vector a noisy copy of one.
  const centres = Array.from({ length: 1000 }, () => Float32Array.from({ length: dims }, rand));
  const make = () => {
    const c = centres[Math.floor((rand() + 0.5) * centres.length) % centres.length];
    return Float32Array.from(c, (x) => x + rand() * 0.5);
  };
  const exact = new ExactVectorIndex(dims);
  const native = loadUsearch() !== null && !values['typescript-hnsw'];
  const hnsw = native ? new UsearchVectorIndex(dims, { efSearch: Number(values['ef-search']) }) : new HnswVectorIndex(dims, { efSearch: Number(values['ef-search']) });
  const buildStart = performance.now();
  for (let i = 0; i < count; i++) {
    const v = make();
    exact.add(v);
    hnsw.add(v);
  }
  const buildSeconds = (performance.now() - buildStart) / 1000;
  const queries = Array.from({ length: Number(values.queries) }, make);
  const exactTimes = [];
  const hnswTimes = [];
  let found = 0;
  for (const q of queries) {
    let t = performance.now();
    const truth = exact.search(q, 10);
    exactTimes.push(performance.now() - t);
    t = performance.now();
    const approx = hnsw.search(q, 10);
    hnswTimes.push(performance.now() - t);
    const ids = new Set(truth.map((h) => h.id));
    found += approx.filter((h) => ids.has(h.id)).length;
  }
  console.log(`Dense search: ${count} synthetic ${dims}-dim vectors (1,000 clusters), ${queries.length} queries, top 10`);
  console.log(`  HNSW via ${native ? 'usearch (native, optional dependency)' : 'the TypeScript graph'} (M=16, efSearch=${values['ef-search']}): build ${buildSeconds.toFixed(1)} s (with the exact copy) · p50 ${percentile(hnswTimes, 50).toFixed(3)} ms · p95 ${percentile(hnswTimes, 95).toFixed(3)} ms · recall@10 ${(found / (queries.length * 10)).toFixed(4)}`);
  console.log(`  exact: p50 ${percentile(exactTimes, 50).toFixed(3)} ms · p95 ${percentile(exactTimes, 95).toFixed(3)} ms`);
  // Where exact search stops fitting a 2 ms budget: the default switch-over point.
  for (const size of [5000, 10000, 20000, 50000]) {
    const small = new ExactVectorIndex(dims);
    for (let i = 0; i < size; i++) small.add(make());
    const times = queries.slice(0, 50).map((q) => {
      const t = performance.now();
      small.search(q, 10);
      return performance.now() - t;
    });
    console.log(`  exact at ${size}: p50 ${percentile(times, 50).toFixed(3)} ms`);
  }
}
