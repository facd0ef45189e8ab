import { BadInputError, estimateTokens } from '@ragbridge/core-interfaces';
import { describeRerankerConformance, wordOverlapScore } from '@ragbridge/core-interfaces/testing';
import { fakeServerFaults, startFakeTei, teiFaultPresets, type FakeServer } from '@ragbridge/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTeiReranker, DEFAULT_TEI_RERANKER_MODEL, type TeiRerankerOptions } from './index.js';

const API_KEY = 'tei-rerank-key-456';

const tei = await startFakeTei({ kind: 'reranker', apiKey: API_KEY });
const small = await startFakeTei({ kind: 'reranker', apiKey: API_KEY, maxClientBatchSize: 4, maxBatchTokens: 96, maxInputLength: 32, payloadLimit: 1500 });
const servers = [tei, small];
afterAll(() => Promise.all(servers.map((s) => s.close())));
afterEach(() => {
  for (const s of servers) {
    s.clearFaults();
    s.clearRequests();
  }
});

const reranker = (server: FakeServer, options: Partial<TeiRerankerOptions> = {}) =>
  createTeiReranker({ baseUrl: server.url, apiKey: API_KEY, ...(server === small && { payloadLimit: 1500 }), ...options });

/** The query and texts of the last `/rerank` request. */
const lastPair = (server: FakeServer) => (): string[] => {
  const body = server.requestsTo('tei.rerank').at(-1)?.json as { query?: string; texts?: string[] } | undefined;
  return [body?.query ?? '', ...(body?.texts ?? [])];
};

describeRerankerConformance('TEI /rerank', {
  create: () => reranker(tei),
  faults: fakeServerFaults(tei, teiFaultPresets, ['tei.rerank']),
  secret: API_KEY,
  receivedTexts: lastPair(tei),
});

describeRerankerConformance('TEI /rerank with small server limits (4 texts, 96 tokens, 1.5 kB per request)', {
  create: () => reranker(small),
  faults: fakeServerFaults(small, teiFaultPresets, ['tei.rerank']),
  secret: API_KEY,
  receivedTexts: lastPair(small),
});

/** The fake's relevance logit, through the sigmoid: what TEI's raw_scores:false would return. */
const expectedScore = (query: string, text: string) => 1 / (1 + Math.exp(-(wordOverlapScore(query, text) * 8 - 4)));

describe('TEI reranker', () => {
  it('asks for raw logits, applies the sigmoid, and undoes TEI’s sort by score', async () => {
    const query = 'RV32I registers';
    const texts = ['FDA guidance', 'RV32I has 32 registers', 'vector registers'];
    const { scores, usage } = await reranker(tei).rerank({ query, texts });
    const request = tei.requestsTo('tei.rerank')[0];
    expect(request?.path).toBe('/rerank');
    expect(request?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request?.json).toEqual({ query, texts, raw_scores: true, return_text: false, truncate: true });
    expect(scores).toHaveLength(3);
    for (const [i, text] of texts.entries()) expect(scores[i]).toBeCloseTo(expectedScore(query, text), 10);
    expect(scores[1]).toBeGreaterThan(scores[2] ?? 1);
    expect(scores[2]).toBeGreaterThan(scores[0] ?? 1);
    expect(usage).toMatchObject({ backend: 'hf-tei', modelId: DEFAULT_TEI_RERANKER_MODEL, operation: 'rerank', items: 3, tokensEstimated: false, outputTokens: 0 });
    expect(usage.inputTokens).toBeGreaterThan(0);
  });

  it('splits by count, tokens and bytes and keeps scores in input order', async () => {
    const query = 'which registers does the vector extension add';
    const texts = Array.from({ length: 19 }, (_, i) => `Passage ${i}: the ${i % 3 === 0 ? 'vector extension adds registers' : 'FDA guidance covers validation'} (${i}).`);
    const r = reranker(small, { concurrency: 2 });
    const { scores } = await r.rerank({ query, texts });
    expect(r.maxBatchSize).toBe(4);
    const requests = small.requestsTo('tei.rerank');
    expect(requests.length).toBeGreaterThan(5);
    const queryTokens = estimateTokens(query);
    for (const request of requests) {
      const body = request.json as { texts: string[] };
      expect(body.texts.length).toBeLessThanOrEqual(4);
      expect(Buffer.byteLength(request.body)).toBeLessThanOrEqual(1500);
      expect(body.texts.reduce((n, t) => n + Math.min(queryTokens + estimateTokens(t), 32), 0)).toBeLessThanOrEqual(96);
    }
    for (const [i, text] of texts.entries()) expect(scores[i]).toBeCloseTo(expectedScore(query, text), 10);
  });

  it('rejects an empty text by index without calling the server', async () => {
    const error = await reranker(tei).rerank({ query: 'q', texts: ['a', ''] }).catch((x: unknown) => x);
    expect(BadInputError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/Text 1/);
    expect(tei.requests).toHaveLength(0);
  });

  it('an answer that does not cover every text is an InvalidResponseError', async () => {
    tei.fault({ route: 'tei.rerank', times: 1, status: 200, body: [{ index: 0, score: 1.5 }, { index: 0, score: 0.3 }] });
    await expect(reranker(tei).rerank({ query: 'q', texts: ['a', 'b'] })).rejects.toMatchObject({ name: 'InvalidResponseError' });
  });

  it('refuses an embedding server and a different model', async () => {
    const embedding = await startFakeTei();
    servers.push(embedding);
    await expect(createTeiReranker({ baseUrl: embedding.url }).rerank({ query: 'q', texts: ['a'] })).rejects.toThrow(/runs an embedding model/);
    await expect(createTeiReranker({ baseUrl: tei.url, apiKey: API_KEY, model: 'BAAI/bge-reranker-v2-m3' }).rerank({ query: 'q', texts: ['a'] })).rejects.toMatchObject({
      name: 'ModelNotFoundError',
    });
  });
});
