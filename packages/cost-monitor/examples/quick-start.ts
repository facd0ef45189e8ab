// A runnable tour of @ragbridge/cost-monitor with in-memory models (no network, no keys):
//
//   npm run example -w @ragbridge/cost-monitor
//
// A "cloud" chat model with a price, a local one, a daily budget that downgrades to local, an
// embedding cache (@ragbridge/caches), alerts, the JSON summary and the Prometheus metrics.
import { createMockChatModel, createMockEmbedder } from '@ragbridge/core-interfaces/testing';
import { createEmbeddingCache, openSqliteEmbeddingStore } from '@ragbridge/caches';
import { createCostMonitor } from '@ragbridge/cost-monitor';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'ragbridge-cost-'));
const monitor = await createCostMonitor({
  ledger: join(dir, 'usage.db'),
  prices: {
    // The built-in table covers a few Hugging Face models; price anything else yourself.
    overrides: [{ backend: 'cloud', modelId: 'big-model', inputPerMillion: 0.6, outputPerMillion: 2.4 }],
    localBackends: ['ollama', 'transformersjs', 'extractive', 'laptop'],
  },
  budgets: [{ window: 'day', limitUsd: 0.00005, mode: 'downgrade' }],
  alerts: { cost: [{ window: 'month', thresholdUsd: 25 }] },
});
monitor.onAlert((alert) => console.log(`alert: ${alert.message}`));

const cloud = monitor.wrapChat(createMockChatModel({ backend: 'cloud', modelId: 'big-model' }));
const local = monitor.wrapChat(createMockChatModel({ backend: 'laptop', modelId: 'small-model' }));
// The cache goes in front of the monitor: a hit touches no budget and is recorded as free.
const embedder = createEmbeddingCache(monitor.wrapEmbedder(createMockEmbedder()), {
  store: openSqliteEmbeddingStore({ path: join(dir, 'embeddings.db') }),
  onHit: (usage) => monitor.record(usage),
});

// What a fallback chain does with monitor.stepFilter: skip steps the budget turned off.
const steps = [
  { index: 0, backend: cloud.backend, modelId: cloud.modelId, local: false, model: cloud },
  { index: 1, backend: local.backend, modelId: local.modelId, local: true, model: local },
];
async function answer(question: string): Promise<string> {
  return monitor.trackQuery(async () => {
    await embedder.embed({ texts: [question], inputType: 'query' });
    const step = steps.find((s) => monitor.stepFilter(s)) ?? steps[1];
    const reply = await step.model.generate({ messages: [{ role: 'user', content: `Sources:\n[1] RV32I has 32 registers.\n\nQuestion: ${question}` }] });
    return `${step.backend}: ${reply.text} (cost ${reply.usage.costUsd === null ? 'unknown' : `$${reply.usage.costUsd.toFixed(6)}`})`;
  });
}

for (const question of ['How many registers does RV32I have?', 'How many registers does RV32I have?', 'What is x0?']) {
  console.log(await answer(question));
}

const summary = await monitor.summary();
console.log(`\ncost $${summary.costUsd.toFixed(6)} · ${summary.queries.count} queries · ${summary.queries.modelCallsPerQuery?.toFixed(2)} model calls per query`);
console.log(`embedding cache hit rate ${summary.cache.embeddings.hitRate?.toFixed(2)} · budget exhausted: ${summary.budgets[0]?.exhausted}`);
console.log(`\n${(await monitor.metrics()).split('\n').filter((l) => l.startsWith('ragbridge_model_calls_total')).join('\n')}`);
await monitor.close();
