import { RagbridgeError } from '@ragbridge/core-interfaces';
import { fetchToFake, startFakeHf, startFakeTei, type FakeServer, type FaultRule } from '@ragbridge/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createHfChatModel, createHfEmbedder, createHfReranker, createTeiEmbedder, createTeiReranker } from './index.js';

// Every HTTP failure mapping, for every part: the wire answer a server gives, and the typed error
// the caller must see (class, retryability, status, Retry-After, request id), with no token.

const TOKEN = 'hf_errorMappingToken1234567';
const API_KEY = 'tei-error-mapping-key';

const hf = await startFakeHf({ token: TOKEN });
const teiEmbed = await startFakeTei({ apiKey: API_KEY });
const teiRerank = await startFakeTei({ kind: 'reranker', apiKey: API_KEY });
afterAll(() => Promise.all([hf.close(), teiEmbed.close(), teiRerank.close()]));
afterEach(() => {
  for (const s of [hf, teiEmbed, teiRerank]) {
    s.clearFaults();
    s.clearRequests();
  }
});

interface Part {
  name: string;
  family: 'hf' | 'tei';
  server: FakeServer;
  route: string;
  modelId: string;
  secret: string;
  call: (signal?: AbortSignal) => Promise<unknown>;
}

const chat = createHfChatModel({ model: 'meta-llama/Llama-3.1-8B-Instruct', token: TOKEN, fetch: fetchToFake(hf.url) });
const messages = [{ role: 'user' as const, content: 'Sources:\n[1] RV32I has 32 registers.\n\nQuestion: registers?' }];
const drain = async (signal?: AbortSignal): Promise<void> => {
  for await (const _part of chat.stream({ messages, ...(signal && { abortSignal: signal }) })) {
    // consume
  }
};

const parts: Part[] = [
  { name: 'chat generate', family: 'hf', server: hf, route: 'router.chat', modelId: chat.modelId, secret: TOKEN, call: (signal) => chat.generate({ messages, ...(signal && { abortSignal: signal }) }) },
  { name: 'chat stream', family: 'hf', server: hf, route: 'router.chat', modelId: chat.modelId, secret: TOKEN, call: drain },
  {
    name: 'hf-inference embedder',
    family: 'hf',
    server: hf,
    route: 'hf-inference.pipeline',
    modelId: 'BAAI/bge-small-en-v1.5',
    secret: TOKEN,
    call: (signal) => createHfEmbedder({ token: TOKEN, fetch: fetchToFake(hf.url) }).embed({ texts: ['a', 'b'], ...(signal && { abortSignal: signal }) }),
  },
  {
    name: 'hf-inference reranker',
    family: 'hf',
    server: hf,
    route: 'hf-inference.classification',
    modelId: 'cross-encoder/ms-marco-MiniLM-L6-v2',
    secret: TOKEN,
    call: (signal) => createHfReranker({ token: TOKEN, fetch: fetchToFake(hf.url) }).rerank({ query: 'q', texts: ['a'], ...(signal && { abortSignal: signal }) }),
  },
  {
    name: 'TEI embedder',
    family: 'tei',
    server: teiEmbed,
    route: 'tei.embed',
    modelId: 'BAAI/bge-small-en-v1.5',
    secret: API_KEY,
    call: (signal) => createTeiEmbedder({ baseUrl: teiEmbed.url, apiKey: API_KEY }).embed({ texts: ['a', 'b'], ...(signal && { abortSignal: signal }) }),
  },
  {
    name: 'TEI reranker',
    family: 'tei',
    server: teiRerank,
    route: 'tei.rerank',
    modelId: 'BAAI/bge-reranker-base',
    secret: API_KEY,
    call: (signal) => createTeiReranker({ baseUrl: teiRerank.url, apiKey: API_KEY }).rerank({ query: 'q', texts: ['a'], ...(signal && { abortSignal: signal }) }),
  },
];

interface Case {
  name: string;
  rule: FaultRule;
  expected: { name: string; isRetryable: boolean; statusCode?: number; retryAfterMs?: number; requestId?: string };
  only?: 'hf' | 'tei';
  /** Requests the server sees. @default 1 */
  requests?: number;
}

const cases: Case[] = [
  {
    name: '401 invalid token',
    rule: { status: 401, body: { error: 'Invalid credentials in Authorization header' }, headers: { 'x-request-id': 'req-401' } },
    expected: { name: 'AuthenticationError', isRetryable: false, statusCode: 401, requestId: 'req-401' },
  },
  { name: '401 with TEI’s empty body', rule: { status: 401, body: '' }, expected: { name: 'AuthenticationError', isRetryable: false, statusCode: 401 } },
  { name: '403 gated model', rule: { status: 403, body: { error: 'Access to model is restricted' } }, expected: { name: 'AuthenticationError', isRetryable: false, statusCode: 403 } },
  {
    name: '402 credits exhausted',
    rule: { status: 402, body: { error: 'You have depleted your monthly included credits.' } },
    expected: { name: 'PaymentRequiredError', isRetryable: false, statusCode: 402 },
  },
  { name: '404 not found', rule: { status: 404, body: { error: 'Model x does not exist' } }, expected: { name: 'ModelNotFoundError', isRetryable: false, statusCode: 404 } },
  {
    name: '400 model_not_found (router)',
    rule: { status: 400, body: { error: { message: "The requested model 'x' does not exist.", type: 'invalid_request_error', code: 'model_not_found' } } },
    expected: { name: 'ModelNotFoundError', isRetryable: false, statusCode: 400 },
    only: 'hf',
  },
  {
    name: '400 model_not_supported (no provider serves it)',
    rule: { status: 400, body: { error: { message: 'The requested model is not supported by any provider you have enabled.', code: 'model_not_supported' } } },
    expected: { name: 'ModelNotFoundError', isRetryable: false, statusCode: 400 },
    only: 'hf',
  },
  {
    name: '422 validation',
    rule: { status: 422, body: { error: 'Input validation error: `inputs` must have less than 512 tokens', error_type: 'Validation' } },
    expected: { name: 'BadInputError', isRetryable: false, statusCode: 422 },
  },
  {
    name: '422 template error: a model without a chat template (another model may serve)',
    rule: { status: 422, body: { error: 'Template error: template not found', error_type: 'template_error' } },
    expected: { name: 'UnsupportedRequestError', isRetryable: false, statusCode: 422 },
    only: 'hf',
  },
  {
    name: '400 the provider does not allow or serve the model (code 40301)',
    rule: { status: 400, body: { error: { message: 'The model is not allowed for this account', type: 'invalid_request_error', code: 40301 } } },
    expected: { name: 'UnsupportedRequestError', isRetryable: false, statusCode: 400 },
    only: 'hf',
  },
  {
    name: '421 misdirected request',
    rule: { status: 421, body: { error: 'Misdirected Request' } },
    expected: { name: 'UnsupportedRequestError', isRetryable: false, statusCode: 421 },
    // Node's fetch (undici) itself repeats a request answered 421 once, on a new connection, as RFC 9110 allows.
    requests: 2,
  },
  {
    name: '413 payload too large (plain text)',
    rule: { status: 413, body: 'Failed to buffer the request body: length limit exceeded' },
    expected: { name: 'BadInputError', isRetryable: false, statusCode: 413 },
  },
  { name: '429 without Retry-After', rule: { status: 429, body: { error: 'Too Many Requests' } }, expected: { name: 'RateLimitError', isRetryable: true, statusCode: 429 } },
  {
    name: '429 with Retry-After seconds',
    rule: { status: 429, body: { error: 'Too Many Requests' }, headers: { 'retry-after': '7' } },
    expected: { name: 'RateLimitError', isRetryable: true, statusCode: 429, retryAfterMs: 7000 },
  },
  {
    name: '503 loading with estimated_time',
    rule: { status: 503, body: { error: 'Model org/m is currently loading', estimated_time: 20.0 } },
    expected: { name: 'ModelLoadingError', isRetryable: true, statusCode: 503, retryAfterMs: 20_000 },
  },
  { name: '503 unhealthy', rule: { status: 503, body: { error: 'unhealthy', error_type: 'Unhealthy' } }, expected: { name: 'ServerError', isRetryable: true, statusCode: 503 } },
  { name: '500', rule: { status: 500, body: { error: 'Internal Server Error' } }, expected: { name: 'ServerError', isRetryable: true, statusCode: 500 } },
  { name: '502 from a proxy (HTML)', rule: { status: 502, body: '<html>Bad Gateway</html>', contentType: 'text/html' }, expected: { name: 'ServerError', isRetryable: true, statusCode: 502 } },
  { name: '504 gateway timeout', rule: { status: 504, body: '' }, expected: { name: 'ServerError', isRetryable: true, statusCode: 504 } },
  { name: '408 request timeout', rule: { status: 408, body: '' }, expected: { name: 'RequestTimeoutError', isRetryable: true, statusCode: 408 } },
  { name: '200 with a malformed body', rule: { malformed: true }, expected: { name: 'InvalidResponseError', isRetryable: false } },
  { name: 'connection closed without an answer', rule: { dropConnection: true }, expected: { name: 'BackendUnreachableError', isRetryable: true } },
  { name: 'connection cut mid-answer', rule: { dropAfterEvents: 1 }, expected: { name: 'BackendUnreachableError', isRetryable: true } },
];

function checkError(error: unknown, part: Part, expected: Case['expected']): void {
  expect(RagbridgeError.isInstance(error), `${String(error)}`).toBe(true);
  const typed = error as RagbridgeError;
  expect(typed).toMatchObject(expected);
  if (expected.retryAfterMs === undefined) expect(typed.retryAfterMs).toBeUndefined();
  expect(typed.backend).toBe(part.family === 'hf' ? 'hf-inference-providers' : 'hf-tei');
  expect(typed.message).toContain(part.modelId);
  for (const text of [typed.message, typed.stack ?? '', JSON.stringify(typed), typed.responseBody ?? '', typed.endpoint ?? '']) expect(text).not.toContain(part.secret);
}

for (const part of parts) {
  describe(`${part.name}: HTTP failures map to typed errors`, () => {
    for (const c of cases.filter((x) => !x.only || x.only === part.family)) {
      it(c.name, async () => {
        part.server.fault({ ...c.rule, route: part.route });
        const error = await part.call().then(
          () => undefined,
          (e: unknown) => e,
        );
        checkError(error, part, c.expected);
        // One request: the adapter (and the HF client under it) never retries by itself.
        expect(part.server.requestsTo(part.route)).toHaveLength(c.requests ?? 1);
      });
    }

    it('a call past its deadline is a RequestTimeoutError, and the caller’s plain abort stays an AbortError', async () => {
      part.server.fault({ hang: true, route: part.route });
      const timeout = await part.call(AbortSignal.timeout(50)).catch((e: unknown) => e);
      checkError(timeout, part, { name: 'RequestTimeoutError', isRetryable: true });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const aborted = await part.call(controller.signal).catch((e: unknown) => e);
      expect(aborted).toMatchObject({ name: 'AbortError' });
    });

    it('a server that is down is a BackendUnreachableError', async () => {
      const down = await startFakeTei();
      const url = down.url;
      await down.close();
      const make = {
        'chat generate': () => createHfChatModel({ endpointUrl: url, model: part.modelId, token: TOKEN }).generate({ messages }),
        'chat stream': async () => {
          for await (const _p of createHfChatModel({ endpointUrl: url, model: part.modelId, token: TOKEN }).stream({ messages })) {
            // consume
          }
        },
        'hf-inference embedder': () => createHfEmbedder({ token: TOKEN, fetch: (input, init) => fetch(String(input).replace(/^https:\/\/[^/]+/, url), init) }).embed({ texts: ['a'] }),
        'hf-inference reranker': () => createHfReranker({ token: TOKEN, fetch: (input, init) => fetch(String(input).replace(/^https:\/\/[^/]+/, url), init) }).rerank({ query: 'q', texts: ['a'] }),
        'TEI embedder': () => createTeiEmbedder({ baseUrl: url }).embed({ texts: ['a'] }),
        'TEI reranker': () => createTeiReranker({ baseUrl: url }).rerank({ query: 'q', texts: ['a'] }),
      }[part.name];
      const error = await make?.().catch((e: unknown) => e);
      checkError(error, part, { name: 'BackendUnreachableError', isRetryable: true });
    });
  });
}

describe('chat stream failures after the response started', () => {
  it('an error event inside the stream is a ServerError, after the deltas already sent', async () => {
    hf.fault({
      route: 'router.chat',
      status: 200,
      contentType: 'text/event-stream',
      body: 'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\ndata: {"error":"Model overloaded mid-stream"}\n\n',
    });
    const deltas: string[] = [];
    const error = await (async () => {
      for await (const part of chat.stream({ messages })) if (part.type === 'text-delta') deltas.push(part.delta);
    })().catch((e: unknown) => e);
    expect(deltas).toEqual(['Hi']);
    expect(error).toMatchObject({ name: 'ServerError', isRetryable: true });
    expect((error as Error).message).toMatch(/Model overloaded mid-stream/);
  });

  it('a JSON answer to a stream request is an InvalidResponseError', async () => {
    hf.fault({ route: 'router.chat', status: 200, body: { id: 'c', choices: [] } });
    await expect(drain()).rejects.toMatchObject({ name: 'InvalidResponseError' });
  });
});
