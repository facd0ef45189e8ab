import {
  BackendUnreachableError,
  BadInputError,
  embedderIdentityKey,
  InvalidResponseError,
  ModelNotFoundError,
} from '@ragbridge/core-interfaces';
import { hashEmbedding } from '@ragbridge/core-interfaces/testing';
import { startFakeOllama, type FakeServer } from '@ragbridge/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closedPortUrl } from './__fixtures__/network.js';
import { createOllamaEmbedder } from './ollama-embedder.js';

let server: FakeServer;

beforeAll(async () => {
  server = await startFakeOllama({
    models: [
      { name: 'nomic-embed-text:latest', kind: 'embed', dimensions: 768, contextLength: 2048 },
      { name: 'nomic-embed-text:v1.5', kind: 'embed', dimensions: 768, contextLength: 2048 },
      { name: 'my-embedder:q8', kind: 'embed', dimensions: 16 },
      { name: 'llama3.2:3b', kind: 'chat' },
    ],
  });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.clearFaults();
  server.clearRequests();
});

async function rejection(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const inputsOf = (route = 'ollama.embed'): string[][] => server.requestsTo(route).map((r) => (r.json as { input: string[] }).input);

describe('createOllamaEmbedder: requests and vectors', () => {
  it('posts prefixed texts with truncate:true and keep_alive, and returns normalized vectors in order', async () => {
    const embedder = createOllamaEmbedder({ model: 'nomic-embed-text', host: server.url, keepAlive: '30m', headers: { 'X-Proxy-Key': 'proxy-key-1234567' } });
    const texts = ['How many registers does RV32I have?', 'Übertragung — 日本語', 'mstatus.MIE enables interrupts'];
    const { embeddings, usage } = await embedder.embed({ texts, inputType: 'document' });

    const [request] = server.requestsTo('ollama.embed');
    expect(request).toMatchObject({ method: 'POST', path: '/api/embed' });
    expect(request?.headers['x-proxy-key']).toBe('proxy-key-1234567');
    expect(request?.json).toEqual({
      model: 'nomic-embed-text',
      input: texts.map((t) => `search_document: ${t}`),
      truncate: true,
      keep_alive: '30m',
    });
    expect(embeddings).toEqual(texts.map((t) => hashEmbedding(`search_document: ${t}`, 768)));
    for (const vector of embeddings) expect(Math.hypot(...vector)).toBeCloseTo(1, 6);
    expect(embedder.identity.normalized).toBe(true);

    const direct = (await (await fetch(`${server.url}/api/embed`, { method: 'POST', body: JSON.stringify(request?.json) })).json()) as { prompt_eval_count: number };
    expect(usage).toMatchObject({ backend: 'ollama', modelId: 'nomic-embed-text', operation: 'embed', items: 3, inputTokens: direct.prompt_eval_count, outputTokens: 0, tokensEstimated: false });
  });

  it('uses the query prefix for queries and documents by default', async () => {
    const embedder = createOllamaEmbedder({ model: 'nomic-embed-text', host: server.url });
    await embedder.embed({ texts: ['registers'], inputType: 'query' });
    await embedder.embed({ texts: ['registers'] });
    expect(inputsOf()).toEqual([['search_query: registers'], ['search_document: registers']]);
  });

  it('splits a large call by maxBatchSize, one request after another, and keeps the order', async () => {
    const embedder = createOllamaEmbedder({ model: 'my-embedder:q8', host: server.url, maxBatchSize: 32 });
    const texts = Array.from({ length: 70 }, (_, i) => `chunk number ${i} about vector registers`);
    const { embeddings, usage } = await embedder.embed({ texts });

    expect(inputsOf().map((batch) => batch.length)).toEqual([32, 32, 6]);
    expect(inputsOf().flat()).toEqual(texts);
    expect(embeddings).toEqual(texts.map((t) => hashEmbedding(t, 16)));
    expect(usage.items).toBe(70);
  });

  it('asks for truncated vectors with `dimensions` and records them in the identity', async () => {
    const embedder = createOllamaEmbedder({ model: 'nomic-embed-text', host: server.url, dimensions: 256 });
    const { embeddings } = await embedder.embed({ texts: ['short vectors'] });
    expect(server.requestsTo('ollama.embed')[0]?.json).toMatchObject({ dimensions: 256 });
    expect(embeddings[0]).toHaveLength(256);
    expect(embedder.dimensions).toBe(256);
    expect(embedder.identity.truncatedDimensions).toBe(256);
  });

  it('makes no request for an empty list, and rejects an empty text by index before sending anything', async () => {
    const embedder = createOllamaEmbedder({ model: 'nomic-embed-text', host: server.url });
    expect(await embedder.embed({ texts: [] })).toMatchObject({ embeddings: [], usage: { items: 0, inputTokens: 0 } });
    const error = await rejection(() => embedder.embed({ texts: ['a', 'b', ''] }));
    expect(BadInputError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('texts[2] is empty');
    expect(server.requests).toHaveLength(0);
  });
});

describe('createOllamaEmbedder: identity', () => {
  it('knows nomic-embed-text: mean pooling, 768 dimensions, its prefixes, and the tag as revision', () => {
    const embedder = createOllamaEmbedder({ model: 'nomic-embed-text', host: server.url });
    expect(embedder.identity).toEqual({
      provider: 'ollama',
      modelId: 'nomic-embed-text',
      revision: 'latest',
      pooling: 'mean',
      normalized: true,
      queryPrefix: 'search_query: ',
      documentPrefix: 'search_document: ',
    });
    expect(embedder.dimensions).toBe(768);
    expect(embedder.maxBatchSize).toBe(32);
    expect(createOllamaEmbedder({ model: 'nomic-embed-text:v1.5' }).identity.revision).toBe('v1.5');
  });

  it('gives the same identity to the same model written two ways, and another to another tag or prefix', () => {
    const key = (options: Parameters<typeof createOllamaEmbedder>[0]): string => embedderIdentityKey(createOllamaEmbedder(options).identity);
    expect(key({ model: 'nomic-embed-text' })).toBe(key({ model: 'Nomic-Embed-Text:latest' }));
    expect(key({ model: 'nomic-embed-text' })).not.toBe(key({ model: 'nomic-embed-text:v1.5' }));
    expect(key({ model: 'nomic-embed-text' })).not.toBe(key({ model: 'nomic-embed-text', queryPrefix: '' }));
  });

  it('lets prefixes, revision and pooling be overridden; an empty prefix sends none', async () => {
    const embedder = createOllamaEmbedder({ model: 'nomic-embed-text', host: server.url, queryPrefix: '', documentPrefix: 'doc: ', revision: 'sha256:abc', pooling: 'cls' });
    expect(embedder.identity).toMatchObject({ revision: 'sha256:abc', pooling: 'cls', documentPrefix: 'doc: ' });
    expect(embedder.identity).not.toHaveProperty('queryPrefix');
    await embedder.embed({ texts: ['q'], inputType: 'query' });
    await embedder.embed({ texts: ['d'] });
    expect(inputsOf()).toEqual([['q'], ['doc: d']]);
  });

  it('learns the vector length of an unknown model from its first answer, without changing the identity', async () => {
    const embedder = createOllamaEmbedder({ model: 'my-embedder:q8', host: server.url });
    const before = embedderIdentityKey(embedder.identity);
    expect(embedder.dimensions).toBeUndefined();
    expect(embedder.identity).toMatchObject({ modelId: 'my-embedder', revision: 'q8', pooling: 'unknown' });
    await embedder.embed({ texts: ['x'] });
    expect(embedder.dimensions).toBe(16);
    expect(embedderIdentityKey(embedder.identity)).toBe(before);
  });
});

describe('createOllamaEmbedder: failures', () => {
  it('server down: BackendUnreachableError that says to start Ollama', async () => {
    const host = await closedPortUrl();
    const error = await rejection(() => createOllamaEmbedder({ model: 'nomic-embed-text', host }).embed({ texts: ['x'] }));
    expect(BackendUnreachableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(`Ollama is not running at ${host}`);
    expect((error as Error).message).toContain('ollama serve');
  });

  it('model not pulled: ModelNotFoundError telling to run `ollama pull <model>`', async () => {
    const error = await rejection(() => createOllamaEmbedder({ model: 'mxbai-embed-large', host: server.url }).embed({ texts: ['x'] }));
    expect(ModelNotFoundError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('Run `ollama pull mxbai-embed-large`.');
  });

  it('a chat model used for embeddings is rejected as bad input', async () => {
    const error = await rejection(() => createOllamaEmbedder({ model: 'llama3.2:3b', host: server.url }).embed({ texts: ['x'] }));
    expect(BadInputError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('does not support embeddings');
  });

  it('fewer vectors than texts, or vectors of the wrong length, are an InvalidResponseError', async () => {
    const embedder = createOllamaEmbedder({ model: 'nomic-embed-text', host: server.url });
    server.fault({ route: 'ollama.embed', status: 200, body: { model: 'nomic-embed-text', embeddings: [hashEmbedding('a', 768)] }, times: 1 });
    const missing = await rejection(() => embedder.embed({ texts: ['a', 'b'] }));
    expect(InvalidResponseError.isInstance(missing)).toBe(true);
    expect((missing as Error).message).toContain('1 vectors for 2 texts');

    server.fault({ route: 'ollama.embed', status: 200, body: { model: 'nomic-embed-text', embeddings: [[0.6, 0.8]] }, times: 1 });
    const short = await rejection(() => embedder.embed({ texts: ['a'] }));
    expect(InvalidResponseError.isInstance(short)).toBe(true);
    expect((short as Error).message).toContain('2 dimensions, expected 768');
  });

  it('an abort while a batch is pending rejects with the reason and sends no further batch', async () => {
    const controller = new AbortController();
    let calls = 0;
    const abortDuringSecond: typeof fetch = (input, init) => {
      calls++;
      const pending = fetch(input, init);
      if (calls === 2) setImmediate(() => controller.abort());
      return pending;
    };
    // The first batch is answered; the second never is, until the caller aborts.
    server.fault({ route: 'ollama.embed', latencyMs: 0, times: 1 });
    server.fault({ route: 'ollama.embed', hang: true });
    const embedder = createOllamaEmbedder({ model: 'nomic-embed-text', host: server.url, fetch: abortDuringSecond, maxBatchSize: 2 });
    const error = await rejection(() => embedder.embed({ texts: ['a', 'b', 'c', 'd', 'e'], abortSignal: controller.signal }));

    expect(error).toBe(controller.signal.reason);
    expect((error as Error).name).toBe('AbortError');
    expect(calls).toBe(2);
    // The second request may be cut before the server logs it; the third batch is never sent.
    expect(inputsOf()[0]).toEqual(['search_document: a', 'search_document: b']);
    expect(inputsOf().flat()).not.toContain('search_document: e');
  });
});
