import { BadInputError, embedderIdentityKey, estimateTokens, ModelNotFoundError } from '@ragbridge/core-interfaces';
import { cosine, describeEmbedderConformance, hashEmbedding } from '@ragbridge/core-interfaces/testing';
import { fakeServerFaults, startFakeTei, teiFaultPresets, type FakeServer } from '@ragbridge/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTeiEmbedder, DEFAULT_TEI_EMBEDDING_MODEL, KNOWN_EMBEDDING_MODELS, type TeiEmbedderOptions } from './index.js';

const API_KEY = 'tei-secret-key-123';
const BGE_QUERY = KNOWN_EMBEDDING_MODELS[DEFAULT_TEI_EMBEDDING_MODEL]?.queryPrefix ?? '';

const tei = await startFakeTei({ apiKey: API_KEY });
// Small limits: 4 texts, 64 tokens per request, inputs of 16 tokens, 1,500-byte bodies.
const small = await startFakeTei({ apiKey: API_KEY, maxClientBatchSize: 4, maxBatchTokens: 64, maxInputLength: 16, payloadLimit: 1500 });
const servers = [tei, small];
afterAll(() => Promise.all(servers.map((s) => s.close())));
afterEach(() => {
  for (const s of servers) {
    s.clearFaults();
    s.clearRequests();
  }
});

// TEI's /info does not report --payload-limit: the client is told.
const embedder = (server: FakeServer, options: Partial<TeiEmbedderOptions> = {}) =>
  createTeiEmbedder({ baseUrl: server.url, apiKey: API_KEY, ...(server === small && { payloadLimit: 1500 }), ...options });

/** Texts of the last `/embed` request. */
const lastInputs = (server: FakeServer) => (): string[] => {
  const body = server.requestsTo('tei.embed').at(-1)?.json as { inputs?: string[] } | undefined;
  return body?.inputs ?? [];
};

describeEmbedderConformance('TEI /embed', {
  create: () => embedder(tei),
  faults: fakeServerFaults(tei, teiFaultPresets, ['tei.embed']),
  secret: API_KEY,
  receivedTexts: lastInputs(tei),
});

describeEmbedderConformance('TEI /embed with small server limits (4 texts, 64 tokens, 1.5 kB per request)', {
  create: () => embedder(small),
  faults: fakeServerFaults(small, teiFaultPresets, ['tei.embed']),
  secret: API_KEY,
  receivedTexts: lastInputs(small),
});

describeEmbedderConformance('TEI /embed, e5-style prefixes', {
  create: () => embedder(tei, { model: 'intfloat/e5-small-v2', verifyModel: false }),
  faults: fakeServerFaults(tei, teiFaultPresets, ['tei.embed']),
  secret: API_KEY,
  receivedTexts: lastInputs(tei),
});

describe('requests sent', () => {
  it('reads /info once, then posts inputs with normalize and truncate, the API key and JSON headers', async () => {
    const e = embedder(tei);
    await e.embed({ texts: ['RV32I registers', 'FDA guidance'] });
    await e.embed({ texts: ['vector length'] });
    expect(tei.requestsTo('tei.info')).toHaveLength(1);
    const [first, second] = tei.requestsTo('tei.embed');
    expect(first?.method).toBe('POST');
    expect(first?.path).toBe('/embed');
    expect(first?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(first?.headers['content-type']).toBe('application/json');
    expect(first?.json).toEqual({ inputs: ['RV32I registers', 'FDA guidance'], normalize: true, truncate: true });
    expect(second?.json).toEqual({ inputs: ['vector length'], normalize: true, truncate: true });
    expect(tei.requestsTo('tei.info')[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('applies the query prefix of the model and sends the truncation options', async () => {
    const e = embedder(tei, { normalize: false, truncationDirection: 'left' });
    const { embeddings } = await e.embed({ texts: ['how many registers'], inputType: 'query' });
    expect(tei.requestsTo('tei.embed')[0]?.json).toEqual({
      inputs: [`${BGE_QUERY}how many registers`],
      normalize: false,
      truncate: true,
      truncation_direction: 'Left',
    });
    expect(e.identity).toMatchObject({ normalized: false, queryPrefix: BGE_QUERY });
    expect(Math.hypot(...(embeddings[0] ?? []))).toBeGreaterThan(1.5);
  });

  it('reports the tokens TEI counted (x-compute-tokens) and does not estimate them', async () => {
    const { usage } = await embedder(tei).embed({ texts: ['RV32I has 32 registers', 'FDA guidance'] });
    expect(usage).toMatchObject({ backend: 'hf-tei', modelId: DEFAULT_TEI_EMBEDDING_MODEL, operation: 'embed', inputTokens: 10, tokensEstimated: false, items: 2 });
  });
});

describe('splitting inputs larger than one request', () => {
  it('keeps every request within the advertised limits and reassembles the vectors in input order', async () => {
    const texts = Array.from({ length: 23 }, (_, i) => `Chunk ${i}: the ${['vector', 'scalar', 'privileged', 'compressed'][i % 4]} extension adds registers number ${i}.`);
    texts[7] = `${'Long text about the RISC-V memory model and fences. '.repeat(40)}end.`;
    const e = embedder(small, { concurrency: 3 });
    const { embeddings, usage } = await e.embed({ texts });
    expect(e.maxBatchSize).toBe(4);

    const requests = small.requestsTo('tei.embed');
    const sent = requests.map((r) => (r.json as { inputs: string[] }).inputs);
    for (const [i, inputs] of sent.entries()) {
      expect(inputs.length, `request ${i} texts`).toBeLessThanOrEqual(4);
      expect(Buffer.byteLength(requests[i]?.body ?? ''), `request ${i} bytes`).toBeLessThanOrEqual(1500);
      const tokens = inputs.reduce((n, t) => n + Math.min(estimateTokens(t), 16), 0);
      expect(tokens, `request ${i} estimated tokens`).toBeLessThanOrEqual(64);
    }
    // Split by count, tokens and bytes: more requests than 23 / 4 would need.
    expect(sent.length).toBeGreaterThan(6);
    // Every text went out exactly once, in consecutive runs (the long one cut to fit a request).
    const position = (inputs: string[]) => texts.findIndex((t) => t.startsWith(inputs[0] ?? '!'));
    const flattened = sent.slice().sort((a, b) => position(a) - position(b)).flat();
    expect(flattened).toHaveLength(23);
    expect(flattened.filter((t, i) => i !== 7)).toEqual(texts.filter((_, i) => i !== 7));
    expect(texts[7]?.startsWith(flattened[7] ?? '!')).toBe(true);

    // Vectors come back in input order: each equals the fake's embedding of its own text.
    expect(embeddings).toHaveLength(23);
    for (const [i, text] of texts.entries()) {
      if (i === 7) continue;
      expect(cosine(embeddings[i] ?? [], hashEmbedding(text))).toBeGreaterThan(0.9999);
    }
    expect(usage.items).toBe(23);
  });

  it('with truncation off, a text larger than a request is a BadInputError naming it, and nothing is sent', async () => {
    const e = embedder(small, { truncate: false });
    const error = await e.embed({ texts: ['short', 'word '.repeat(400)] }).catch((x: unknown) => x);
    expect(BadInputError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/Text 1 is larger/);
    expect(small.requestsTo('tei.embed')).toHaveLength(0);
  });

  it('one failing request fails the call with its own error', async () => {
    small.fault({ route: 'tei.embed', times: 1, status: 429, body: { error: 'Model is overloaded', error_type: 'Overloaded' }, headers: { 'retry-after': '2' } });
    const error = await embedder(small).embed({ texts: Array.from({ length: 12 }, (_, i) => `text ${i}`) }).catch((x: unknown) => x);
    expect(error).toMatchObject({ name: 'RateLimitError', retryAfterMs: 2000, statusCode: 429 });
  });
});

describe('identity and /info', () => {
  it('is fixed at construction from the options and the known-model table', () => {
    const e = embedder(tei);
    expect(e.identity).toEqual({ provider: 'hf-tei', modelId: 'BAAI/bge-small-en-v1.5', revision: 'unknown', pooling: 'cls', normalized: true, queryPrefix: BGE_QUERY });
    expect(e.dimensions).toBe(384);
    expect(embedder(tei, { model: 'my/model', verifyModel: false, queryPrefix: 'q: ' }).identity).toEqual({
      provider: 'hf-tei',
      modelId: 'my/model',
      revision: 'unknown',
      pooling: 'unknown',
      normalized: true,
      queryPrefix: 'q: ',
    });
    expect(embedderIdentityKey(embedder(tei, { revision: 'abc' }).identity)).not.toBe(embedderIdentityKey(e.identity));
  });

  it('refuses a server running another model, revision or pooling instead of changing identity', async () => {
    const other = await startFakeTei({ modelId: 'intfloat/e5-small-v2', modelSha: 'a1b2c3', pooling: 'mean' });
    servers.push(other);
    const wrongModel = await createTeiEmbedder({ baseUrl: other.url }).embed({ texts: ['x'] }).catch((x: unknown) => x);
    expect(ModelNotFoundError.isInstance(wrongModel)).toBe(true);
    expect((wrongModel as Error).message).toMatch(/runs "intfloat\/e5-small-v2", but this client was configured for "BAAI\/bge-small-en-v1.5"/);
    const wrongRevision = await createTeiEmbedder({ baseUrl: other.url, model: 'intfloat/e5-small-v2', revision: 'main' }).embed({ texts: ['x'] }).catch((x: unknown) => x);
    expect((wrongRevision as Error).message).toMatch(/revision "a1b2c3"/);
    const wrongPooling = await createTeiEmbedder({ baseUrl: other.url, model: 'intfloat/e5-small-v2', pooling: 'cls' }).embed({ texts: ['x'] }).catch((x: unknown) => x);
    expect((wrongPooling as Error).message).toMatch(/pools with "mean"/);
    expect(other.requestsTo('tei.embed')).toHaveLength(0);
    const right = createTeiEmbedder({ baseUrl: other.url, model: 'intfloat/e5-small-v2', revision: 'a1b2c3' });
    await right.embed({ texts: ['x'], inputType: 'query' });
    expect((other.requestsTo('tei.embed')[0]?.json as { inputs: string[] }).inputs).toEqual(['query: x']);
  });

  it('refuses a reranker server', async () => {
    const reranker = await startFakeTei({ kind: 'reranker' });
    servers.push(reranker);
    const error = await createTeiEmbedder({ baseUrl: reranker.url, verifyModel: false }).embed({ texts: ['x'] }).catch((x: unknown) => x);
    expect((error as Error).message).toMatch(/runs a reranker model/);
  });

  it('does not cache a failed /info read', async () => {
    tei.fault({ route: 'tei.info', times: 1, status: 503, body: { error: 'unhealthy', error_type: 'Unhealthy' } });
    const e = embedder(tei);
    await expect(e.embed({ texts: ['x'] })).rejects.toMatchObject({ name: 'ServerError', statusCode: 503 });
    await expect(e.embed({ texts: ['x'] })).resolves.toMatchObject({ embeddings: [expect.any(Array)] });
    expect(tei.requestsTo('tei.info')).toHaveLength(2);
  });

  it('an /info that is not TEI is an InvalidResponseError', async () => {
    tei.fault({ route: 'tei.info', times: 1, status: 200, body: { model: 'x' } });
    await expect(embedder(tei).embed({ texts: ['x'] })).rejects.toMatchObject({ name: 'InvalidResponseError' });
  });
});
