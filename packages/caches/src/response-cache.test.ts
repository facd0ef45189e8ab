import type { ChatCallOptions, ChatStreamPart, UsageEvent } from '@ragbridge/core-interfaces';
import { createMockChatModel, describeChatModelConformance, MockFaults, type MockChatModel } from '@ragbridge/core-interfaces/testing';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from './__fixtures__/manual-clock.js';
import { createMemoryResponseStore, createResponseCache, openSqliteResponseStore } from './response-cache.js';

const PROMPT: ChatCallOptions = {
  messages: [
    { role: 'system', content: 'Answer from the sources.' },
    { role: 'user', content: 'Sources:\n[1] RV32I has 32 registers.\n\nQuestion: how many registers?' },
  ],
  maxTokens: 64,
  temperature: 0,
};

async function collect(stream: AsyncIterable<ChatStreamPart>): Promise<ChatStreamPart[]> {
  const parts: ChatStreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

describe('createResponseCache', () => {
  it('answers the same model, prompt and parameters from the cache with a cache-hit usage event', async () => {
    const inner = createMockChatModel();
    const hits: UsageEvent[] = [];
    const cached = createResponseCache(inner, { onHit: (u) => hits.push(u) });
    const first = await cached.generate(PROMPT);
    const second = await cached.generate(PROMPT);
    expect(inner.calls).toHaveLength(1);
    expect(second.text).toBe(first.text);
    expect(second.finishReason).toBe(first.finishReason);
    expect(second.usage).toMatchObject({ cacheHit: true, costUsd: 0, inputTokens: 0, outputTokens: 0, backend: 'mock', modelId: 'mock-chat', operation: 'chat', streamed: false });
    expect(hits).toEqual([second.usage]);
    expect(cached.stats()).toEqual({ hits: 1, misses: 1, hitRate: 0.5 });
  });

  it('misses when any message or parameter differs', async () => {
    const inner = createMockChatModel();
    const cached = createResponseCache(inner);
    await cached.generate(PROMPT);
    await cached.generate({ ...PROMPT, temperature: 0.7 });
    await cached.generate({ ...PROMPT, maxTokens: 65 });
    await cached.generate({ ...PROMPT, stop: ['\n'] });
    await cached.generate({ ...PROMPT, seed: 1 });
    await cached.generate({ ...PROMPT, messages: [...PROMPT.messages.slice(0, 1), { role: 'user', content: 'Question: how many registers? ' }] });
    await cached.generate({ ...PROMPT, messages: PROMPT.messages.map((m) => ({ ...m, role: 'user' as const })) });
    expect(inner.calls).toHaveLength(7);
    const other = createResponseCache(createMockChatModel({ modelId: 'other-model' }), { store: createMemoryResponseStore() });
    expect((await other.generate(PROMPT)).usage.cacheHit).toBe(false);
  });

  it('expires entries after the TTL of the injected clock', async () => {
    const clock = new ManualClock();
    const inner = createMockChatModel();
    const cached = createResponseCache(inner, { ttlMs: 60_000, clock });
    await cached.generate(PROMPT);
    clock.advance(59_999);
    expect((await cached.generate(PROMPT)).usage.cacheHit).toBe(true);
    clock.advance(1);
    expect((await cached.generate(PROMPT)).usage.cacheHit).toBe(false);
    expect(inner.calls).toHaveLength(2);
  });

  it('caches a finished stream and replays it; an unfinished stream is not cached', async () => {
    const inner = createMockChatModel();
    const cached = createResponseCache(inner);
    for await (const _ of cached.stream(PROMPT)) break;
    const streamed = await collect(cached.stream(PROMPT));
    const text = streamed.map((p) => (p.type === 'text-delta' ? p.delta : '')).join('');
    expect(inner.calls).toHaveLength(2);

    const replay = await collect(cached.stream(PROMPT));
    expect(inner.calls).toHaveLength(2);
    expect(replay).toHaveLength(2);
    expect(replay[0]).toEqual({ type: 'text-delta', delta: text });
    expect(replay[1]).toMatchObject({ type: 'finish', finishReason: 'stop', usage: { cacheHit: true, streamed: true, costUsd: 0 } });
    // And generate is served from the stream's entry.
    expect((await cached.generate(PROMPT)).text).toBe(text);
  });

  it('persists in SQLite', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rb-respcache-')), 'responses.db');
    const store = openSqliteResponseStore({ path });
    const first = await createResponseCache(createMockChatModel(), { store }).generate(PROMPT);
    store.close();
    const inner = createMockChatModel();
    const reopened = openSqliteResponseStore({ path });
    const again = await createResponseCache(inner, { store: reopened }).generate(PROMPT);
    expect(inner.calls).toHaveLength(0);
    expect(again.text).toBe(first.text);
    reopened.close();
  });
});

// The cache keeps every promise of the ChatModel contract (a fresh cache per check).
const faults = new MockFaults();
let mock: MockChatModel | undefined;
describeChatModelConformance('response cache over the in-memory chat model', {
  create: () => createResponseCache((mock = createMockChatModel({ faults }))),
  faults,
  quotesContext: true,
  receivedTexts: () => (mock?.calls.at(-1) ?? []).map((m) => m.content),
});
