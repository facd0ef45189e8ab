/**
 * Transformers.js embedding throughput and main-thread responsiveness.
 *
 *   npm run bench:transformersjs                        # the generated tiny test model, offline
 *   npm run bench:transformersjs -- --model Xenova/all-MiniLM-L6-v2 --dtype q8 --allow-remote
 *
 * For batch sizes 1, 8 and 32 it prints texts per second and the event-loop delay of the main
 * thread (p50/p99/max, sampled every millisecond by perf_hooks.monitorEventLoopDelay) while the
 * batches run in the adapter's worker thread. For comparison it runs the same batches through
 * Transformers.js on the main thread, which is what the worker spares a server. It also prints
 * the memory report of the loaded model.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createTransformersEmbedder, type TransformersDtype, type TransformersModelInfo } from '../src/index.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'ragbridge-test/tiny-bert-embedder' },
    dtype: { type: 'string', default: 'fp32' },
    'allow-remote': { type: 'boolean', default: false },
    seconds: { type: 'string', default: '3' },
    'no-main-thread': { type: 'boolean', default: false },
  },
});
const testModels = fileURLToPath(new URL('../test-models/', import.meta.url));
const dtype = args.dtype as TransformersDtype;
const secondsPerSize = Number(args.seconds);
const BATCH_SIZES = [1, 8, 32];

const WORDS = (
  'the base integer instruction set has thirty two general purpose registers while machine mode status ' +
  'register bits enable interrupts and the vector extension groups registers by the length multiplier ' +
  'software validation is part of the quality system for medical devices and risk analysis reports ' +
  'compressed instructions reduce code size and atomic memory operations support synchronization'
).split(' ');

/** Deterministic sentences of 12 to 60 words, like chunks of technical documents. */
function makeTexts(count: number): string[] {
  let seed = 7;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: count }, (_, i) => {
    const length = 12 + Math.floor(next() * 48);
    return `Chunk ${i}: ${Array.from({ length }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ')}.`;
  });
}

interface Row {
  where: string;
  batch: number;
  textsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
}

/** Runs `embedBatch` on batches of `size` for about `seconds`, measuring the main thread's event-loop delay meanwhile. */
async function measure(where: string, size: number, texts: string[], embedBatch: (batch: string[]) => Promise<unknown>): Promise<Row> {
  await embedBatch(texts.slice(0, size)); // warm-up
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const started = performance.now();
  let done = 0;
  for (let offset = 0; performance.now() - started < secondsPerSize * 1000; offset = (offset + size) % (texts.length - size)) {
    await embedBatch(texts.slice(offset, offset + size));
    done += size;
  }
  const elapsed = (performance.now() - started) / 1000;
  histogram.disable();
  const ms = (ns: number): number => ns / 1e6;
  return {
    where,
    batch: size,
    textsPerSecond: done / elapsed,
    p50: ms(histogram.percentile(50)),
    p99: ms(histogram.percentile(99)),
    max: ms(histogram.max),
  };
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function printInfo(info: TransformersModelInfo): void {
  console.log(`model ${info.modelId} (${info.task}, ${info.dtype}, ${info.dimensions ?? '?'} dimensions, window ${info.maxInputTokens ?? '?'} tokens)`);
  console.log(`  loaded in ${info.loadMs.toFixed(0)} ms; files ${mb(info.fileBytes)}; process RSS +${mb(info.rssDeltaBytes)} while loading; worker JS heap ${mb(info.workerHeapBytes)}`);
  for (const file of info.files) console.log(`    ${file.file.padEnd(28)} ${mb(file.bytes).padStart(10)}  ${file.path}`);
}

async function main(): Promise<void> {
  const texts = makeTexts(512);
  const embedder = createTransformersEmbedder({
    model: args.model,
    dtype,
    maxBatchSize: 32,
    allowRemoteModels: args['allow-remote'],
    ...(args['allow-remote'] ? {} : { localModelPath: testModels }),
  });
  const info = await embedder.load();
  printInfo(info);
  console.log(`node ${process.version}, ${(await import('node:os')).cpus().length} CPUs; ${secondsPerSize} s per batch size\n`);

  const rows: Row[] = [];
  for (const size of BATCH_SIZES) rows.push(await measure('worker (adapter)', size, texts, (batch) => embedder.embed({ texts: batch })));
  await embedder.dispose();

  if (!args['no-main-thread']) {
    // Baseline: the same steps on the main thread, as a server without the worker would run them.
    const { env, pipeline } = await import('@huggingface/transformers');
    env.allowRemoteModels = args['allow-remote'];
    if (!args['allow-remote']) env.localModelPath = testModels;
    const extractor = await pipeline('feature-extraction', args.model, { dtype, device: 'cpu' });
    for (const size of BATCH_SIZES) {
      rows.push(await measure('main thread (baseline)', size, texts, (batch) => extractor(batch, { pooling: 'mean', normalize: true })));
    }
    await extractor.dispose();
  }

  console.log('where                   batch   texts/s   loop delay p50   p99      max');
  for (const r of rows) {
    console.log(
      `${r.where.padEnd(22)} ${String(r.batch).padStart(6)} ${r.textsPerSecond.toFixed(0).padStart(9)}   ${r.p50.toFixed(2).padStart(8)} ms ${r.p99.toFixed(2).padStart(7)} ms ${r.max.toFixed(1).padStart(7)} ms`,
    );
  }
  const worst = Math.max(...rows.filter((r) => r.where.startsWith('worker')).map((r) => r.p99));
  console.log(`\nmain-thread p99 event-loop delay with the worker: ${worst.toFixed(2)} ms (goal: under 20 ms) ${worst < 20 ? 'OK' : 'MISSED'}`);
  console.log(`reproduce: npm run bench:transformersjs${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`);
}

await main();
