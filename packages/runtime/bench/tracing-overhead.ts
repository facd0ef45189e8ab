/**
 * What OpenTelemetry costs a question. A zero-latency ask — keyword retrieval over the repository's
 * own documentation, a reranker and a chat model that answer at once (so the tracing code is
 * measured against the least work an ask does), wrapped as the runtime wraps chain steps — is
 * timed in three builds:
 *
 *   baseline  no tracing code: another copy of the pipeline whose tracing module is replaced by
 *             pass-throughs (module hooks, see no-tracing-hooks.mjs), the models not wrapped;
 *             two such copies are timed, and how far apart they land is the noise floor;
 *   off       the shipped code with no OpenTelemetry SDK registered (the API's no-op tracer):
 *             what every user without tracing runs; the target is ≤ 1% over the baseline;
 *   on        the Node SDK registered, every span recorded and handed to a batch processor whose
 *             exporter drops them (the cost of tracing itself, without a network).
 *
 * Under load from other processes the end-to-end difference can drown in noise, so the tracing
 * calls an ask makes are also timed alone, with no SDK (a stage's span and a model call's span
 * against the bare call, best of several runs), and added up per ask.
 *
 * The builds run in one process, in rotating blocks of asks (first the two baselines and off, then,
 * with the SDK registered, a baseline and on), so load from other processes hits them alike; CPU
 * time per ask is the measure (wall time is printed too). Each round is a fresh process; the
 * medians over the rounds are reported.
 *
 * Reproduce: npm run bench:tracing [-- --rounds 5 --blocks 10 --block 50]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createUsageEvent, type ChatModelV1, type RerankerV1 } from '@ragbridge/core-interfaces';
import { createPipeline, type Pipeline } from '@ragbridge/pipeline';
import { traceChatModel, traceReranker } from '../src/internal/model-tracing.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    blocks: { type: 'string', default: '10' },
    block: { type: 'string', default: '50' },
    // The measuring child process.
    store: { type: 'string' },
  },
});
const ROUNDS = Number(values.rounds);
const BLOCKS = Number(values.blocks);
const BLOCK = Number(values.block);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
/** Set by no-tracing-stub.ts when it is loaded. */
const STUB_MARK = Symbol.for('ragbridge.bench.no-tracing-stub');

const QUESTIONS = [
  'Why do the adapters not retry or fall back on their own?',
  'How are secrets kept out of error messages?',
  'What does the cost monitor record for each call?',
  'How does the fallback chain handle a stream that fails after its first text?',
  'Which backends run on this machine?',
  'How is a refusal decided?',
  'What is the embedding cache keyed by?',
  'How are citations checked against their sources?',
];

/** A chat model that answers at once, citing the first source. */
function instantChatModel(): ChatModelV1 {
  const usage = () => createUsageEvent({ backend: 'bench', modelId: 'instant-chat', operation: 'chat', inputTokens: 400, outputTokens: 12, startedAt: Date.now(), latencyMs: 0 });
  const text = 'The first source answers this [1].';
  return {
    specificationVersion: 'v1',
    backend: 'bench',
    modelId: 'instant-chat',
    generate: async () => ({ text, finishReason: 'stop', usage: usage() }),
    async *stream() {
      yield { type: 'text-delta', delta: text };
      yield { type: 'finish', finishReason: 'stop', usage: usage() };
    },
  };
}

/** A reranker that answers at once, keeping the order it was given. */
function instantReranker(): RerankerV1 {
  return {
    specificationVersion: 'v1',
    backend: 'bench',
    modelId: 'instant-rerank',
    maxBatchSize: 64,
    rerank: async ({ texts }) => ({
      scores: texts.map((_, i) => 1 - i / texts.length),
      usage: createUsageEvent({ backend: 'bench', modelId: 'instant-rerank', operation: 'rerank', inputTokens: 0, items: texts.length, startedAt: Date.now(), latencyMs: 0 }),
    }),
  };
}

/** The corpus: the repository's documentation (Markdown), as a user's technical docs. */
function corpusFiles(): string[] {
  const docs = readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(REPO, 'docs', f));
  const readmes = readdirSync(join(REPO, 'packages')).map((p) => join(REPO, 'packages', p, 'README.md'));
  return [...docs, ...readmes.filter((f) => existsSync(f))];
}

/** CPU and wall time of one build, summed over its blocks. */
class Timing {
  cpuUs = 0;
  wallUs = 0;
  asks = 0;
  async block(pipeline: Pipeline, offset: number): Promise<void> {
    const cpu = process.cpuUsage();
    const wall = performance.now();
    for (let i = 0; i < BLOCK; i++) await pipeline.ask(QUESTIONS[(offset + i) % QUESTIONS.length] as string);
    const used = process.cpuUsage(cpu);
    this.wallUs += (performance.now() - wall) * 1000;
    this.cpuUs += used.user + used.system;
    this.asks += BLOCK;
  }
  get cpuPerAsk(): number {
    return this.cpuUs / this.asks;
  }
  get wallPerAsk(): number {
    return this.wallUs / this.asks;
  }
}

/** Blocks of asks, rotating over the pipelines (which goes first rotates too). */
async function rotate(pipelines: readonly Pipeline[]): Promise<Timing[]> {
  const timings = pipelines.map(() => new Timing());
  for (let n = 0; n < BLOCKS; n++) {
    for (let k = 0; k < pipelines.length; k++) {
      const i = (n + k) % pipelines.length;
      await (timings[i] as Timing).block(pipelines[i] as Pipeline, n * BLOCK);
    }
  }
  return timings;
}

/** The pipeline without tracing code: copy `copy` of it with the pass-through tracing module, models not wrapped. */
async function baselinePipeline(store: string, copy: string): Promise<Pipeline> {
  const module = (await import(new URL(`../../pipeline/src/index.ts?no-tracing=${copy}`, import.meta.url).href)) as typeof import('@ragbridge/pipeline');
  return module.createPipeline({ store, chatModel: instantChatModel(), reranker: instantReranker() });
}

/** Nanoseconds of CPU per call of `f`, the best of `runs` loops of `n` calls (interference only adds time). */
async function nsPerCall(f: () => Promise<unknown>, n = 50_000, runs = 5): Promise<number> {
  let best = Infinity;
  for (let run = 0; run < runs; run++) {
    const cpu = process.cpuUsage();
    for (let i = 0; i < n; i++) await f();
    const used = process.cpuUsage(cpu);
    best = Math.min(best, ((used.user + used.system) * 1000) / n);
  }
  return best;
}

/** What the tracing calls cost with no SDK: a pipeline stage's span and a model call's span, each over the bare call. */
async function tracingCallCosts(): Promise<{ stageNs: number; modelNs: number }> {
  const { inSpan } = (await import(new URL('../../pipeline/src/internal/pipeline-tracing.ts', import.meta.url).href)) as typeof import('../../pipeline/src/internal/pipeline-tracing.js');
  const work = async (): Promise<number> => 1;
  const reranker = instantReranker();
  const traced = traceReranker(reranker, { index: 0, key: 'bench', local: true });
  const call = { query: 'q', texts: ['a', 'b'] };
  const bare = await nsPerCall(work);
  const stage = await nsPerCall(() => inSpan('bench', work));
  const model = await nsPerCall(() => reranker.rerank(call));
  const tracedModel = await nsPerCall(() => traced.rerank(call));
  return { stageNs: Math.max(0, stage - bare), modelNs: Math.max(0, tracedModel - model) };
}

/** The measuring process: one round of the baselines and off, then a baseline and on. Prints one JSON line. */
async function measure(store: string): Promise<void> {
  const baseline = await baselinePipeline(store, 'a');
  const twin = await baselinePipeline(store, 'b');
  if ((globalThis as { [STUB_MARK]?: boolean })[STUB_MARK] !== true) throw new Error("the baseline's tracing module was not replaced: run with the no-tracing hooks");
  const step = { index: 0, key: 'bench', local: true };
  const shipped = createPipeline({ store, chatModel: traceChatModel(instantChatModel(), step), reranker: traceReranker(instantReranker(), step) });
  // Warm-up: every build compiled and its caches filled.
  await rotate([baseline, twin, shipped]);

  const [baseOff, twinOff, off] = (await rotate([baseline, twin, shipped])) as [Timing, Timing, Timing];
  const calls = await tracingCallCosts();

  let spans = 0;
  const { NodeTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-node');
  const dropping = {
    export: (batch: unknown[], done: (result: { code: number }) => void) => {
      spans += batch.length;
      done({ code: 0 });
    },
    shutdown: async () => undefined,
  };
  const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropping, { maxQueueSize: 65_536, maxExportBatchSize: 2048, scheduledDelayMillis: 20 })] });
  provider.register();
  const [baseOn, on] = (await rotate([baseline, shipped])) as [Timing, Timing];
  await provider.shutdown();
  await Promise.all([baseline.close(), twin.close(), shipped.close()]);
  const result = {
    twin: { base: baseOff.cpuPerAsk, build: twinOff.cpuPerAsk, baseWall: baseOff.wallPerAsk, buildWall: twinOff.wallPerAsk },
    off: { base: baseOff.cpuPerAsk, build: off.cpuPerAsk, baseWall: baseOff.wallPerAsk, buildWall: off.wallPerAsk },
    on: { base: baseOn.cpuPerAsk, build: on.cpuPerAsk, baseWall: baseOn.wallPerAsk, buildWall: on.wallPerAsk },
    spansPerAsk: spans / on.asks,
    calls,
  };
  console.log(JSON.stringify(result));
}

type Pair = Record<'base' | 'build' | 'baseWall' | 'buildWall', number>;
type Round = { twin: Pair; off: Pair; on: Pair; spansPerAsk: number; calls: { stageNs: number; modelNs: number } };

function runRound(store: string): Promise<Round> {
  const args = [
    '--conditions=@ragbridge/source',
    '--import',
    'tsx',
    '--import',
    fileURLToPath(new URL('./no-tracing-register.mjs', import.meta.url)),
    fileURLToPath(import.meta.url),
    '--store',
    store,
    '--blocks',
    String(BLOCKS),
    '--block',
    String(BLOCK),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1) as string) as Round) : reject(new Error(`the measuring process exited with ${code}`))));
  });
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const pct = (build: number, base: number): number => (build / base - 1) * 100;
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(2)}%`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rb-tracing-bench-'));
  const store = join(dir, 'store.db');
  try {
    const pipeline = createPipeline({ store });
    const report = await pipeline.ingest(corpusFiles(), { workers: 0 });
    await pipeline.close();
    console.log(`Zero-latency ask: keyword retrieval over ${report.added.length} documents (${report.chunks} chunks), a reranker and chat model that answer at once.`);
    console.log(`${ROUNDS} rounds (fresh processes) × ${BLOCKS} rotating blocks of ${BLOCK} asks per build, after as many to warm up; CPU time per ask.\n`);

    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const round = await runRound(store);
      rounds.push(round);
      process.stderr.write(
        `round ${r + 1}/${ROUNDS}: baseline twin ${signed(pct(round.twin.build, round.twin.base))}, off ${signed(pct(round.off.build, round.off.base))} (${round.off.base.toFixed(0)} → ${round.off.build.toFixed(0)} µs), on ${signed(pct(round.on.build, round.on.base))}\n`,
      );
    }
    const twinPct = rounds.map((r) => pct(r.twin.build, r.twin.base));
    const offPct = rounds.map((r) => pct(r.off.build, r.off.base));
    const onPct = rounds.map((r) => pct(r.on.build, r.on.base));
    const offWallPct = rounds.map((r) => pct(r.off.buildWall, r.off.baseWall));
    const onWallPct = rounds.map((r) => pct(r.on.buildWall, r.on.baseWall));
    const range = (xs: number[]): string => `${signed(Math.min(...xs))} … ${signed(Math.max(...xs))}`;
    console.log(`  baseline (no tracing code)           ${median(rounds.map((r) => r.off.base)).toFixed(1).padStart(8)} µs CPU per ask`);
    console.log(`  baseline, second copy (noise floor)  ${median(rounds.map((r) => r.twin.build)).toFixed(1).padStart(8)} µs   ${signed(median(twinPct))} (rounds ${range(twinPct)})`);
    console.log(`  tracing off (no SDK registered)      ${median(rounds.map((r) => r.off.build)).toFixed(1).padStart(8)} µs   ${signed(median(offPct))} (rounds ${range(offPct)}; wall ${signed(median(offWallPct))})`);
    console.log(
      `  tracing on (SDK, ${median(rounds.map((r) => r.spansPerAsk)).toFixed(0)} spans/ask, dropped) ${median(rounds.map((r) => r.on.build)).toFixed(1).padStart(8)} µs   ${signed(median(onPct))} (rounds ${range(onPct)}; wall ${signed(median(onWallPct))})`,
    );
    // Per ask: a span per pipeline stage, one per model call (the reranker's and the chat model's).
    const modelSpans = 2;
    const stageSpans = median(rounds.map((r) => r.spansPerAsk)) - modelSpans;
    const stageNs = median(rounds.map((r) => r.calls.stageNs));
    const modelNs = median(rounds.map((r) => r.calls.modelNs));
    const perAskUs = (stageSpans * stageNs + modelSpans * modelNs) / 1000;
    console.log(
      `  tracing calls alone, no SDK:  ${stageSpans.toFixed(0)} stage spans × ${stageNs.toFixed(0)} ns + ${modelSpans} model-call spans × ${modelNs.toFixed(0)} ns = ${perAskUs.toFixed(2)} µs per ask = ${signed((perAskUs / median(rounds.map((r) => r.off.base))) * 100)}`,
    );
    console.log(`\nOverhead with tracing off: ${signed(median(offPct))} of a zero-latency ask (target ≤ 1%); two identical builds differ by ${signed(median(twinPct))} here.`);
    console.log('Reproduce: npm run bench:tracing [-- --rounds 5 --blocks 10 --block 50]');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (values.store) await measure(values.store);
else await main();
