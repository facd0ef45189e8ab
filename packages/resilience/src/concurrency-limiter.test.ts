import { describe, expect, it } from 'vitest';
import { collectStream, createScriptedChatModel } from './__fixtures__/scripted-models.js';
import { createManualClock } from './clock.js';
import { createConcurrencyLimiter } from './concurrency-limiter.js';
import { ConcurrencyLimitError } from './resilience-errors.js';
import { withConcurrencyLimit } from './resilient-model.js';

const PROMPT = { messages: [{ role: 'user' as const, content: 'hi' }] };

describe('createConcurrencyLimiter', () => {
  it('admits maxConcurrent calls and queues the rest first come, first served', async () => {
    const limiter = createConcurrencyLimiter({ maxConcurrent: 2 });
    const order: string[] = [];
    const a = await limiter.acquire();
    await limiter.acquire();
    const c = limiter.acquire().then((release) => (order.push('c'), release));
    const d = limiter.acquire().then((release) => (order.push('d'), release));
    expect(limiter.snapshot()).toMatchObject({ active: 2, queued: 2 });
    a();
    a(); // a second release of the same slot is ignored
    await c;
    expect(order).toEqual(['c']);
    expect(limiter.snapshot()).toMatchObject({ active: 2, queued: 1 });
    (await c)();
    await d;
    expect(order).toEqual(['c', 'd']);
  });

  it('rejects when the queue is full', async () => {
    const limiter = createConcurrencyLimiter({ maxConcurrent: 1, maxQueued: 1, key: 'ollama' });
    await limiter.acquire();
    void limiter.acquire();
    const error = await limiter.acquire(undefined, { backend: 'ollama', modelId: 'llama3.2:3b' }).catch((e: unknown) => e);
    expect(ConcurrencyLimitError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('llama3.2:3b');
  });

  it('removes a waiting call whose signal aborts', async () => {
    const limiter = createConcurrencyLimiter({ maxConcurrent: 1 });
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(limiter.snapshot().queued).toBe(0);
  });
});

describe('withConcurrencyLimit', () => {
  it('runs calls of a limited backend one after another and holds the slot for a whole stream', async () => {
    const clock = createManualClock({ start: 0 });
    const model = createScriptedChatModel({ clock, script: [{ kind: 'ok', latencyMs: 1_000 }], deltaMs: 100 });
    const limited = withConcurrencyLimit(model, { maxConcurrent: 1 });
    const finished: number[] = [];
    const streamDone = collectStream(limited.stream(PROMPT)).then(() => finished.push(clock.now()));
    const generateDone = limited.generate(PROMPT).then(() => finished.push(clock.now()));
    await clock.run(Promise.all([streamDone, generateDone]));
    // The stream takes 1000 ms + 2 gaps of 100 ms; the generate call starts only after it.
    expect(finished).toEqual([1_200, 2_200]);
    expect(model.log.calls).toBe(2);
  });
});
