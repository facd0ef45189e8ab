/**
 * Fault benchmark: 1,000 chat calls through a fallback chain whose first backend fails 30% of the
 * time (a mix of 429 with and without Retry-After, 503, and hung requests that time out) and whose
 * second backend is healthy. Prints answered %, mean backend attempts per call, and latency
 * percentiles, for the chain and for the first backend alone.
 *
 * Time is simulated on a manual clock (latencies of hundreds of ms, 3 s timeouts, 1 s Retry-After),
 * so the run takes about a second of wall time and is reproducible from its seed.
 *
 * Reproduce: npm run bench:resilience [-- --calls 1000 --failure-rate 0.3 --concurrency 16 --seed 42]
 */
import { parseArgs } from 'node:util';
import type { ChatModelV1 } from '@ragbridge/core-interfaces';
import { createScriptedChatModel, httpErrors, type Behaviour } from '../src/__fixtures__/scripted-models.js';
import { createFallbackChatModel, createManualClock, createResilienceRegistry, type ManualClock } from '../src/index.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '1000' },
    'failure-rate': { type: 'string', default: '0.3' },
    concurrency: { type: 'string', default: '16' },
    seed: { type: 'string', default: '42' },
  },
});
const CALLS = Number(values.calls);
const FAILURE_RATE = Number(values['failure-rate']);
const CONCURRENCY = Number(values.concurrency);
const SEED = Number(values.seed);

/** mulberry32: a small seeded PRNG, so every run sees the same faults. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FaultCounts {
  ok: number;
  '429': number;
  '429 Retry-After': number;
  '503': number;
  timeout: number;
}

/** The first backend: answers in 300–900 ms, or fails (30% by default) in one of four ways. */
function flakyScript(random: () => number, counts: FaultCounts): (call: number) => Behaviour {
  return () => {
    const latencyMs = 300 + Math.floor(random() * 600);
    if (random() >= FAILURE_RATE) {
      counts.ok++;
      return { kind: 'ok', latencyMs };
    }
    const kind = random();
    if (kind < 0.25) {
      counts['429']++;
      return { kind: 'fail', latencyMs: 40, error: () => httpErrors.rateLimit('hf-inference-providers') };
    }
    if (kind < 0.5) {
      counts['429 Retry-After']++;
      return { kind: 'fail', latencyMs: 40, error: () => httpErrors.rateLimit('hf-inference-providers', 1) };
    }
    if (kind < 0.75) {
      counts['503']++;
      return { kind: 'fail', latencyMs: 60, error: () => httpErrors.unavailable('hf-inference-providers') };
    }
    counts.timeout++;
    return { kind: 'hang' };
  };
}

/** The second backend: always answers, in 1.2–2 s (a local model on a CPU). */
function healthyScript(random: () => number): (call: number) => Behaviour {
  return () => ({ kind: 'ok', latencyMs: 1_200 + Math.floor(random() * 800) });
}

interface RunResult {
  answered: number;
  failed: number;
  attempts: number;
  latencies: number[];
  servedBy: number[];
  spliced: number;
  wallMs: number;
}

async function drive(clock: ManualClock, call: (i: number) => Promise<{ step: number; ok: boolean }>, calls: number): Promise<Omit<RunResult, 'attempts' | 'wallMs' | 'spliced'>> {
  const latencies: number[] = [];
  const servedBy: number[] = [];
  let answered = 0;
  let failed = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < calls) {
      const i = next++;
      const started = clock.now();
      try {
        const { step, ok } = await call(i);
        if (!ok) throw new Error('wrong answer');
        answered++;
        servedBy[step] = (servedBy[step] ?? 0) + 1;
      } catch {
        failed++;
      }
      latencies.push(clock.now() - started);
    }
  };
  await clock.run(Promise.all(Array.from({ length: CONCURRENCY }, worker)));
  return { answered, failed, latencies, servedBy };
}

const PROMPT = { messages: [{ role: 'user' as const, content: 'How many registers does RV32I have?' }] };

async function scenario(name: 'chain' | 'chain-stream' | 'first-backend-alone'): Promise<RunResult & { faults: FaultCounts }> {
  const clock = createManualClock({ start: 0 });
  const random = prng(SEED);
  const faults: FaultCounts = { ok: 0, '429': 0, '429 Retry-After': 0, '503': 0, timeout: 0 };
  const hosted = createScriptedChatModel({
    clock,
    backend: 'hf-inference-providers',
    modelId: 'openai/gpt-oss-20b',
    script: flakyScript(random, faults),
    deltas: ['Thirty-two', ' registers', ' [1].'],
    deltaMs: 30,
  });
  const local = createScriptedChatModel({
    clock,
    backend: 'ollama',
    modelId: 'llama3.2:3b',
    script: healthyScript(random),
    deltas: ['RV32I', ' has', ' 32', ' registers', ' [1].'],
    deltaMs: 60,
  });
  const registry = createResilienceRegistry({ clock, concurrency: { ollama: 4 } });
  const chain: ChatModelV1 =
    name === 'first-backend-alone'
      ? createFallbackChatModel([hosted], { clock, retry: false, breaker: false, timeoutMs: 3_000 })
      : createFallbackChatModel([hosted, local], {
          registry,
          clock,
          timeoutMs: 3_000,
          retry: { maxAttempts: 2, initialDelayMs: 200, maxRetryAfterMs: 2_000, random },
        });
  const answers = new Set(['Thirty-two registers [1].', 'RV32I has 32 registers [1].']);
  let spliced = 0;
  const wallStarted = performance.now();
  const result = await drive(
    clock,
    async () => {
      if (name === 'chain-stream') {
        let text = '';
        let step = -1;
        for await (const part of chain.stream(PROMPT)) {
          if (part.type === 'text-delta') text += part.delta;
          else step = part.usage.fallbackStep;
        }
        if (!answers.has(text)) spliced++;
        return { step, ok: answers.has(text) };
      }
      const { text, usage } = await chain.generate(PROMPT);
      return { step: usage.fallbackStep, ok: answers.has(text) };
    },
    CALLS,
  );
  return { ...result, attempts: hosted.log.calls + local.log.calls, spliced, wallMs: performance.now() - wallStarted, faults };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function report(title: string, r: RunResult & { faults: FaultCounts }): void {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  const mean = sorted.reduce((s, x) => s + x, 0) / sorted.length;
  console.log(`\n${title}`);
  console.log(`  answered        ${((100 * r.answered) / CALLS).toFixed(1)}% (${r.answered}/${CALLS}, ${r.failed} failed)`);
  console.log(`  mean attempts   ${(r.attempts / CALLS).toFixed(2)} backend calls per answer request`);
  console.log(`  served by step  ${r.servedBy.map((n, i) => `#${i}: ${n ?? 0}`).join(', ') || '-'}`);
  console.log(`  latency (sim.)  p50 ${percentile(sorted, 50)} ms, p95 ${percentile(sorted, 95)} ms, p99 ${percentile(sorted, 99)} ms, mean ${mean.toFixed(0)} ms`);
  const f = r.faults;
  console.log(`  first backend   ${f.ok} ok, ${f['429']} x 429, ${f['429 Retry-After']} x 429 with Retry-After: 1, ${f['503']} x 503, ${f.timeout} x hung`);
  if (title.includes('stream()')) console.log(`  spliced streams ${r.spliced} (text from two models; mid-stream cuts are covered by the tests, not injected here)`);
  console.log(`  wall time       ${r.wallMs.toFixed(0)} ms`);
}

console.log(
  `ragbridge resilience fault benchmark: ${CALLS} chat calls, first backend fails ${Math.round(FAILURE_RATE * 100)}% ` +
    `(429 / 429+Retry-After / 503 / hang, equal shares), second backend healthy; ${CONCURRENCY} concurrent callers; seed ${SEED}.`,
);
console.log('Chain policy: retry maxAttempts 2 (backoff 200 ms, Retry-After up to 2 s), breaker 50% over 60 s (min. 20 calls), timeout 3 s; Ollama limited to 4 calls at once.');
report('Fallback chain, generate()', await scenario('chain'));
report('Fallback chain, stream() (falls back only before the first delta)', await scenario('chain-stream'));
report('First backend alone, no retry and no fallback (baseline)', await scenario('first-backend-alone'));
console.log('\nReproduce: npm run bench:resilience -- --calls 1000 --failure-rate 0.3 --concurrency 16 --seed 42');
