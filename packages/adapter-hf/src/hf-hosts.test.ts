import { fetchToFake, startFakeHf } from '@ragbridge/testkit';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createHfChatModel, createHfEmbedder, createHfReranker } from './index.js';

// Mirrors and private gateways: the Hub from HF_ENDPOINT or `hubUrl`, the router from `routerUrl`.
// A fake at 127.0.0.1 stands for a host that is not Hugging Face's, so tokens must be kept from it
// unless given for it.

const TOKEN = 'hf_hostsTestToken12345678901';
const GATEWAY_KEY = 'gateway-key-not-an-hf-token';
const gateway = await startFakeHf();
afterAll(() => gateway.close());
afterEach(() => {
  gateway.clearRequests();
  vi.unstubAllEnvs();
});

const messages = [{ role: 'user' as const, content: 'Sources:\n[1] RV32I has 32 registers.\n\nQuestion: how many?' }];
const authorizations = (route: string) => gateway.requestsTo(route).map((r) => r.headers.authorization);

describe('routerUrl', () => {
  it('chat goes to {routerUrl}/v1/chat/completions with the model as configured, and a key given for it', async () => {
    const chat = createHfChatModel({ model: 'meta-llama/Llama-3.1-8B-Instruct:together', routerUrl: `${gateway.url}/`, token: GATEWAY_KEY });
    expect((await chat.generate({ messages })).text).toContain('[1]');
    const [request] = gateway.requestsTo('router.chat');
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.json).toMatchObject({ model: 'meta-llama/Llama-3.1-8B-Instruct:together' });
    expect(request?.headers.authorization).toBe(`Bearer ${GATEWAY_KEY}`);
  });

  it('HF_TOKEN is never sent to a router that is not Hugging Face’s, and none is needed there', async () => {
    vi.stubEnv('HF_TOKEN', TOKEN);
    await createHfChatModel({ model: 'Qwen/Qwen2.5-7B-Instruct', routerUrl: gateway.url }).generate({ messages });
    for await (const _part of createHfChatModel({ model: 'Qwen/Qwen2.5-7B-Instruct', routerUrl: gateway.url }).stream({ messages })) {
      // consume
    }
    expect(authorizations('router.chat')).toEqual([undefined, undefined]);
    await createHfEmbedder({ routerUrl: gateway.url, hubUrl: gateway.url }).embed({ texts: ['a'] });
    await createHfReranker({ routerUrl: gateway.url, hubUrl: gateway.url }).rerank({ query: 'q', texts: ['a'] });
    expect([...authorizations('hf-inference.pipeline'), ...authorizations('hf-inference.classification')]).toEqual([undefined, undefined]);
  });

  it('an explicit provider goes through the gateway’s provider route and the hubUrl’s model lookup, which never gets a token', async () => {
    // An hf_ token given for the gateway (a key of another form would go to the provider's own API, as the client does).
    const chat = createHfChatModel({ model: 'Qwen/Qwen2.5-7B-Instruct', provider: 'together', routerUrl: gateway.url, hubUrl: gateway.url, token: TOKEN });
    await chat.generate({ messages });
    expect(gateway.requestsTo('hub.model-info').map((r) => [r.path, r.headers.authorization])).toEqual([['/api/models/Qwen/Qwen2.5-7B-Instruct', undefined]]);
    expect(gateway.requestsTo('router.provider-chat').map((r) => [r.path, r.headers.authorization])).toEqual([['/together/v1/chat/completions', `Bearer ${TOKEN}`]]);
  });

  it('rejects endpointUrl together with routerUrl', () => {
    expect(() => createHfChatModel({ endpointUrl: gateway.url, routerUrl: gateway.url })).toThrow(/exclude each other/);
  });
});

describe('HF_ENDPOINT', () => {
  it('is read at call time for the Hub lookup; the mirror gets no token while Hugging Face’s router keeps it', async () => {
    vi.stubEnv('HF_TOKEN', TOKEN);
    const embedder = createHfEmbedder({ model: 'sentence-transformers/all-MiniLM-L6-v2', fetch: fetchToFake(gateway.url) });
    vi.stubEnv('HF_ENDPOINT', `${gateway.url}/`);
    const log: string[] = [];
    const spy: typeof fetch = (input, init) => {
      log.push(String(input));
      return fetchToFake(gateway.url)(input, init);
    };
    await createHfEmbedder({ model: 'sentence-transformers/all-MiniLM-L6-v2', fetch: spy }).embed({ texts: ['a'] });
    expect(log).toEqual([
      `${gateway.url}/api/models/sentence-transformers/all-MiniLM-L6-v2?expand[]=inferenceProviderMapping`,
      'https://router.huggingface.co/hf-inference/models/sentence-transformers/all-MiniLM-L6-v2/pipeline/feature-extraction',
    ]);
    expect(authorizations('hub.model-info')).toEqual([undefined]);
    expect(authorizations('hf-inference.pipeline')).toEqual([`Bearer ${TOKEN}`]);
    expect((await embedder.embed({ texts: ['b'] })).embeddings).toHaveLength(1);
  });
});
