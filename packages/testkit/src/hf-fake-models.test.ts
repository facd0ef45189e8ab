import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeServer } from './fake-server.js';
import { FAKE_ROUTER_PRICES, fetchToFake, startFakeHf } from './hf-fake.js';

describe("the fake router's model listing (GET /v1/models)", () => {
  let hf: FakeServer;
  beforeAll(async () => {
    hf = await startFakeHf({ token: 'hf_fake' });
  });
  afterAll(async () => {
    await hf.close();
  });

  it('lists the chat models with their providers, and the prices it knows, without a token', async () => {
    const response = await fetchToFake(hf.url)('https://router.huggingface.co/v1/models');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { object: string; data: Array<{ id: string; providers: Array<{ provider: string; status: string; pricing?: unknown }> }> };
    expect(body.object).toBe('list');
    expect(body.data.map((m) => m.id)).toEqual(['meta-llama/Llama-3.1-8B-Instruct', 'Qwen/Qwen2.5-7B-Instruct', 'openai/gpt-oss-20b']);
    const llama = body.data[0];
    expect(llama?.providers.map((p) => [p.provider, p.status, p.pricing ?? null])).toEqual([
      ['together', 'live', FAKE_ROUTER_PRICES['meta-llama/Llama-3.1-8B-Instruct']?.together],
      ['nebius', 'live', null],
      ['hf-inference', 'live', null],
    ]);
    expect(hf.requestsTo('router.models')).toHaveLength(1);
  });

  it('lists the prices it is given', async () => {
    const custom = await startFakeHf({ routerPrices: { 'openai/gpt-oss-20b': { groq: { input: 1, output: 2 } } } });
    try {
      const body = (await (await fetch(`${custom.url}/v1/models`)).json()) as { data: Array<{ id: string; providers: Array<{ provider: string; pricing?: unknown }> }> };
      expect(body.data.find((m) => m.id === 'openai/gpt-oss-20b')?.providers).toEqual([
        expect.objectContaining({ provider: 'groq', pricing: { input: 1, output: 2 } }),
        expect.not.objectContaining({ pricing: expect.anything() }),
      ]);
    } finally {
      await custom.close();
    }
  });
});
