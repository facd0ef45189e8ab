import { describe, expect, it } from 'vitest';
import { delegateChatModel, delegateEmbedder, delegateReranker } from './model-wrappers.js';
import { createMockChatModel } from './testing/mock-chat-model.js';
import { createMockEmbedder } from './testing/mock-embedder.js';
import { createMockReranker } from './testing/mock-reranker.js';

describe('delegating wrappers', () => {
  it('keep the inner embedder identity and limits, read live, and replace only embed', async () => {
    const inner = createMockEmbedder({ dimensions: 8, maxBatchSize: 4 });
    let calls = 0;
    const wrapped = delegateEmbedder(
      inner,
      async (o) => {
        calls++;
        return inner.embed(o);
      },
      { inner },
    );
    expect(wrapped).toMatchObject({ specificationVersion: 'v1', backend: 'mock', modelId: 'mock-embed', dimensions: 8, maxBatchSize: 4 });
    expect(wrapped.identity).toBe(inner.identity);
    expect(wrapped.inner).toBe(inner);
    Object.defineProperty(inner, 'dimensions', { value: 16 });
    expect(wrapped.dimensions).toBe(16);
    await wrapped.embed({ texts: ['a b'] });
    expect(calls).toBe(1);
  });

  it('do the same for rerankers and chat models', async () => {
    const reranker = delegateReranker(createMockReranker({ maxBatchSize: 3 }), async () => ({ scores: [], usage: {} as never }));
    expect(reranker).toMatchObject({ backend: 'mock', modelId: 'mock-rerank', maxBatchSize: 3 });
    const inner = createMockChatModel();
    const chat = delegateChatModel(inner, { generate: (o) => inner.generate(o), stream: (o) => inner.stream(o) });
    expect(chat).toMatchObject({ specificationVersion: 'v1', backend: 'mock', modelId: 'mock-chat' });
    expect((await chat.generate({ messages: [{ role: 'user', content: 'hi' }] })).text.length).toBeGreaterThan(0);
  });
});
