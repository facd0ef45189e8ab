import {
  BackendUnreachableError,
  BadInputError,
  BudgetExceededError,
  registerSecret,
  ServerError,
  UnsupportedRequestError,
  type ChatStreamPart,
} from '@ragbridge/core-interfaces';
import {
  createMockChatModel,
  describeChatModelConformance,
  MockFaults,
  type MockChatModel,
} from '@ragbridge/core-interfaces/testing';
import { describe, expect, it } from 'vitest';
import { collectStream, createScriptedChatModel, httpErrors, streamedText } from './__fixtures__/scripted-models.js';
import { createManualClock } from './clock.js';
import { createFallbackChatModel, type FallbackStepInfo } from './fallback-chain.js';
import { CircuitOpenError, getStreamInterruption, NoEligibleStepError } from './resilience-errors.js';
import type { ResilienceEvent } from './resilience-events.js';
import { createResilienceRegistry } from './resilience-registry.js';

const PROMPT = {
  messages: [{ role: 'user' as const, content: 'Sources:\n[1] RV32I has 32 general-purpose registers.\n\nQuestion: how many registers?' }],
};

function twoMocks(): { hosted: MockChatModel; local: MockChatModel; hostedFaults: MockFaults; localFaults: MockFaults } {
  const hostedFaults = new MockFaults();
  const localFaults = new MockFaults();
  return {
    hosted: createMockChatModel({ backend: 'hf-inference-providers', modelId: 'openai/gpt-oss-20b', faults: hostedFaults, reply: () => 'Hosted says RV32I has 32 registers [1].' }),
    local: createMockChatModel({ backend: 'ollama', modelId: 'llama3.2:3b', faults: localFaults, reply: () => 'Local says there are 32 registers [1].' }),
    hostedFaults,
    localFaults,
  };
}

describe('createFallbackChatModel: generate', () => {
  it('moves to the next step when a step fails, and says which step served', async () => {
    const { hosted, local, hostedFaults } = twoMocks();
    const events: ResilienceEvent[] = [];
    const chain = createFallbackChatModel([hosted, local], { retry: false, onEvent: (e) => events.push(e) });
    hostedFaults.inject('server-error');
    const result = await chain.generate(PROMPT);
    expect(result.text).toBe('Local says there are 32 registers [1].');
    expect(result.usage).toMatchObject({ fallbackStep: 1, backend: 'ollama', modelId: 'llama3.2:3b' });
    expect(events.map((e) => `${e.type}:${'step' in e ? e.step : ''}`)).toEqual(['step-failed:0', 'step-served:1']);
    expect(chain).toMatchObject({ backend: 'hf-inference-providers', modelId: 'openai/gpt-oss-20b' });
  });

  it('reports step 0 when the first choice serves', async () => {
    const { hosted, local } = twoMocks();
    const result = await createFallbackChatModel([hosted, local]).generate(PROMPT);
    expect(result.usage.fallbackStep).toBe(0);
    expect(local.calls).toHaveLength(0);
  });

  it('retries a step before falling back, honouring its settings', async () => {
    const clock = createManualClock({ start: 0 });
    const flaky = createScriptedChatModel({ clock, backend: 'hf', script: [{ kind: 'fail', error: () => httpErrors.rateLimit('hf', 1) }, { kind: 'ok' }] });
    const backup = createScriptedChatModel({ clock, backend: 'ollama', script: [{ kind: 'ok' }] });
    const chain = createFallbackChatModel([flaky, backup], { clock, retry: { maxAttempts: 2 } });
    const result = await clock.run(chain.generate(PROMPT));
    expect(result.usage.fallbackStep).toBe(0);
    expect(clock.now()).toBeGreaterThanOrEqual(1_000); // Retry-After: 1
    expect(backup.log.calls).toBe(0);
  });

  it('falls back at once when the server asks for a longer wait than maxRetryAfterMs', async () => {
    const { hosted, local, hostedFaults } = twoMocks();
    const clock = createManualClock({ start: 0 });
    const chain = createFallbackChatModel([hosted, local], { clock, retry: { maxRetryAfterMs: 5_000 } });
    hostedFaults.inject('rate-limit-retry-after'); // Retry-After: 7
    const result = await clock.run(chain.generate(PROMPT));
    expect(result.usage.fallbackStep).toBe(1);
    expect(clock.now()).toBe(0);
    expect(hosted.calls).toHaveLength(1);
  });

  it('never falls back on BadInputError: the next model would get the same bad input', async () => {
    const { hosted, local, hostedFaults } = twoMocks();
    hostedFaults.inject('bad-input');
    const error = await createFallbackChatModel([hosted, local]).generate(PROMPT).catch((e: unknown) => e);
    expect(BadInputError.isInstance(error)).toBe(true);
    expect(local.calls).toHaveLength(0);
  });

  it('falls back when a step cannot serve the request (UnsupportedRequestError, e.g. a model without a chat template)', async () => {
    const { hosted, local, hostedFaults } = twoMocks();
    hostedFaults.inject('unsupported');
    const result = await createFallbackChatModel([hosted, local]).generate(PROMPT);
    expect(result.text).toContain('Local says');
    expect(result.usage.fallbackStep).toBe(1);
    const error = await hosted.generate(PROMPT).catch((e: unknown) => e);
    expect(UnsupportedRequestError.isInstance(error)).toBe(true);
    expect(hosted.calls).toHaveLength(2);
  });

  it("never falls back when the caller aborts", async () => {
    const clock = createManualClock({ start: 0 });
    const slow = createScriptedChatModel({ clock, script: [{ kind: 'hang' }] });
    const backup = createScriptedChatModel({ clock, script: [{ kind: 'ok' }] });
    const controller = new AbortController();
    const pending = createFallbackChatModel([slow, backup], { clock }).generate({ ...PROMPT, abortSignal: controller.signal });
    await clock.advance(50);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(backup.log.calls).toBe(0);
  });

  it('moves on when a budget refuses a step (BudgetExceededError)', async () => {
    const clock = createManualClock();
    const metered = createScriptedChatModel({ clock, backend: 'hf', script: [{ kind: 'fail', error: () => new BudgetExceededError({ backend: 'hf' }) }] });
    const local = createScriptedChatModel({ clock, backend: 'ollama', script: [{ kind: 'ok' }] });
    const result = await clock.run(createFallbackChatModel([metered, local], { clock }).generate(PROMPT));
    expect(result.usage.fallbackStep).toBe(1);
  });

  it('throws the last failure when every step fails', async () => {
    const { hosted, local, hostedFaults, localFaults } = twoMocks();
    hostedFaults.inject('rate-limit');
    localFaults.inject('unreachable');
    const error = await createFallbackChatModel([hosted, local], { retry: false }).generate(PROMPT).catch((e: unknown) => e);
    expect(BackendUnreachableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('llama3.2:3b');
  });

  it('a timeout moves the call to the next step', async () => {
    const clock = createManualClock({ start: 0 });
    const hanging = createScriptedChatModel({ clock, backend: 'hf', script: [{ kind: 'hang' }] });
    const backup = createScriptedChatModel({ clock, backend: 'ollama', script: [{ kind: 'ok', latencyMs: 300 }] });
    const chain = createFallbackChatModel([hanging, backup], { clock, timeoutMs: 2_000, retry: false });
    const result = await clock.run(chain.generate(PROMPT));
    expect(result.usage.fallbackStep).toBe(1);
    expect(clock.now()).toBe(2_300);
  });
});

describe('createFallbackChatModel: circuit breakers', () => {
  it('opens on a failing step, then skips it without calling it; half-opens and closes once it recovers', async () => {
    const clock = createManualClock({ start: 0 });
    const { hosted, local, hostedFaults } = twoMocks();
    const registry = createResilienceRegistry({ clock, breaker: { minimumCalls: 3, openMs: 30_000 } });
    const events: ResilienceEvent[] = [];
    const chain = createFallbackChatModel([hosted, local], { registry, retry: false, onEvent: (e) => events.push(e) });
    hostedFaults.inject('server-error');
    for (let i = 0; i < 3; i++) expect((await chain.generate(PROMPT)).usage.fallbackStep).toBe(1);
    const breaker = registry.breaker('hf-inference-providers:openai/gpt-oss-20b');
    expect(breaker.state).toBe('open');

    // Open: the hosted model is not called at all.
    events.length = 0;
    hostedFaults.clear();
    expect((await chain.generate(PROMPT)).usage.fallbackStep).toBe(1);
    expect(hosted.calls).toHaveLength(3);
    expect(events[0]).toMatchObject({ type: 'step-skipped', step: 0, reason: 'circuit-open' });

    await clock.advance(30_000);
    expect(breaker.state).toBe('half-open');
    expect((await chain.generate(PROMPT)).usage.fallbackStep).toBe(0); // the trial call
    expect(breaker.state).toBe('closed');
    expect(hosted.calls).toHaveLength(4);
  });

  it('throws CircuitOpenError when every step is open and none was tried', async () => {
    const clock = createManualClock();
    const { hosted, hostedFaults } = twoMocks();
    const chain = createFallbackChatModel([hosted], { clock, retry: false, registry: createResilienceRegistry({ clock, breaker: { minimumCalls: 1 } }) });
    hostedFaults.inject('server-error');
    await expect(chain.generate(PROMPT)).rejects.toSatisfy(ServerError.isInstance.bind(ServerError));
    await expect(chain.generate(PROMPT)).rejects.toSatisfy(CircuitOpenError.isInstance.bind(CircuitOpenError));
  });

  it('shares breakers between chains of one registry, and keeps two servers of one model apart', async () => {
    const clock = createManualClock();
    const registry = createResilienceRegistry({ clock, breaker: { minimumCalls: 1 } });
    const faultsA = new MockFaults();
    const serverA = createMockChatModel({ backend: 'hf-tei', modelId: 'm', faults: faultsA });
    const serverB = createMockChatModel({ backend: 'hf-tei', modelId: 'm' });
    const first = createFallbackChatModel([serverA, serverB], { registry, retry: false });
    faultsA.inject('server-error');
    expect((await first.generate(PROMPT)).usage.fallbackStep).toBe(1);
    expect(registry.snapshot().breakers.map((b) => `${b.key}=${b.state}`)).toEqual(['hf-tei:m=open', 'hf-tei:m#2=closed']);

    const second = createFallbackChatModel([serverA], { registry, retry: false });
    await expect(second.generate(PROMPT)).rejects.toSatisfy(CircuitOpenError.isInstance.bind(CircuitOpenError));
  });
});

describe('createFallbackChatModel: stepFilter (budget downgrades)', () => {
  it('skips steps the filter rejects, at each call', async () => {
    const { hosted, local } = twoMocks();
    let localOnly = false;
    const seen: FallbackStepInfo[] = [];
    const chain = createFallbackChatModel([hosted, local], {
      stepFilter: (step) => {
        seen.push(step);
        return !localOnly || step.local;
      },
    });
    expect((await chain.generate(PROMPT)).usage.fallbackStep).toBe(0);
    localOnly = true;
    expect((await chain.generate(PROMPT)).usage.fallbackStep).toBe(1);
    expect(hosted.calls).toHaveLength(1);
    expect(seen.at(-2)).toEqual({ index: 0, backend: 'hf-inference-providers', modelId: 'openai/gpt-oss-20b', local: false, key: 'hf-inference-providers:openai/gpt-oss-20b' });
    expect(seen.at(-1)).toMatchObject({ index: 1, backend: 'ollama', local: true });
  });

  it('takes a declared local flag over the backend default', async () => {
    const { hosted, local } = twoMocks();
    const chain = createFallbackChatModel([{ model: hosted, local: true }, { model: local, local: false }], { stepFilter: (s) => s.local });
    expect((await chain.generate(PROMPT)).usage.fallbackStep).toBe(0);
  });

  it('fails clearly when the filter excludes every step', async () => {
    const { hosted } = twoMocks();
    const error = await createFallbackChatModel([hosted], { stepFilter: (s) => s.local }).generate(PROMPT).catch((e: unknown) => e);
    expect(NoEligibleStepError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('stepFilter excluded all 1 step(s) of the chat chain (hf-inference-providers:openai/gpt-oss-20b)');
  });
});

describe('createFallbackChatModel: streams', () => {
  it('falls back invisibly when a stream fails before its first delta', async () => {
    const { hosted, local, hostedFaults } = twoMocks();
    const chain = createFallbackChatModel([hosted, local], { retry: false });
    hostedFaults.inject('server-error');
    const { parts, error } = await collectStream(chain.stream(PROMPT));
    expect(error).toBeUndefined();
    const alone = await collectStream(local.stream(PROMPT));
    expect(streamedText(parts)).toBe(streamedText(alone.parts));
    expect(parts.filter((p) => p.type === 'finish')).toHaveLength(1);
    const finish = parts.at(-1) as Extract<ChatStreamPart, { type: 'finish' }>;
    expect(finish.usage).toMatchObject({ fallbackStep: 1, backend: 'ollama', streamed: true });
  });

  it('does not splice a second model in when a stream fails after its first delta', async () => {
    const { hosted, local, hostedFaults } = twoMocks();
    const events: ResilienceEvent[] = [];
    const chain = createFallbackChatModel([hosted, local], { retry: false, onEvent: (e) => events.push(e) });
    hostedFaults.inject('drop-mid-stream'); // two deltas, then the connection breaks
    const { parts, error } = await collectStream(chain.stream(PROMPT));
    expect(BackendUnreachableError.isInstance(error)).toBe(true);
    expect(streamedText(parts)).toBe('Hosted says ');
    expect('Hosted says RV32I has 32 registers [1].'.startsWith(streamedText(parts))).toBe(true);
    expect(parts.some((p) => p.type === 'finish')).toBe(false);
    expect(local.calls).toHaveLength(0);
    expect(getStreamInterruption(error)).toEqual({
      step: 0,
      backend: 'hf-inference-providers',
      modelId: 'openai/gpt-oss-20b',
      deliveredDeltas: 2,
      deliveredChars: 'Hosted says '.length,
    });
    expect(events.map((e) => e.type)).toEqual(['step-served', 'stream-interrupted']);
  });

  it('still falls back when only empty deltas came before the failure', async () => {
    const clock = createManualClock();
    const flaky = createScriptedChatModel({ clock, deltas: ['', '', 'never'], script: [{ kind: 'fail-after-deltas', deltas: 2, error: () => httpErrors.unreachable('s') }] });
    const backup = createScriptedChatModel({ clock, modelId: 'backup', script: [{ kind: 'ok' }] });
    const { parts, error } = await clock.run(collectStream(createFallbackChatModel([flaky, backup], { clock, retry: false }).stream(PROMPT)));
    expect(error).toBeUndefined();
    expect(streamedText(parts)).toBe('Hello from backup');
  });

  it('falls back when the first step gives no stream part within the timeout', async () => {
    const clock = createManualClock({ start: 0 });
    const stuck = createScriptedChatModel({ clock, script: [{ kind: 'hang' }] });
    const backup = createScriptedChatModel({ clock, modelId: 'backup', script: [{ kind: 'ok' }] });
    const chain = createFallbackChatModel([stuck, backup], { clock, timeoutMs: 1_500, retry: false });
    const { parts } = await clock.run(collectStream(chain.stream(PROMPT)));
    expect(streamedText(parts)).toBe('Hello from backup');
    expect(stuck.log.signals[0]?.aborted).toBe(true);
  });

  it('releases the served step when the consumer stops early', async () => {
    const clock = createManualClock();
    const registry = createResilienceRegistry({ clock, concurrency: { scripted: 1 } });
    const model = createScriptedChatModel({ clock, script: [{ kind: 'ok' }] });
    const chain = createFallbackChatModel([model], { registry, clock });
    await clock.run(
      (async () => {
        for await (const part of chain.stream(PROMPT)) {
          expect(part).toEqual({ type: 'text-delta', delta: 'Hello' });
          break;
        }
      })(),
    );
    expect(registry.snapshot().limiters).toEqual([{ key: 'scripted', maxConcurrent: 1, active: 0, queued: 0 }]);
    expect(registry.snapshot().breakers[0]).toMatchObject({ state: 'closed', calls: 1, failures: 0 });
  });
});

describe('createFallbackChatModel: construction', () => {
  it('refuses an empty chain and a step that is not a chat model', () => {
    expect(() => createFallbackChatModel([])).toThrow(/at least one step/);
    expect(() => createFallbackChatModel([{ model: { specificationVersion: 'v1', backend: 'x', modelId: 'y' } as never }])).toThrow(/has no generate\(\) method/);
    expect(() => createFallbackChatModel([createMockChatModel()], { timeoutMs: -1 })).toThrow(/timeoutMs/);
  });
});

// A chain keeps the ChatModel contract. Both steps share one fault harness (and the same names),
// so an injected fault reaches the caller from whichever step served last.
const secret = 'hf_fallbackChainSecret123456';
registerSecret(secret);
const chainFaults = new MockFaults();
let mocks: MockChatModel[] = [];
describeChatModelConformance('createFallbackChatModel of two in-memory models', {
  create: () =>
    createFallbackChatModel(
      (mocks = [createMockChatModel({ faults: chainFaults }), createMockChatModel({ faults: chainFaults })]),
      { retry: { initialDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 100 }, timeoutMs: 10_000 },
    ),
  faults: chainFaults,
  quotesContext: true,
  secret,
  receivedTexts: () => mocks.flatMap((m) => (m.calls.at(-1) ?? []).map((message) => message.content)),
});
