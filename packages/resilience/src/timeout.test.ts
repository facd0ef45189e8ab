import { RequestTimeoutError, type ChatModelV1 } from '@ragbridge/core-interfaces';
import { describe, expect, it } from 'vitest';
import { collectStream, createScriptedChatModel, createScriptedEmbedder, streamedText } from './__fixtures__/scripted-models.js';
import { createManualClock } from './clock.js';
import { withTimeout } from './timeout.js';

const PROMPT = { messages: [{ role: 'user' as const, content: 'hi' }] };

describe('withTimeout', () => {
  it('fails a hanging call with a retryable RequestTimeoutError and aborts the backend call', async () => {
    const clock = createManualClock({ start: 0 });
    const model = createScriptedChatModel({ clock, script: [{ kind: 'hang' }], backend: 'ollama', modelId: 'llama3.2:3b' });
    const error = await clock.run(withTimeout(model, { timeoutMs: 5_000, clock }).generate(PROMPT).catch((e: unknown) => e));
    expect(RequestTimeoutError.isInstance(error)).toBe(true);
    expect((error as RequestTimeoutError).isRetryable).toBe(true);
    expect((error as Error).message).toMatch(/No response within 5000 ms \[ollama model "llama3.2:3b"\]/);
    expect(clock.now()).toBe(5_000);
    expect(model.log.signals[0]?.aborted).toBe(true);
  });

  it('ends the call even when the backend ignores its abort signal', async () => {
    const clock = createManualClock({ start: 0 });
    const embedder = createScriptedEmbedder({ clock, script: [{ kind: 'deaf' }] });
    const error = await clock.run(withTimeout(embedder, { timeoutMs: 1_000, clock }).embed({ texts: ['a'] }).catch((e: unknown) => e));
    expect(RequestTimeoutError.isInstance(error)).toBe(true);
    expect(clock.now()).toBe(1_000);
  });

  it('lets calls that finish in time through, and leaves no timer behind', async () => {
    const clock = createManualClock({ start: 0 });
    const model = createScriptedChatModel({ clock, script: [{ kind: 'ok', latencyMs: 900 }] });
    const result = await clock.run(withTimeout(model, { timeoutMs: 1_000, clock }).generate(PROMPT));
    expect(result.text).toBe('Hello from scripted-chat');
    expect(clock.pendingTimers()).toEqual([]);
  });

  it('bounds the wait for the first stream part and then each gap between parts', async () => {
    const clock = createManualClock({ start: 0 });
    const slowStart = createScriptedChatModel({ clock, script: [{ kind: 'ok', latencyMs: 3_000 }] });
    const first = await clock.run(collectStream(withTimeout(slowStart, { timeoutMs: 2_000, clock }).stream(PROMPT)));
    expect(RequestTimeoutError.isInstance(first.error)).toBe(true);
    expect(first.parts).toEqual([]);

    const clock2 = createManualClock({ start: 0 });
    const slowGaps = createScriptedChatModel({ clock: clock2, script: [{ kind: 'ok' }], deltaMs: 600 });
    const gaps = await clock2.run(collectStream(withTimeout(slowGaps, { timeoutMs: 5_000, streamIdleTimeoutMs: 500, clock: clock2 }).stream(PROMPT)));
    expect(RequestTimeoutError.isInstance(gaps.error)).toBe(true);
    expect((gaps.error as Error).message).toMatch(/No stream part within 500 ms/);
    expect(streamedText(gaps.parts)).toBe('Hello');

    const clock3 = createManualClock({ start: 0 });
    const steady = createScriptedChatModel({ clock: clock3, script: [{ kind: 'ok' }], deltaMs: 400 });
    const ok = await clock3.run(collectStream(withTimeout(steady, { timeoutMs: 1_000, streamIdleTimeoutMs: 500, clock: clock3 }).stream(PROMPT)));
    expect(ok.error).toBeUndefined();
    expect(streamedText(ok.parts)).toBe('Hello from scripted-chat');
    expect(clock3.now()).toBe(800); // longer than a gap, but no single gap exceeded 500 ms
  });

  it('bounds a whole stream by totalTimeoutMs, however steady its parts, and a one-shot call by the lesser limit', async () => {
    const clock = createManualClock({ start: 0 });
    const steady = createScriptedChatModel({ clock, script: [{ kind: 'ok' }], deltaMs: 600 });
    const cut = await clock.run(
      collectStream(withTimeout(steady, { timeoutMs: 5_000, streamIdleTimeoutMs: 700, totalTimeoutMs: 1_000, clock }).stream(PROMPT)),
    );
    expect(RequestTimeoutError.isInstance(cut.error)).toBe(true);
    expect((cut.error as Error).message).toMatch(/Not complete within 1000 ms/);
    expect(streamedText(cut.parts)).toBe('Hello from');
    expect(clock.now()).toBe(1_000);
    expect(clock.pendingTimers()).toEqual([]);

    const clock2 = createManualClock({ start: 0 });
    const hang = createScriptedChatModel({ clock: clock2, script: [{ kind: 'hang' }] });
    const error = await clock2.run(withTimeout(hang, { timeoutMs: 5_000, totalTimeoutMs: 1_500, clock: clock2 }).generate(PROMPT).catch((e: unknown) => e));
    expect((error as Error).message).toMatch(/Not complete within 1500 ms/);
    expect(clock2.now()).toBe(1_500);

    const clock3 = createManualClock({ start: 0 });
    const quick = createScriptedChatModel({ clock: clock3, script: [{ kind: 'ok' }], deltaMs: 300 });
    const whole = await clock3.run(collectStream(withTimeout(quick, { timeoutMs: 5_000, totalTimeoutMs: 1_000, clock: clock3 }).stream(PROMPT)));
    expect(whole.error).toBeUndefined();
    expect(streamedText(whole.parts)).toBe('Hello from scripted-chat');
  });

  it('closes a stream that opens only after its timeout (a backend that ignored the abort)', async () => {
    const clock = createManualClock({ start: 0 });
    let closed = false;
    const late: ChatModelV1 = {
      specificationVersion: 'v1',
      backend: 'deaf',
      modelId: 'late',
      generate: () => Promise.reject(new Error('unused')),
      async *stream() {
        try {
          await clock.sleep(5_000); // ignores the abort signal
          yield { type: 'text-delta', delta: 'too late' };
        } finally {
          closed = true;
        }
      },
    };
    const result = await clock.run(collectStream(withTimeout(late, { timeoutMs: 1_000, clock }).stream(PROMPT)));
    expect(RequestTimeoutError.isInstance(result.error)).toBe(true);
    expect(closed).toBe(false);
    await clock.advance(4_000);
    expect(closed).toBe(true);
  });

  it("reports the caller's abort as an AbortError, not a timeout", async () => {
    const clock = createManualClock({ start: 0 });
    const model = createScriptedChatModel({ clock, script: [{ kind: 'hang' }] });
    const controller = new AbortController();
    const pending = withTimeout(model, { timeoutMs: 5_000, clock }).generate({ ...PROMPT, abortSignal: controller.signal });
    await clock.advance(100);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});
