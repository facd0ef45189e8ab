import { createEmbeddingCache, createMemoryEmbeddingStore, createResponseCache } from '@ragbridge/caches';
import {
  createMockChatModel,
  createMockEmbedder,
  createMockReranker,
  describeChatModelConformance,
  describeEmbedderConformance,
  describeRerankerConformance,
  MockFaults,
  type MockChatModel,
  type MockEmbedder,
  type MockReranker,
} from '@ragbridge/core-interfaces/testing';
import { openSqliteLedger } from '../ledger/sqlite-ledger.js';
import { createCostMonitor, type CostMonitor } from './cost-monitor.js';

// Monitored models keep every promise of their contracts: same errors, streams, aborts and usage.
// Each check gets a fresh monitor (and cache), so no check sees another's cache hits. Caches go
// in front of the monitor, as the runtime composes them.
const monitor = async (): Promise<CostMonitor> =>
  createCostMonitor({
    ledger: openSqliteLedger({ path: ':memory:' }),
    prices: { overrides: [{ backend: 'mock', modelId: '*', inputPerMillion: 0.5, outputPerMillion: 1 }] },
    budgets: [{ window: 'day', limitUsd: 100, mode: 'downgrade' }],
    metrics: false,
  });

const chatFaults = new MockFaults();
let chat: MockChatModel | undefined;
describeChatModelConformance('monitored chat model', {
  create: async () => (await monitor()).wrapChat((chat = createMockChatModel({ faults: chatFaults }))),
  faults: chatFaults,
  quotesContext: true,
  receivedTexts: () => (chat?.calls.at(-1) ?? []).map((m) => m.content),
});

const cachedChatFaults = new MockFaults();
describeChatModelConformance('monitored chat model with a response cache', {
  create: async () => {
    const m = await monitor();
    return createResponseCache(m.wrapChat(createMockChatModel({ faults: cachedChatFaults })), { ttlMs: 60_000, onHit: (usage) => m.record(usage) });
  },
  faults: cachedChatFaults,
  quotesContext: true,
});

const embedFaults = new MockFaults();
let embedder: MockEmbedder | undefined;
describeEmbedderConformance('monitored embedder with an embedding cache', {
  create: async () => {
    const m = await monitor();
    return createEmbeddingCache(m.wrapEmbedder((embedder = createMockEmbedder({ faults: embedFaults, maxBatchSize: 8 }))), {
      store: createMemoryEmbeddingStore(),
      onHit: (usage) => m.record(usage),
    });
  },
  faults: embedFaults,
  receivedTexts: () => embedder?.requests.flat() ?? [],
});

const plainEmbedFaults = new MockFaults();
describeEmbedderConformance('monitored embedder', {
  create: async () => (await monitor()).wrapEmbedder(createMockEmbedder({ faults: plainEmbedFaults })),
  faults: plainEmbedFaults,
});

const rerankFaults = new MockFaults();
let reranker: MockReranker | undefined;
describeRerankerConformance('monitored reranker', {
  create: async () => (await monitor()).wrapReranker((reranker = createMockReranker({ faults: rerankFaults, maxBatchSize: 4 }))),
  faults: rerankFaults,
  receivedTexts: () => (reranker?.requests ?? []).flatMap((r) => [r.query, ...r.texts]),
});
