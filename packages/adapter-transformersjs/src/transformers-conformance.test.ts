import { describeChatModelConformance, describeEmbedderConformance, describeRerankerConformance } from '@ragbridge/core-interfaces/testing';
import { afterAll } from 'vitest';
import { OFFLINE, TINY_CHAT, TINY_CROSS_ENCODER, TINY_EMBEDDER, WorkerTrafficLog } from './__fixtures__/test-models.js';
import { createTransformersChatModel } from './transformers-chat-model.js';
import { createTransformersEmbedder } from './transformers-embedder.js';
import { createTransformersReranker } from './transformers-reranker.js';

// The real Transformers.js code path (tokenizers, ONNX Runtime, generation) on the committed tiny
// models, offline. In-process models have no HTTP failures to inject, so the fault checks are
// reported as skipped.
const traffic = new WorkerTrafficLog();
const created: Array<{ dispose(): Promise<void> }> = [];
function track<T extends { dispose(): Promise<void> }>(model: T): T {
  created.push(model);
  return model;
}
afterAll(async () => {
  traffic.stop();
  await Promise.all(created.map((m) => m.dispose()));
});

describeEmbedderConformance('Transformers.js embedder (tiny BERT, offline)', {
  create: () => track(createTransformersEmbedder({ ...OFFLINE, model: TINY_EMBEDDER, maxBatchSize: 4 })),
  receivedTexts: () => traffic.lastReceivedTexts(),
});

describeEmbedderConformance('Transformers.js embedder with E5-style prefixes and q8 weights', {
  create: () =>
    track(
      createTransformersEmbedder({ ...OFFLINE, model: TINY_EMBEDDER, dtype: 'q8', queryPrefix: 'query: ', documentPrefix: 'passage: ' }),
    ),
  receivedTexts: () => traffic.lastReceivedTexts(),
});

describeRerankerConformance('Transformers.js cross-encoder (tiny BERT, offline)', {
  create: () => track(createTransformersReranker({ ...OFFLINE, model: TINY_CROSS_ENCODER, maxBatchSize: 2 })),
  receivedTexts: () => traffic.lastReceivedTexts(),
});

describeChatModelConformance('Transformers.js chat model (tiny Llama, offline)', {
  create: () => track(createTransformersChatModel({ ...OFFLINE, model: TINY_CHAT })),
  receivedTexts: () => traffic.lastReceivedTexts(),
});
