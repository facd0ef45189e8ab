import { ServerError } from '@ragbridge/core-interfaces';
import { createMockEmbedder, createMockReranker } from '@ragbridge/core-interfaces/testing';
import { createFallbackReranker } from '@ragbridge/resilience';
import { describe, expect, it } from 'vitest';
import { createFusedOrderReranker, TERMINAL_BACKENDS, withKeywordFallback } from './terminal-steps.js';

describe('fused-order, the last step of a reranker chain', () => {
  it('scores keep the input order, in (0, 1]', async () => {
    const { scores, usage } = await createFusedOrderReranker().rerank({ query: 'registers', texts: ['a b', 'c d', 'e f', 'g h'] });
    expect(scores).toEqual([1, 0.75, 0.5, 0.25]);
    expect(usage).toMatchObject({ backend: 'fused-order', operation: 'rerank', items: 4, costUsd: 0 });
  });

  it('serves when every model step of the chain fails, and says so in fallbackStep', async () => {
    const failing = createMockReranker();
    failing.faults.inject('server-error');
    const chain = createFallbackReranker([failing, { model: createFusedOrderReranker(), local: true, retry: false, breaker: false }], { retry: false });
    const result = await chain.rerank({ query: 'registers', texts: ['x0 is zero', 'validation'] });
    expect(result.scores).toEqual([1, 0.5]);
    expect(result.usage).toMatchObject({ backend: TERMINAL_BACKENDS.reranker, fallbackStep: 1 });
  });
});

describe('withKeywordFallback, the last step of an embedder chain', () => {
  it('passes vectors through while the embedder works', async () => {
    const embedder = createMockEmbedder();
    const guarded = withKeywordFallback(embedder, { fallbackStep: 1 });
    const result = await guarded.embed({ texts: ['registers'], inputType: 'query' });
    expect(result.embeddings).toHaveLength(1);
    expect(guarded.identity).toEqual(embedder.identity);
  });

  it('answers a failing query with no vector and a keyword usage event, so retrieval runs BM25 alone', async () => {
    const embedder = createMockEmbedder();
    embedder.faults.inject('unreachable');
    const failures: unknown[] = [];
    const guarded = withKeywordFallback(embedder, { fallbackStep: 2, onFallback: (e) => failures.push(e) });
    const result = await guarded.embed({ texts: ['registers'], inputType: 'query' });
    expect(result.embeddings).toEqual([]);
    expect(result.usage).toMatchObject({ backend: 'keyword', operation: 'embed', fallbackStep: 2, costUsd: 0 });
    expect(failures).toEqual([expect.objectContaining({ name: 'BackendUnreachableError' })]);
  });

  it('still fails document embeddings and the caller’s aborts (nothing is stored without a vector)', async () => {
    const embedder = createMockEmbedder();
    embedder.faults.inject('server-error');
    const guarded = withKeywordFallback(embedder, { fallbackStep: 1 });
    await expect(guarded.embed({ texts: ['chunk'], inputType: 'document' })).rejects.toSatisfy((e) => ServerError.isInstance(e));
    embedder.faults.clear();
    const controller = new AbortController();
    controller.abort();
    await expect(guarded.embed({ texts: ['q'], inputType: 'query', abortSignal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
