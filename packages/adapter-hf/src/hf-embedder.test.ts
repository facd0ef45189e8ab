import { AuthenticationError, ModelNotFoundError } from '@ragbridge/core-interfaces';
import { cosine, describeEmbedderConformance, hashEmbedding } from '@ragbridge/core-interfaces/testing';
import { DEFAULT_FAKE_HF_MODELS, fakeServerFaults, fetchToFake, hfFaultPresets, startFakeHf } from '@ragbridge/testkit';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createHfEmbedder, type HfEmbedderOptions } from './index.js';

const TOKEN = 'hf_fakeEmbedToken1234567890';
const hf = await startFakeHf({
  token: TOKEN,
  models: [...DEFAULT_FAKE_HF_MODELS, { id: 'intfloat/e5-small-v2', task: 'feature-extraction', dimensions: 384 }],
});
afterAll(() => hf.close());
afterEach(() => {
  hf.clearFaults();
  hf.clearRequests();
  vi.unstubAllEnvs();
});

const embedder = (options: HfEmbedderOptions = {}) => createHfEmbedder({ token: TOKEN, fetch: fetchToFake(hf.url), ...options });

const lastInputs = (): string[] => {
  const body = hf.requestsTo('hf-inference.pipeline').at(-1)?.json as { inputs?: string[] } | undefined;
  return body?.inputs ?? [];
};

const faults = fakeServerFaults(hf, hfFaultPresets('hf-inference'), ['hf-inference.pipeline']);

describeEmbedderConformance('hf-inference feature-extraction', { create: () => embedder(), faults, secret: TOKEN, receivedTexts: lastInputs });

describeEmbedderConformance('hf-inference feature-extraction, mean pooling and e5 prefixes', {
  create: () => embedder({ model: 'intfloat/e5-small-v2', maxBatchSize: 3 }),
  faults,
  secret: TOKEN,
  receivedTexts: lastInputs,
});

describeEmbedderConformance('hf-inference feature-extraction, token-level answers pooled here', {
  create: () => embedder({ model: 'facebook/bart-base', pooling: 'mean' }),
  faults,
  secret: TOKEN,
  receivedTexts: lastInputs,
});

describe('requests sent', () => {
  it('posts a list of inputs to the hf-inference pipeline route with the token', async () => {
    const { embeddings, usage } = await embedder({ model: 'sentence-transformers/all-MiniLM-L6-v2' }).embed({ texts: ['RV32I registers', 'FDA guidance'] });
    const request = hf.requestsTo('hf-inference.pipeline')[0];
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/hf-inference/models/sentence-transformers/all-MiniLM-L6-v2/pipeline/feature-extraction');
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.json).toEqual({ inputs: ['RV32I registers', 'FDA guidance'], normalize: true, truncate: true });
    expect(embeddings.map((v) => v.length)).toEqual([384, 384]);
    expect(cosine(embeddings[1] ?? [], hashEmbedding('FDA guidance'))).toBeGreaterThan(0.9999);
    expect(usage).toMatchObject({ backend: 'hf-inference-providers', provider: 'hf-inference', operation: 'embed', tokensEstimated: true, items: 2 });
  });

  it('splits by maxBatchSize with bounded concurrency and keeps the order', async () => {
    const texts = Array.from({ length: 10 }, (_, i) => `text number ${i} about registers ${i * 7}`);
    const { embeddings } = await embedder({ maxBatchSize: 4, concurrency: 2 }).embed({ texts });
    const sizes = hf.requestsTo('hf-inference.pipeline').map((r) => (r.json as { inputs: string[] }).inputs.length);
    expect(sizes.sort()).toEqual([2, 4, 4]);
    for (const [i, text] of texts.entries()) expect(cosine(embeddings[i] ?? [], hashEmbedding(text))).toBeGreaterThan(0.9999);
  });

  it('pools token-level answers (bart) and normalizes them', async () => {
    const { embeddings } = await embedder({ model: 'facebook/bart-base', pooling: 'cls' }).embed({ texts: ['two words'] });
    // cls pooling keeps the first token vector: the fake's `<s>` token.
    expect(cosine(embeddings[0] ?? [], hashEmbedding('<s>', 768))).toBeGreaterThan(0.9999);
    expect(Math.hypot(...(embeddings[0] ?? []))).toBeCloseTo(1, 9);
  });

  it('a shape that is not vectors is an InvalidResponseError', async () => {
    hf.fault({ route: 'hf-inference.pipeline', times: 1, status: 200, body: [[1, 2], [3, 4]] });
    await expect(embedder().embed({ texts: ['a'] })).rejects.toMatchObject({ name: 'InvalidResponseError' });
    hf.fault({ route: 'hf-inference.pipeline', times: 1, status: 200, body: { embeddings: [] } });
    await expect(embedder().embed({ texts: ['a'] })).rejects.toMatchObject({ name: 'InvalidResponseError' });
  });
});

describe('tokens and models', () => {
  it('reads HF_TOKEN at call time', async () => {
    vi.stubEnv('HF_TOKEN', '');
    const e = createHfEmbedder({ fetch: fetchToFake(hf.url) });
    await expect(e.embed({ texts: ['a'] })).rejects.toSatisfy((x: unknown) => AuthenticationError.isInstance(x));
    vi.stubEnv('HF_TOKEN', TOKEN);
    await expect(e.embed({ texts: ['a'] })).resolves.toMatchObject({ embeddings: [expect.any(Array)] });
  });

  it('a model hf-inference does not serve is a ModelNotFoundError', async () => {
    const missing = await embedder({ model: 'nobody/nothing' }).embed({ texts: ['a'] }).catch((x: unknown) => x);
    expect(ModelNotFoundError.isInstance(missing)).toBe(true);
    // A chat model is not served for feature-extraction: the client's task check.
    const wrongTask = await embedder({ model: 'meta-llama/Llama-3.1-8B-Instruct' }).embed({ texts: ['a'] }).catch((x: unknown) => x);
    expect(ModelNotFoundError.isInstance(wrongTask)).toBe(true);
  });
});
