import { RequestTimeoutError, registerSecret } from '@ragbridge/core-interfaces';
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
import { describe, expect, it } from 'vitest';
import { createScriptedChatModel } from './__fixtures__/scripted-models.js';
import { createCircuitBreaker } from './circuit-breaker.js';
import { createManualClock, systemClock } from './clock.js';
import { CircuitOpenError } from './resilience-errors.js';
import type { ResilienceEvent } from './resilience-events.js';
import { createResilientModel, withCircuitBreaker, withConcurrencyLimit } from './resilient-model.js';
import { withRetry } from './retry.js';
import { withTimeout } from './timeout.js';

// Wrapped models keep every promise of the contracts: the same conformance suites run on them.
// Waits are real but tiny (1-2 ms backoff); server-requested waits of 7 s and 20 s are refused
// (maxRetryAfterMs) so the typed error surfaces unchanged, as the suites expect.
const secret = 'hf_resilienceSecretToken123456';
registerSecret(secret);
const fastRetry = { initialDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 100 };

const chatFaults = new MockFaults();
let chat: MockChatModel | undefined;
describeChatModelConformance('createResilientModel(chat): retry, breaker, concurrency, timeout', {
  create: () =>
    createResilientModel((chat = createMockChatModel({ faults: chatFaults })), {
      retry: fastRetry,
      breaker: { minimumCalls: 1000 },
      concurrency: 4,
      timeoutMs: 10_000,
      clock: systemClock,
    }),
  faults: chatFaults,
  quotesContext: true,
  secret,
  receivedTexts: () => (chat?.calls.at(-1) ?? []).map((m) => m.content),
});

const retryFaults = new MockFaults();
describeChatModelConformance('withRetry(chat)', {
  create: () => withRetry(createMockChatModel({ faults: retryFaults }), fastRetry),
  faults: retryFaults,
  quotesContext: true,
  secret,
});

const breakerFaults = new MockFaults();
describeChatModelConformance('withCircuitBreaker(chat)', {
  create: () => withCircuitBreaker(createMockChatModel({ faults: breakerFaults }), { minimumCalls: 1000 }),
  faults: breakerFaults,
  quotesContext: true,
  secret,
});

const timeoutFaults = new MockFaults();
describeChatModelConformance('withTimeout(chat)', {
  create: () => withTimeout(createMockChatModel({ faults: timeoutFaults }), { timeoutMs: 10_000 }),
  faults: timeoutFaults,
  quotesContext: true,
  secret,
});

const limitFaults = new MockFaults();
describeChatModelConformance('withConcurrencyLimit(chat)', {
  create: () => withConcurrencyLimit(createMockChatModel({ faults: limitFaults }), { maxConcurrent: 1 }),
  faults: limitFaults,
  quotesContext: true,
  secret,
});

const embedFaults = new MockFaults();
let embedder: MockEmbedder | undefined;
describeEmbedderConformance('createResilientModel(embedder)', {
  create: () =>
    createResilientModel((embedder = createMockEmbedder({ faults: embedFaults, maxBatchSize: 8 })), {
      retry: fastRetry,
      breaker: { minimumCalls: 1000 },
      concurrency: 2,
      timeoutMs: 10_000,
    }),
  faults: embedFaults,
  secret,
  receivedTexts: () => embedder?.requests.flat() ?? [],
});

const rerankFaults = new MockFaults();
let reranker: MockReranker | undefined;
describeRerankerConformance('createResilientModel(reranker)', {
  create: () =>
    createResilientModel((reranker = createMockReranker({ faults: rerankFaults, maxBatchSize: 4 })), {
      retry: fastRetry,
      breaker: { minimumCalls: 1000 },
      concurrency: 2,
      timeoutMs: 10_000,
    }),
  faults: rerankFaults,
  secret,
  receivedTexts: () => (reranker?.requests ?? []).flatMap((r) => [r.query, ...r.texts]),
});

describe('createResilientModel', () => {
  const PROMPT = { messages: [{ role: 'user' as const, content: 'hi' }] };

  it('counts timeouts as failures: the breaker opens and the next call is rejected without waiting', async () => {
    const clock = createManualClock({ start: 0 });
    const model = createScriptedChatModel({ clock, script: [{ kind: 'hang' }] });
    const breaker = createCircuitBreaker({ clock, minimumCalls: 2, openMs: 60_000 });
    const events: ResilienceEvent[] = [];
    const resilient = createResilientModel(model, {
      clock,
      timeoutMs: 1_000,
      breaker,
      retry: { maxAttempts: 3, initialDelayMs: 100, jitter: 0 },
      onEvent: (e) => events.push(e),
    });
    const error = await clock.run(resilient.generate(PROMPT).catch((e: unknown) => e));
    // Two timed-out attempts open the circuit; the third attempt is refused, and the caller sees
    // the timeout that caused it rather than the breaker's refusal.
    expect(RequestTimeoutError.isInstance(error)).toBe(true);
    expect(model.log.calls).toBe(2);
    expect(breaker.state).toBe('open');
    expect(clock.now()).toBe(1_000 + 100 + 1_000 + 200); // two timeouts, two backoffs, then the refusal

    const startedAt = clock.now();
    const refused = await clock.run(resilient.generate(PROMPT).catch((e: unknown) => e));
    expect(CircuitOpenError.isInstance(refused)).toBe(true);
    expect(clock.now()).toBe(startedAt);
    expect(model.log.calls).toBe(2);
    expect(events.filter((e) => e.type === 'attempt-failed').map((e) => (e.type === 'attempt-failed' ? e.giveUpReason : ''))).toEqual([
      undefined,
      undefined,
      'not-retryable',
      'not-retryable',
    ]);
  });

  it('shares a breaker passed in, so its state is observable from outside', async () => {
    const breaker = createCircuitBreaker({ minimumCalls: 1 });
    const faults = new MockFaults();
    const model = createResilientModel(createMockChatModel({ faults }), { breaker, retry: false });
    faults.inject('server-error');
    await expect(model.generate(PROMPT)).rejects.toThrow();
    expect(breaker.snapshot()).toMatchObject({ state: 'open', failures: 1 });
  });
});
