import { resolveConfig } from '@ragbridge/config-profiles';
import { startFakeOllama, type FakeServer } from '@ragbridge/testkit';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOfflineApp, type OfflineApp } from './__fixtures__/offline-app.js';

const ALICE = 'alice-key-0123456789abcdef';
const BOB = 'bob-key-0123456789abcdefgh';
const SHARED = 'shared-key-0123456789abcd';
const QUESTION = { messages: [{ role: 'user', content: 'What raises a machine software interrupt?' }] };

describe('API keys of the OpenAI-compatible endpoint: one per client, each with its own budgets and answer limit', () => {
  let ollama: FakeServer;
  let demo: OfflineApp;
  let app: Hono;

  beforeAll(async () => {
    ollama = await startFakeOllama();
    // Answers from (the fake) Ollama; keyword retrieval, no reranker: the answer is the only model call.
    const config = await resolveConfig({
      profile: 'local',
      env: {},
      overrides: {
        models: { answer: { chain: [{ backend: 'ollama', model: 'llama3.2:3b', endpoint: ollama.url }] }, reranker: { chain: [] } },
        retrieval: { mode: 'keyword' },
        server: {
          apiKey: SHARED,
          clients: [
            { id: 'alice', apiKey: ALICE, maxOutputTokens: 32 },
            { id: 'bob', apiKey: BOB },
          ],
        },
        // Local answers cost $0, so alice's budget is in tokens: one answer spends it.
        budgets: { limits: [{ window: 'day', limitTokens: 50, caller: 'alice', mode: 'block' }] },
      },
    });
    demo = await startOfflineApp({ documents: { 'interrupts.md': '# Software interrupts\n\nThe msip register raises a machine software interrupt on a hart.\n' }, config });
    app = demo.build();
  });
  afterAll(async () => {
    await demo.close();
    await ollama.close();
  });

  const ask = (key: string | undefined, body: Record<string, unknown> = QUESTION) =>
    app.request('/v1/chat/completions', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(key && { authorization: `Bearer ${key}` }) } });

  it('refuses requests without one of the keys', async () => {
    expect((await ask(undefined)).status).toBe(401);
    const wrong = await ask('not-a-key-of-anyone-here');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
    expect((await app.request('/v1/models', { headers: { authorization: `Bearer ${BOB}` } })).status).toBe(200);
    // The keys are secrets: the public profile shows the clients' ids at most.
    const profile = await (await app.request('/api/profile')).text();
    for (const key of [ALICE, BOB, SHARED]) expect(profile).not.toContain(key);
  });

  it("records each client's calls under its id, caps its answers, then refuses it once its budget is spent while others go on", async () => {
    const first = await ask(ALICE, { ...QUESTION, max_tokens: 500 });
    expect(first.status).toBe(200);
    expect(((await first.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content).toMatch(/msip/);
    // The client's limit (32) is lower than the request's (500): 32 went to Ollama.
    expect((ollama.requestsTo('ollama.chat').at(-1)?.json as { options?: { num_predict?: number } }).options?.num_predict).toBe(32);
    const [chat] = await demo.runtime.monitor.ledger.query({ operation: 'chat', caller: 'alice' });
    expect(chat).toMatchObject({ backend: 'ollama', status: 'ok' });
    expect(demo.runtime.monitor.budgets()).toEqual([expect.objectContaining({ id: 'day@alice', caller: 'alice', unit: 'tokens', exhausted: true })]);

    const refused = await ask(ALICE);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: 'insufficient_quota', message: expect.stringMatching(/^the daily budget of this API key is spent; it resets at \d{4}-/) } });

    // Bob has no budget of his own, and the request's max_tokens is his limit.
    const bob = await ask(BOB, { ...QUESTION, max_completion_tokens: 20 });
    expect(bob.status).toBe(200);
    expect((ollama.requestsTo('ollama.chat').at(-1)?.json as { options?: { num_predict?: number } }).options?.num_predict).toBe(20);
    expect(await demo.runtime.monitor.ledger.query({ operation: 'chat', caller: 'bob' })).toHaveLength(1);

    // The shared key still answers, attributed to no client, within the profile's own limit (local: 384 tokens).
    expect((await ask(SHARED)).status).toBe(200);
    expect((ollama.requestsTo('ollama.chat').at(-1)?.json as { options?: { num_predict?: number } }).options?.num_predict).toBe(384);
    expect((await demo.runtime.monitor.ledger.query({ operation: 'chat' })).filter((r) => r.caller === undefined)).toHaveLength(1);
  });
});
