/**
 * Cost-monitor benchmark: ledger write throughput and the latency the monitor and caches add.
 *
 *   npm run bench:cost-monitor
 *   npm run bench:cost-monitor -- --events 50000 --calls 50000
 *
 * 1. Ledger writes to a SQLite file (WAL): one committed transaction per event (what the monitor
 *    does per call), batches of 100, and single events with synchronous=FULL.
 * 2. Per-call latency (p50/p95) of an instant in-memory chat model, bare and wrapped by a monitor
 *    with a file ledger, a budget, alerts and Prometheus metrics on; the difference is what the
 *    monitor adds.
 * 3. Hit paths (caches of @ragbridge/caches): an embedding-cache hit (memory store; SQLite store;
 *    SQLite store in front of the monitor, which records the hit in the ledger) and a response-cache
 *    hit in front of the monitor.
 *    Goal: under 0.2 ms p50.
 */
import { createUsageEvent, type ChatCallOptions } from '@ragbridge/core-interfaces';
import { createMockChatModel, createMockEmbedder } from '@ragbridge/core-interfaces/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createEmbeddingCache, createMemoryEmbeddingStore, createResponseCache, openSqliteEmbeddingStore } from '@ragbridge/caches';
import { createCostMonitor, openSqliteLedger, type LedgerEntry } from '../src/index.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    calls: { type: 'string', default: '20000' },
  },
});
const EVENTS = Number(values.events);
const CALLS = Number(values.calls);
const dir = mkdtempSync(join(tmpdir(), 'rb-cost-bench-'));

const percentile = (sorted: number[], p: number): number => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const ms = (x: number): string => `${x.toFixed(4)} ms`;
const rate = (n: number, seconds: number): string => `${Math.round(n / seconds).toLocaleString('en-US')} events/s`;

const entry = (n: number): LedgerEntry => ({
  ...createUsageEvent({ backend: 'hf-inference-providers', modelId: 'meta-llama/Llama-3.1-8B-Instruct', provider: 'cerebras', operation: 'chat', inputTokens: 900 + (n % 100), outputTokens: 120, startedAt: Date.now(), latencyMs: 850 }),
  costUsd: 0.0001,
  at: Date.now(),
  status: 'ok',
  priceState: 'priced',
});

/** Per-call latencies in ms of `fn`, after a warm-up. */
async function latencies(count: number, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(2000, count); i++) await fn();
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await fn();
    out[i] = performance.now() - start;
  }
  return out.sort((a, b) => a - b);
}

const line = (label: string, sorted: number[]): string => `  ${label.padEnd(60)} p50 ${ms(percentile(sorted, 50))}  p95 ${ms(percentile(sorted, 95))}`;

console.log(`ragbridge cost-monitor benchmark · node ${process.version} · ${availableParallelism()} cores`);
console.log(`reproduce: npm run bench:cost-monitor -- --events ${EVENTS} --calls ${CALLS}\n`);

// 1. Ledger write throughput.
console.log('Ledger writes (SQLite file, WAL)');
{
  const single = openSqliteLedger({ path: join(dir, 'single.db') });
  let t = performance.now();
  for (let i = 0; i < EVENTS; i++) single.append([entry(i)]);
  console.log(`  single events, one transaction each (synchronous=NORMAL)  ${rate(EVENTS, (performance.now() - t) / 1000)}`);
  single.close();

  const batched = openSqliteLedger({ path: join(dir, 'batched.db') });
  const batch = Array.from({ length: 100 }, (_, i) => entry(i));
  t = performance.now();
  for (let i = 0; i < EVENTS; i += 100) batched.append(batch);
  console.log(`  batches of 100 (synchronous=NORMAL)                       ${rate(EVENTS, (performance.now() - t) / 1000)}`);
  batched.close();

  const full = openSqliteLedger({ path: join(dir, 'full.db'), synchronous: 'full' });
  const fullCount = Math.max(100, Math.floor(EVENTS / 10));
  t = performance.now();
  for (let i = 0; i < fullCount; i++) full.append([entry(i)]);
  console.log(`  single events, synchronous=FULL (${fullCount} events)${' '.repeat(Math.max(1, 21 - String(fullCount).length))}${rate(fullCount, (performance.now() - t) / 1000)}`);
  full.close();
}

// 2. What the monitor adds to a call.
const PROMPT: ChatCallOptions = { messages: [{ role: 'user', content: 'How many registers does RV32I have?' }], maxTokens: 16 };
const monitor = await createCostMonitor({
  ledger: join(dir, 'monitor.db'),
  prices: { overrides: [{ backend: 'mock', modelId: '*', inputPerMillion: 0.1, outputPerMillion: 0.4 }] },
  budgets: [{ window: 'day', limitUsd: 1_000_000, mode: 'downgrade' }, { window: 'month', limitUsd: 1_000_000, mode: 'block' }],
});
console.log('\nAdded latency per call (instant in-memory chat model)');
const bareChat = createMockChatModel({ reply: () => 'RV32I has 32 registers.' });
const wrappedChat = monitor.wrapChat(createMockChatModel({ reply: () => 'RV32I has 32 registers.' }));
const bare = await latencies(CALLS, () => bareChat.generate(PROMPT));
const wrapped = await latencies(CALLS, () => wrappedChat.generate(PROMPT));
console.log(line('bare model', bare));
console.log(line('monitored (ledger write, pricing, budget, alerts, metrics)', wrapped));
console.log(`  ${'added by the monitor'.padEnd(60)} p50 ${ms(percentile(wrapped, 50) - percentile(bare, 50))}  p95 ${ms(percentile(wrapped, 95) - percentile(bare, 95))}`);

// 3. Hit paths.
console.log('\nCache hit paths (goal: under 0.2 ms p50)');
const text = ['The base integer ISA has 32 general-purpose registers, x0 to x31.'];
const bareEmbedder = createMockEmbedder({ dimensions: 384 });
console.log(line('bare in-memory embedder, 1 text, 384 dims (for scale)', await latencies(CALLS, () => bareEmbedder.embed({ texts: text }))));
const memoryCache = createEmbeddingCache(createMockEmbedder({ dimensions: 384 }), { store: createMemoryEmbeddingStore() });
console.log(line('embedding cache hit, memory store', await latencies(CALLS, () => memoryCache.embed({ texts: text }))));
const sqliteStore = openSqliteEmbeddingStore({ path: join(dir, 'embeddings.db') });
const sqliteCache = createEmbeddingCache(createMockEmbedder({ dimensions: 384 }), { store: sqliteStore });
console.log(line('embedding cache hit, SQLite store', await latencies(CALLS, () => sqliteCache.embed({ texts: text }))));
const monitoredCache = createEmbeddingCache(monitor.wrapEmbedder(createMockEmbedder({ dimensions: 384 })), {
  store: openSqliteEmbeddingStore({ path: join(dir, 'embeddings2.db') }),
  onHit: (usage) => monitor.record(usage),
});
console.log(line('embedding cache hit, SQLite store, monitored (hit recorded)', await latencies(CALLS, () => monitoredCache.embed({ texts: text }))));
const cachedChat = createResponseCache(monitor.wrapChat(createMockChatModel({ reply: () => 'RV32I has 32 registers.' })), {
  ttlMs: 3_600_000,
  onHit: (usage) => monitor.record(usage),
});
console.log(line('response cache hit, memory store, monitored (hit recorded)', await latencies(CALLS, () => cachedChat.generate(PROMPT))));

const totals = await monitor.ledger.totals();
console.log(`\nledger after the run: ${totals.calls.toLocaleString('en-US')} rows, ${totals.cacheHits.toLocaleString('en-US')} cache hits`);
sqliteStore.close();
await monitor.close();
rmSync(dir, { recursive: true, force: true });
