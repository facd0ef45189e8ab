import { createMockReranker } from '@ragbridge/core-interfaces/testing';
import { createFallbackReranker } from '@ragbridge/resilience';
import { describe, expect, it } from 'vitest';
import { TERMINAL_BACKENDS } from '@ragbridge/core-interfaces';
import { createFusedOrderReranker } from './terminal-steps.js';

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
