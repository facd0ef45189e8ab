import { ModelLoadingError } from '@ragbridge/core-interfaces';
import { DEFAULT_FAKE_HF_MODELS, fetchToFake, startFakeHf } from '@ragbridge/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createHfChatModel, createHfEmbedder, createHfReranker, type HfWarmUpEvent } from './index.js';

// Cold models on hf-inference: 503 "currently loading" with estimated_time until a request asks
// to wait for the model (x-wait-for-model: true), as the fake (and hf-inference) do.

const TOKEN = 'hf_coldModelToken1234567890';
const cold = (loadMs: number) => ({ estimatedTimeS: 30, loadMs });
const hf = await startFakeHf({
  token: TOKEN,
  models: [
    ...DEFAULT_FAKE_HF_MODELS,
    { id: 'cold/embed-wait', task: 'feature-extraction', cold: cold(30) },
    { id: 'cold/embed-warm', task: 'feature-extraction', cold: cold(150) },
    { id: 'cold/embed-fails', task: 'feature-extraction', cold: cold(0) },
    { id: 'cold/rerank-warm', task: 'text-classification', cold: cold(50) },
    { id: 'cold/chat-warm', task: 'conversational', providers: ['hf-inference'], cold: cold(50) },
  ],
});
afterAll(() => hf.close());
afterEach(() => {
  hf.clearFaults();
  hf.clearRequests();
});

const withEvents = () => {
  const events: HfWarmUpEvent[] = [];
  let settle: (event: HfWarmUpEvent) => void = () => undefined;
  const settled = new Promise<HfWarmUpEvent>((resolve) => (settle = resolve));
  const onWarmUp = (event: HfWarmUpEvent) => {
    events.push(event);
    if (event.type !== 'started') settle(event);
  };
  return { events, settled, onWarmUp };
};
const waitHeader = (route: string) => hf.requestsTo(route).map((r) => r.headers['x-wait-for-model']);

describe('waitForModel', () => {
  it('off (the default): a cold model fails at once with ModelLoadingError and its estimate', async () => {
    const error = await createHfEmbedder({ model: 'cold/embed-wait', token: TOKEN, fetch: fetchToFake(hf.url) }).embed({ texts: ['a'] }).catch((e: unknown) => e);
    expect(ModelLoadingError.isInstance(error)).toBe(true);
    expect((error as ModelLoadingError).retryAfterMs).toBe(30_000);
    expect(waitHeader('hf-inference.pipeline')).toEqual([undefined]);
  });

  it('on: the request asks to wait (x-wait-for-model: true) and is answered once the model has loaded', async () => {
    const embedder = createHfEmbedder({ model: 'cold/embed-wait', token: TOKEN, fetch: fetchToFake(hf.url), waitForModel: true });
    const { embeddings } = await embedder.embed({ texts: ['a', 'b'] });
    expect(embeddings).toHaveLength(2);
    expect(waitHeader('hf-inference.pipeline')).toEqual(['true']);
  });
});

describe('background warm-up after a cold answer', () => {
  it('the failed call returns at once; one warm-up request waits for the model; later calls are served', async () => {
    const { events, settled, onWarmUp } = withEvents();
    const embedder = createHfEmbedder({ model: 'cold/embed-warm', token: TOKEN, fetch: fetchToFake(hf.url), warmUp: true, onWarmUp });
    const first = await embedder.embed({ texts: ['a'] }).catch((e: unknown) => e);
    expect(ModelLoadingError.isInstance(first)).toBe(true);
    // The caller did not wait for the load (150 ms): the warm-up has only started.
    expect(events.map((e) => e.type)).toEqual(['started']);
    // A second cold answer while the warm-up is in flight starts no other.
    await embedder.embed({ texts: ['b'] }).catch((e: unknown) => e);
    expect((await settled).type).toBe('ready');
    expect(events.map((e) => e.type)).toEqual(['started', 'ready']);
    expect(events[0]).toMatchObject({ backend: 'hf-inference-providers', modelId: 'cold/embed-warm', endpoint: 'https://router.huggingface.co/hf-inference' });
    // The warm-up is a billed request too: its (estimated) usage comes with `ready`, for a cost monitor to record.
    expect(events[1]?.usage).toMatchObject({ operation: 'embed', modelId: 'cold/embed-warm', provider: 'hf-inference', items: 1, tokensEstimated: true });
    expect(waitHeader('hf-inference.pipeline')).toEqual([undefined, 'true', undefined]);
    const warm = hf.requestsTo('hf-inference.pipeline').find((r) => r.headers['x-wait-for-model'] === 'true');
    expect(warm?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect((await embedder.embed({ texts: ['c'] })).embeddings).toHaveLength(1);
  });

  it('a warm-up that fails is swallowed and reported to onWarmUp', async () => {
    const { settled, onWarmUp } = withEvents();
    const embedder = createHfEmbedder({ model: 'cold/embed-fails', token: TOKEN, fetch: fetchToFake(hf.url), warmUp: true, onWarmUp: (e) => {
      onWarmUp(e);
      throw new Error('a listener bug is ignored too');
    } });
    hf.fault({ route: 'hf-inference.pipeline', status: 503, body: { error: 'Model cold/embed-fails is currently loading', estimated_time: 30 }, times: 1 });
    hf.fault({ route: 'hf-inference.pipeline', status: 500, body: { error: 'Internal Server Error' }, times: 1 });
    await expect(embedder.embed({ texts: ['a'] })).rejects.toMatchObject({ name: 'ModelLoadingError' });
    const failed = await settled;
    expect(failed).toMatchObject({ type: 'failed', modelId: 'cold/embed-fails', error: { name: 'ServerError' } });
  });

  it('off (the default): no warm-up starts (a warm-up reports `started` before the failed call returns)', async () => {
    const { events, onWarmUp } = withEvents();
    await expect(createHfEmbedder({ model: 'cold/embed-fails', token: TOKEN, fetch: fetchToFake(hf.url), onWarmUp }).embed({ texts: ['a'] })).rejects.toMatchObject({
      name: 'ModelLoadingError',
    });
    expect(events).toEqual([]);
    expect(hf.requestsTo('hf-inference.pipeline')).toHaveLength(1);
  });

  it('the reranker warms its cross-encoder the same way', async () => {
    const { settled, onWarmUp } = withEvents();
    const reranker = createHfReranker({ model: 'cold/rerank-warm', token: TOKEN, fetch: fetchToFake(hf.url), warmUp: true, onWarmUp });
    await expect(reranker.rerank({ query: 'q', texts: ['a'] })).rejects.toMatchObject({ name: 'ModelLoadingError' });
    expect((await settled).type).toBe('ready');
    expect(waitHeader('hf-inference.classification')).toEqual([undefined, 'true']);
    expect((await reranker.rerank({ query: 'q', texts: ['a'] })).scores).toHaveLength(1);
  });

  it('the chat model warms a cold endpoint with a one-token request', async () => {
    const { settled, onWarmUp } = withEvents();
    const chat = createHfChatModel({ endpointUrl: `${hf.url}/hf-inference/models/cold/chat-warm`, model: 'cold/chat-warm', token: TOKEN, warmUp: true, onWarmUp });
    const messages = [{ role: 'user' as const, content: 'Sources:\n[1] RV32I has 32 registers.\n\nQuestion: how many?' }];
    await expect(chat.generate({ messages })).rejects.toMatchObject({ name: 'ModelLoadingError' });
    expect((await settled).type).toBe('ready');
    const warm = hf.requestsTo('hf-inference.chat')[1];
    expect(warm?.headers['x-wait-for-model']).toBe('true');
    expect(warm?.json).toMatchObject({ max_tokens: 1 });
    expect((await settled).usage).toMatchObject({ operation: 'chat', outputTokens: 1, tokensEstimated: true });
    expect((await chat.generate({ messages })).text).toContain('[1]');
  });
});
