import { registerSecret } from '../redact.js';
import { describeChatModelConformance } from './chat-model-conformance.js';
import { describeDocumentStoreConformance } from './document-store-conformance.js';
import { describeEmbedderConformance } from './embedder-conformance.js';
import { createMockDocumentStore } from './mock-document-store.js';
import { MockFaults } from './mock-faults.js';
import { createMockChatModel, type MockChatModel } from './mock-chat-model.js';
import { createMockEmbedder, type MockEmbedder } from './mock-embedder.js';
import { createMockReranker, type MockReranker } from './mock-reranker.js';
import { describeRerankerConformance } from './reranker-conformance.js';

// The in-memory models are the reference implementations: every check must pass for them.
const secret = 'hf_mockSecretToken1234567890';
registerSecret(secret);

const chatFaults = new MockFaults();
let chat: MockChatModel | undefined;
describeChatModelConformance('in-memory chat model', {
  create: () => (chat = createMockChatModel({ faults: chatFaults })),
  faults: chatFaults,
  quotesContext: true,
  secret,
  receivedTexts: () => (chat?.calls.at(-1) ?? []).map((m) => m.content),
});

const embedFaults = new MockFaults();
let embedder: MockEmbedder | undefined;
describeEmbedderConformance('in-memory embedder', {
  create: () => (embedder = createMockEmbedder({ faults: embedFaults, maxBatchSize: 8 })),
  faults: embedFaults,
  secret,
  receivedTexts: () => embedder?.requests.flat() ?? [],
});

let prefixed: MockEmbedder | undefined;
describeEmbedderConformance('in-memory embedder with E5-style prefixes', {
  create: () => (prefixed = createMockEmbedder({ queryPrefix: 'query: ', documentPrefix: 'passage: ' })),
  receivedTexts: () => prefixed?.requests.flat() ?? [],
});

const rerankFaults = new MockFaults();
let reranker: MockReranker | undefined;
describeRerankerConformance('in-memory reranker', {
  create: () => (reranker = createMockReranker({ faults: rerankFaults, maxBatchSize: 4 })),
  faults: rerankFaults,
  secret,
  receivedTexts: () => (reranker?.requests ?? []).flatMap((r) => [r.query, ...r.texts]),
});

describeDocumentStoreConformance('in-memory document store', { create: () => createMockDocumentStore() });
