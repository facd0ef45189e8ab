import { AuthenticationError, ModelLoadingError, RateLimitError, RequestTimeoutError, type RagbridgeError } from '@ragbridge/core-interfaces';
import { createMockChatModel, createMockEmbedder, MockFaults } from '@ragbridge/core-interfaces/testing';
import { describe, expect, it } from 'vitest';
import { collectStream, createScriptedChatModel, httpErrors, streamedText } from './__fixtures__/scripted-models.js';
import { createManualClock } from './clock.js';
import type { ResilienceEvent } from './resilience-events.js';
import { withRetry } from './retry.js';

const PROMPT = { messages: [{ role: 'user' as const, content: 'Sources:\n[1] RV32I has 32 registers.\n\nQuestion: how many registers?' }] };
const noJitter = { jitter: 0 };

describe('withRetry', () => {
  it('retries retryable failures with exponential backoff', async () => {
    const clock = createManualClock({ start: 0 });
    const model = createScriptedChatModel({
      clock,
      script: [
        { kind: 'fail', error: () => httpErrors.unavailable('scripted') },
        { kind: 'fail', error: () => httpErrors.server('scripted') },
        { kind: 'ok' },
      ],
    });
    const events: ResilienceEvent[] = [];
    const wrapped = withRetry(model, { clock, ...noJitter, initialDelayMs: 100, multiplier: 3, onEvent: (e) => events.push(e) });
    const result = await clock.run(wrapped.generate(PROMPT));
    expect(result.text).toBe('Hello from scripted-chat');
    expect(model.log.calls).toBe(3);
    expect(clock.now()).toBe(100 + 300);
    expect(events.map((e) => (e.type === 'attempt-failed' ? e.retryInMs : undefined))).toEqual([100, 300]);
  });

  it('randomizes backoff within the jitter share', async () => {
    const clock = createManualClock({ start: 0 });
    const model = createScriptedChatModel({ clock, script: [{ kind: 'fail', error: () => httpErrors.server('s') }, { kind: 'ok' }] });
    const wrapped = withRetry(model, { clock, initialDelayMs: 1_000, jitter: 0.5, random: () => 0.5 });
    await clock.run(wrapped.generate(PROMPT));
    expect(clock.now()).toBe(750); // 1000 * (1 - 0.5 * 0.5)
  });

  it('honours Retry-After from the in-memory model (429, Retry-After: 7): no retry before 7 s', async () => {
    const clock = createManualClock({ start: 0 });
    const faults = new MockFaults();
    const mock = createMockChatModel({ faults });
    const wrapped = withRetry(mock, { clock, ...noJitter, initialDelayMs: 100, maxRetryAfterMs: 10_000 });
    faults.inject('rate-limit-retry-after');
    const answer = wrapped.generate(PROMPT);
    await clock.settle();
    expect(mock.calls).toHaveLength(1);
    expect(clock.pendingTimers()).toContain(7_000);
    faults.clear();
    await clock.advance(6_999);
    expect(mock.calls).toHaveLength(1);
    await clock.advance(1);
    expect(mock.calls).toHaveLength(2);
    expect((await answer).text).toContain('32 registers');
  });

  it("waits out a loading model's estimated_time when allowed, and gives up at once when it is too long", async () => {
    const clock = createManualClock({ start: 0 });
    const faults = new MockFaults();
    const embedder = createMockEmbedder({ faults });
    faults.inject('loading'); // 503 with estimated_time 20 s

    const impatient = withRetry(embedder, { clock }); // maxRetryAfterMs 10 s by default
    const error = await clock.run(impatient.embed({ texts: ['a'] }).catch((e: unknown) => e));
    expect(ModelLoadingError.isInstance(error)).toBe(true);
    expect(clock.now()).toBe(0);
    expect(embedder.requests).toHaveLength(1);

    const patient = withRetry(embedder, { clock, maxRetryAfterMs: 30_000, deadlineMs: 60_000 });
    const pending = patient.embed({ texts: ['a'] });
    await clock.advance(19_999);
    expect(embedder.requests).toHaveLength(2);
    faults.clear();
    await clock.advance(1);
    await expect(pending).resolves.toMatchObject({ embeddings: [expect.any(Array)] });
    expect(embedder.requests).toHaveLength(3);
  });

  it('does not retry errors that are not retryable', async () => {
    const clock = createManualClock();
    for (const make of [httpErrors.auth, httpErrors.badInput]) {
      const model = createScriptedChatModel({ clock, script: [{ kind: 'fail', error: () => make('s') }, { kind: 'ok' }] });
      await expect(clock.run(withRetry(model, { clock }).generate(PROMPT))).rejects.toSatisfy((e: RagbridgeError) => !e.isRetryable);
      expect(model.log.calls).toBe(1);
    }
  });

  it('stops after maxAttempts and throws the last failure', async () => {
    const clock = createManualClock();
    const model = createScriptedChatModel({ clock, script: [{ kind: 'fail', error: () => httpErrors.rateLimit('s') }] });
    const error = await clock.run(withRetry(model, { clock, maxAttempts: 4 }).generate(PROMPT).catch((e: unknown) => e));
    expect(RateLimitError.isInstance(error)).toBe(true);
    expect(model.log.calls).toBe(4);
  });

  it('does not start a wait that would end past the deadline', async () => {
    const clock = createManualClock({ start: 0 });
    const model = createScriptedChatModel({ clock, script: [{ kind: 'fail', error: () => httpErrors.rateLimit('s', 4), latencyMs: 500 }] });
    const wrapped = withRetry(model, { clock, maxAttempts: 10, deadlineMs: 10_000, ...noJitter });
    const error = await clock.run(wrapped.generate(PROMPT).catch((e: unknown) => e));
    expect(RateLimitError.isInstance(error)).toBe(true);
    // Attempts at 0, 4500 and 9000 ms each fail after 500 ms; another 4 s wait would pass 10 s.
    expect(model.log.calls).toBe(3);
    expect(clock.now()).toBe(9_500);
  });

  it('aborts an attempt that is still running at the deadline', async () => {
    const clock = createManualClock({ start: 0 });
    const model = createScriptedChatModel({ clock, script: [{ kind: 'hang' }] });
    const error = await clock.run(withRetry(model, { clock, deadlineMs: 2_000 }).generate(PROMPT).catch((e: unknown) => e));
    expect(RequestTimeoutError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/2000 ms retry deadline \(1 attempt\)/);
    expect(model.log.signals[0]?.aborted).toBe(true);
    expect(clock.now()).toBe(2_000);
  });

  it('stops at once when the caller aborts during a backoff wait', async () => {
    const clock = createManualClock({ start: 0 });
    const model = createScriptedChatModel({ clock, script: [{ kind: 'fail', error: () => httpErrors.server('s') }, { kind: 'ok' }] });
    const controller = new AbortController();
    const pending = withRetry(model, { clock, initialDelayMs: 1_000, ...noJitter }).generate({ ...PROMPT, abortSignal: controller.signal });
    await clock.advance(500);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await clock.advance(5_000);
    expect(model.log.calls).toBe(1);
  });

  it('retries a stream that fails before its first delta, invisibly', async () => {
    const clock = createManualClock({ start: 0 });
    const model = createScriptedChatModel({ clock, script: [{ kind: 'fail', error: () => httpErrors.unavailable('s') }, { kind: 'ok' }] });
    const { parts, error } = await clock.run(collectStream(withRetry(model, { clock }).stream(PROMPT)));
    expect(error).toBeUndefined();
    expect(streamedText(parts)).toBe('Hello from scripted-chat');
    expect(parts.filter((p) => p.type === 'finish')).toHaveLength(1);
    expect(model.log.calls).toBe(2);
  });

  it('does not retry a stream after its first delta', async () => {
    const clock = createManualClock({ start: 0 });
    const model = createScriptedChatModel({ clock, script: [{ kind: 'fail-after-deltas', deltas: 1, error: () => httpErrors.unreachable('s') }, { kind: 'ok' }] });
    const { parts, error } = await clock.run(collectStream(withRetry(model, { clock }).stream(PROMPT)));
    expect(error).toMatchObject({ name: 'BackendUnreachableError' });
    expect(streamedText(parts)).toBe('Hello');
    expect(model.log.calls).toBe(1);
  });

  it('rejects invalid options with the field named', () => {
    const model = createMockChatModel();
    expect(() => withRetry(model, { maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => withRetry(model, { jitter: 2 })).toThrow(/jitter/);
    expect(() => withRetry(model, { maxAtempts: 2 } as never)).toThrow(/maxAtempts/);
  });

  it('passes AuthenticationError through unchanged (same class, message, fields)', async () => {
    const faults = new MockFaults();
    const wrapped = withRetry(createMockChatModel({ faults }), { clock: createManualClock() });
    faults.inject('auth');
    const error = await wrapped.generate(PROMPT).catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as RagbridgeError).statusCode).toBe(401);
  });
});
