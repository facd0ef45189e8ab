import { describeRerankerConformance, wordOverlapScore } from '@ragbridge/core-interfaces/testing';
import { fakeServerFaults, fetchToFake, hfFaultPresets, startFakeHf } from '@ragbridge/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createHfReranker, DEFAULT_HF_RERANKER_MODEL, type HfRerankerOptions } from './index.js';

const TOKEN = 'hf_fakeRerankToken1234567890';
const hf = await startFakeHf({ token: TOKEN });
afterAll(() => hf.close());
afterEach(() => {
  hf.clearFaults();
  hf.clearRequests();
});

const reranker = (options: HfRerankerOptions = {}) => createHfReranker({ token: TOKEN, fetch: fetchToFake(hf.url), ...options });

const lastPairs = (): string[] => {
  const body = hf.requestsTo('hf-inference.classification').at(-1)?.json as { inputs?: Array<{ text: string; text_pair: string }> } | undefined;
  return (body?.inputs ?? []).flatMap((p) => [p.text, p.text_pair]);
};

const faults = fakeServerFaults(hf, hfFaultPresets('hf-inference'), ['hf-inference.classification']);

describeRerankerConformance('hf-inference cross-encoder (text-classification pairs)', { create: () => reranker(), faults, secret: TOKEN, receivedTexts: lastPairs });

describeRerankerConformance('hf-inference cross-encoder, small requests', {
  create: () => reranker({ maxBatchSize: 2, concurrency: 3 }),
  faults,
  secret: TOKEN,
  receivedTexts: lastPairs,
});

describe('hf-inference reranker', () => {
  it('posts {text, text_pair} pairs to the model route and reads one score per pair, in order', async () => {
    const query = 'RV32I registers';
    const texts = ['FDA guidance', 'RV32I has 32 registers'];
    const { scores, usage } = await reranker().rerank({ query, texts });
    // A conformance check above may still have a request of its own in flight: pick this test's.
    const request = hf.requestsTo('hf-inference.classification').find((r) => (r.json as { inputs?: Array<{ text: string }> }).inputs?.[0]?.text === query);
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(`/hf-inference/models/${DEFAULT_HF_RERANKER_MODEL}`);
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request?.headers['user-agent']).toMatch(/^@huggingface\/inference\/4\./);
    expect(request?.json).toEqual({ inputs: texts.map((t) => ({ text: query, text_pair: t })) });
    const expected = texts.map((t) => 1 / (1 + Math.exp(-(wordOverlapScore(query, t) * 8 - 4))));
    expect(scores[0]).toBeCloseTo(expected[0] ?? NaN, 10);
    expect(scores[1]).toBeCloseTo(expected[1] ?? NaN, 10);
    expect(usage).toMatchObject({ backend: 'hf-inference-providers', provider: 'hf-inference', operation: 'rerank', items: 2, tokensEstimated: true });
  });

  it('a classifier with several labels needs `label`, and then uses that label’s score', async () => {
    const model = 'distilbert/distilbert-base-uncased-finetuned-sst-2-english';
    await expect(reranker({ model }).rerank({ query: 'q', texts: ['good'] })).rejects.toThrow(/pass `label`/);
    const { scores } = await reranker({ model, label: 'POSITIVE' }).rerank({ query: 'q', texts: ['good', 'bad'] });
    expect(scores).toHaveLength(2);
    for (const s of scores) expect(s).toBeGreaterThan(0);
  });

  it('also reads the flat answer of single-label pipelines, one {label, score} per pair', async () => {
    hf.fault({ route: 'hf-inference.classification', times: 1, status: 200, body: [{ label: 'LABEL_0', score: 0.9 }, { label: 'LABEL_0', score: 0.1 }] });
    expect((await reranker().rerank({ query: 'q', texts: ['a', 'b'] })).scores).toEqual([0.9, 0.1]);
  });

  it('a model that is not served is a ModelNotFoundError', async () => {
    await expect(reranker({ model: 'nobody/nothing' }).rerank({ query: 'q', texts: ['a'] })).rejects.toMatchObject({ name: 'ModelNotFoundError' });
  });
});
