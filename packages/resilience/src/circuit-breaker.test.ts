import { BadInputError, RagbridgeError } from '@ragbridge/core-interfaces';
import { createMockChatModel, MockFaults } from '@ragbridge/core-interfaces/testing';
import { describe, expect, it } from 'vitest';
import { httpErrors } from './__fixtures__/scripted-models.js';
import { createCircuitBreaker, type CircuitStateChange } from './circuit-breaker.js';
import { createManualClock } from './clock.js';
import { CircuitOpenError } from './resilience-errors.js';
import { withCircuitBreaker } from './resilient-model.js';

const PROMPT = { messages: [{ role: 'user' as const, content: 'Sources:\n[1] RV32I has 32 registers.\n\nQuestion: how many registers?' }] };

function fail(breaker: ReturnType<typeof createCircuitBreaker>, n: number): void {
  for (let i = 0; i < n; i++) breaker.acquire().failure();
}
function succeed(breaker: ReturnType<typeof createCircuitBreaker>, n: number): void {
  for (let i = 0; i < n; i++) breaker.acquire().success();
}

describe('createCircuitBreaker', () => {
  it('opens when the failure rate over the window reaches the threshold, once enough calls were seen', () => {
    const clock = createManualClock();
    const breaker = createCircuitBreaker({ clock, minimumCalls: 4, failureRateThreshold: 0.5 });
    fail(breaker, 3);
    expect(breaker.state).toBe('closed'); // 3 calls < minimumCalls
    succeed(breaker, 2);
    fail(breaker, 1); // 4 of 6 failed
    expect(breaker.state).toBe('open');
    expect(breaker.snapshot()).toMatchObject({ state: 'open', calls: 6, failures: 4 });
  });

  it('stays closed below the threshold', () => {
    const breaker = createCircuitBreaker({ clock: createManualClock(), minimumCalls: 4, failureRateThreshold: 0.5 });
    for (let i = 0; i < 10; i++) {
      succeed(breaker, 2);
      fail(breaker, 1);
    }
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().failureRate).toBeCloseTo(1 / 3);
  });

  it('forgets failures older than the window', async () => {
    const clock = createManualClock();
    const breaker = createCircuitBreaker({ clock, windowMs: 10_000, minimumCalls: 3 });
    fail(breaker, 2);
    await clock.advance(10_001);
    fail(breaker, 1);
    expect(breaker.snapshot()).toMatchObject({ calls: 1, state: 'closed' });
  });

  it('rejects fast while open, says when to retry, half-opens after openMs, and one trial success closes it', async () => {
    const clock = createManualClock();
    const changes: CircuitStateChange[] = [];
    const breaker = createCircuitBreaker({ clock, key: 'hf:model', minimumCalls: 2, openMs: 30_000 });
    breaker.subscribe((c) => changes.push(c));
    fail(breaker, 2);
    await clock.advance(10_000);
    const error = (() => {
      try {
        breaker.acquire({ backend: 'hf', modelId: 'model' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(CircuitOpenError.isInstance(error)).toBe(true);
    expect((error as RagbridgeError).retryAfterMs).toBe(20_000);
    expect((error as RagbridgeError).isRetryable).toBe(false);
    expect((error as Error).message).toContain('hf model "model"');

    await clock.advance(20_000);
    expect(breaker.state).toBe('half-open');
    const trial = breaker.acquire();
    expect(() => breaker.acquire()).toThrow(/trial call is still running/);
    trial.success();
    expect(breaker.state).toBe('closed');
    expect(changes.map((c) => `${c.from}->${c.to}`)).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('reopens when the trial fails', async () => {
    const clock = createManualClock();
    const breaker = createCircuitBreaker({ clock, minimumCalls: 1, openMs: 1_000 });
    fail(breaker, 1);
    await clock.advance(1_000);
    breaker.acquire().failure();
    expect(breaker.state).toBe('open');
    expect(breaker.snapshot().retryAt).toBe(clock.now() + 1_000);
  });

  it('does not count errors that say nothing about the backend', () => {
    const breaker = createCircuitBreaker({ clock: createManualClock(), minimumCalls: 1 });
    expect(breaker.isFailure(new BadInputError({ message: 'empty' }))).toBe(false);
    expect(breaker.isFailure(new DOMException('stop', 'AbortError'))).toBe(false);
    expect(breaker.isFailure(httpErrors.server('hf'))).toBe(true);
    expect(breaker.isFailure(httpErrors.auth('hf'))).toBe(true);
  });

  it('ignores outcomes of calls admitted before the circuit changed state', async () => {
    const clock = createManualClock();
    const breaker = createCircuitBreaker({ clock, minimumCalls: 2, openMs: 1_000 });
    const slow = breaker.acquire();
    fail(breaker, 2);
    expect(breaker.state).toBe('open');
    await clock.advance(1_000);
    slow.success(); // admitted while closed; must not close the half-open circuit
    expect(breaker.state).toBe('half-open');
  });
});

describe('withCircuitBreaker around the in-memory chat model with injected faults', () => {
  it('opens on server errors, stops calling the backend, half-opens and closes once it recovers', async () => {
    const clock = createManualClock();
    const faults = new MockFaults();
    const mock = createMockChatModel({ faults, backend: 'hf-inference-providers', modelId: 'org/model' });
    const breaker = createCircuitBreaker({ clock, key: 'hf', minimumCalls: 3, openMs: 10_000 });
    const model = withCircuitBreaker(mock, { breaker });

    faults.inject('server-error');
    for (let i = 0; i < 3; i++) await expect(model.generate(PROMPT)).rejects.toThrow(/Internal server error/);
    expect(breaker.state).toBe('open');
    expect(mock.calls).toHaveLength(3);

    faults.clear();
    const rejected = await model.generate(PROMPT).catch((e: unknown) => e);
    expect(CircuitOpenError.isInstance(rejected)).toBe(true);
    expect(mock.calls).toHaveLength(3); // rejected without calling the backend

    await clock.advance(10_000);
    expect(breaker.state).toBe('half-open');
    const answer = await model.generate(PROMPT);
    expect(answer.text).toContain('32 registers');
    expect(breaker.state).toBe('closed');
    expect(mock.calls).toHaveLength(4);
  });

  it('counts a stream by how it ends', async () => {
    const clock = createManualClock();
    const faults = new MockFaults();
    const breaker = createCircuitBreaker({ clock, minimumCalls: 2 });
    const model = withCircuitBreaker(createMockChatModel({ faults }), { breaker });
    faults.inject('drop-mid-stream');
    for (let i = 0; i < 2; i++) {
      await expect(
        (async () => {
          for await (const _ of model.stream(PROMPT)) void _;
        })(),
      ).rejects.toThrow(/Connection failed/);
    }
    expect(breaker.snapshot()).toMatchObject({ state: 'open', failures: 2 });
  });
});
