import {
  AuthenticationError,
  BadInputError,
  type ChatCallOptions,
  type ChatStreamPart,
  ModelLoadingError,
  ModelNotFoundError,
} from '@ragbridge/core-interfaces';
import { describeChatModelConformance } from '@ragbridge/core-interfaces/testing';
import { fakeServerFaults, fetchToFake, hfFaultPresets, startFakeHf, type RecordedRequest } from '@ragbridge/testkit';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createHfChatModel, DEFAULT_HF_CHAT_MODEL, type HfChatModelOptions } from './index.js';

const TOKEN = 'hf_fakeChatToken1234567890';
const LLAMA = 'meta-llama/Llama-3.1-8B-Instruct';
const QWEN = 'Qwen/Qwen2.5-7B-Instruct';

const hf = await startFakeHf({ token: TOKEN });
afterAll(() => hf.close());
afterEach(() => {
  hf.clearFaults();
  hf.clearRequests();
  vi.unstubAllEnvs();
});

const model = (options: HfChatModelOptions = {}) => createHfChatModel({ token: TOKEN, fetch: fetchToFake(hf.url), ...options });

/** The message texts of the last chat request the fake received. */
const lastMessages = (route: string) => (): string[] => {
  const request = hf.requestsTo(route).at(-1);
  return ((request?.json as { messages?: Array<{ content: string }> } | undefined)?.messages ?? []).map((m) => m.content);
};

describeChatModelConformance('hf router (model:provider suffix)', {
  create: () => model({ model: `${LLAMA}:together` }),
  faults: fakeServerFaults(hf, hfFaultPresets('router'), ['router.chat']),
  secret: TOKEN,
  receivedTexts: lastMessages('router.chat'),
  quotesContext: true,
});

describeChatModelConformance('hf explicit provider (Hub mapping, provider route)', {
  create: () => model({ model: LLAMA, provider: 'together' }),
  faults: fakeServerFaults(hf, hfFaultPresets('router'), ['router.provider-chat']),
  secret: TOKEN,
  receivedTexts: lastMessages('router.provider-chat'),
  quotesContext: true,
});

describeChatModelConformance('hf endpointUrl (Inference Endpoint / TGI)', {
  create: () => model({ endpointUrl: `${hf.url}/hf-inference/models/${QWEN}` }),
  faults: fakeServerFaults(hf, hfFaultPresets('hf-inference'), ['hf-inference.chat']),
  secret: TOKEN,
  receivedTexts: lastMessages('hf-inference.chat'),
  quotesContext: true,
});

const CALL: ChatCallOptions = {
  messages: [
    { role: 'system', content: 'Answer from the sources.' },
    { role: 'user', content: 'Sources:\n[1] RV32I has 32 integer registers.\n\nQuestion: how many registers?' },
  ],
  maxTokens: 50,
  temperature: 0.2,
  stop: ['\n\n'],
  seed: 7,
};

async function collect(stream: AsyncIterable<ChatStreamPart>): Promise<ChatStreamPart[]> {
  const parts: ChatStreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

function only(requests: RecordedRequest[]): RecordedRequest {
  expect(requests).toHaveLength(1);
  return requests[0] as RecordedRequest;
}

describe('requests sent', () => {
  it('generate posts the OpenAI-style body to the router with the token and the model as configured', async () => {
    const result = await model({ model: `${LLAMA}:cheapest` }).generate(CALL);
    expect(result.text).toBe('According to [1], "RV32I has 32 integer registers."');
    const request = only(hf.requestsTo('router.chat'));
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toMatch(/^@huggingface\/inference\/4\./);
    expect(request.json).toEqual({
      model: `${LLAMA}:cheapest`,
      messages: CALL.messages,
      max_tokens: 50,
      temperature: 0.2,
      stop: ['\n\n'],
      seed: 7,
    });
  });

  it('stream asks for SSE with the usage chunk', async () => {
    await collect(model({ model: LLAMA }).stream(CALL));
    expect(only(hf.requestsTo('router.chat')).json).toMatchObject({ model: LLAMA, stream: true, stream_options: { include_usage: true } });
  });

  it('uses the default model, and sends reasoning_effort and extra headers when configured', async () => {
    const chat = model({ reasoningEffort: 'low', headers: { 'x-trace-id': 'abc', authorization: 'Bearer nope' } });
    expect(chat.modelId).toBe(DEFAULT_HF_CHAT_MODEL);
    await chat.generate(CALL);
    const request = only(hf.requestsTo('router.chat'));
    expect(request.json).toMatchObject({ model: DEFAULT_HF_CHAT_MODEL, reasoning_effort: 'low' });
    expect(request.headers['x-trace-id']).toBe('abc');
    // Extra headers never replace the client's own.
    expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('an explicit provider looks the model up on the Hub, then calls the provider route with its id', async () => {
    const result = await model({ model: LLAMA, provider: 'together' }).generate(CALL);
    expect(result.usage.provider).toBe('together');
    const lookup = hf.requestsTo('hub.model-info').at(-1);
    // The client caches the mapping per process, so the lookup may have happened in an earlier test.
    if (lookup) expect(lookup.path).toBe(`/api/models/${LLAMA}`);
    const request = only(hf.requestsTo('router.provider-chat'));
    expect(request.path).toBe('/together/v1/chat/completions');
    expect(request.json).toMatchObject({ model: `together-hosted/${LLAMA}` });
  });

  it('endpointUrl posts to {endpointUrl}/v1/chat/completions and needs no token', async () => {
    const chat = createHfChatModel({ endpointUrl: `${hf.url}/hf-inference/models/${QWEN}`, model: 'tgi', token: TOKEN });
    await chat.generate(CALL);
    const request = only(hf.requestsTo('hf-inference.chat'));
    expect(request.path).toBe(`/hf-inference/models/${QWEN}/v1/chat/completions`);
    expect(request.json).toMatchObject({ model: 'tgi' });

    // HF_TOKEN is not sent to a server that is not Hugging Face's.
    vi.stubEnv('HF_TOKEN', TOKEN);
    const anonymous = createHfChatModel({ endpointUrl: `${hf.url}/hf-inference/models/${QWEN}` });
    const error = await anonymous.generate(CALL).catch((e: unknown) => e);
    // The fake requires a token, so no token means its real 401; the point is the request went out without one.
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(hf.requestsTo('hf-inference.chat').at(-1)?.headers.authorization).toBeUndefined();
    expect(anonymous.modelId).toBe(`${hf.url}/hf-inference/models/${QWEN}`);
  });
});

describe('results and usage', () => {
  it('generate reports the server usage, provider and request id', async () => {
    const { usage, finishReason } = await model({ model: LLAMA }).generate(CALL);
    expect(finishReason).toBe('stop');
    expect(usage).toMatchObject({
      backend: 'hf-inference-providers',
      modelId: LLAMA,
      operation: 'chat',
      streamed: false,
      outputTokens: 8,
      tokensEstimated: false,
      provider: 'together',
      items: 1,
      costUsd: null,
    });
    expect(usage.inputTokens).toBeGreaterThan(10);
    expect(usage.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('stream yields the deltas in order and ends with the usage the server sent', async () => {
    const parts = await collect(model({ model: `${LLAMA}:nebius` }).stream({ ...CALL, maxTokens: 3 }));
    const deltas = parts.filter((p) => p.type === 'text-delta').map((p) => p.delta);
    expect(deltas).toEqual(['According ', 'to ', '[1],']);
    const finish = parts.at(-1);
    expect(finish).toMatchObject({ type: 'finish', finishReason: 'length' });
    expect(finish?.type === 'finish' && finish.usage).toMatchObject({ streamed: true, outputTokens: 3, tokensEstimated: false, provider: 'nebius' });
    expect(finish?.type === 'finish' && finish.usage.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('breaking out of a stream aborts its HTTP request', async () => {
    const signals: AbortSignal[] = [];
    const spy: typeof fetch = (input, init) => {
      if (init?.signal) signals.push(init.signal);
      return fetchToFake(hf.url)(input, init);
    };
    for await (const part of model({ model: LLAMA, fetch: spy }).stream(CALL)) {
      expect(part.type).toBe('text-delta');
      break;
    }
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
  });

  it('estimates tokens (and says so) when a server sends no usage', async () => {
    hf.fault({ route: 'router.chat', times: 1, status: 200, body: { id: 'x', object: 'chat.completion', created: 1, model: LLAMA, choices: [{ index: 0, message: { role: 'assistant', content: 'Thirty-two registers.' }, finish_reason: 'eos_token' }], usage: null } });
    const result = await model({ model: LLAMA }).generate(CALL);
    expect(result.finishReason).toBe('stop');
    expect(result.usage.tokensEstimated).toBe(true);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
  });

  it('a body that is not a chat completion is an InvalidResponseError', async () => {
    hf.fault({ route: 'router.chat', times: 1, status: 200, body: { id: 'x', created: 1, model: LLAMA, choices: [] } });
    await expect(model({ model: LLAMA }).generate(CALL)).rejects.toMatchObject({ name: 'InvalidResponseError' });
  });
});

describe('tokens', () => {
  it('reads HF_TOKEN at call time, not at construction', async () => {
    vi.stubEnv('HF_TOKEN', '');
    const chat = createHfChatModel({ model: LLAMA, fetch: fetchToFake(hf.url) });
    const missing = await chat.generate(CALL).catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(missing)).toBe(true);
    expect((missing as Error).message).toMatch(/HF_TOKEN/);
    expect(hf.requests).toHaveLength(0);
    vi.stubEnv('HF_TOKEN', TOKEN);
    expect((await chat.generate(CALL)).text).toContain('[1]');
  });

  it('accepts a function returning the token', async () => {
    const chat = createHfChatModel({ model: LLAMA, fetch: fetchToFake(hf.url), token: async () => TOKEN });
    expect((await chat.generate(CALL)).text).toContain('[1]');
  });

  it('a wrong token is an AuthenticationError that never shows the token', async () => {
    const wrong = 'hf_thisTokenIsWrong0000000';
    const error = await createHfChatModel({ model: LLAMA, fetch: fetchToFake(hf.url), token: wrong }).generate(CALL).catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    const typed = error as AuthenticationError;
    expect(typed.statusCode).toBe(401);
    expect(typed.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(typed.endpoint).toBe('https://router.huggingface.co/v1/chat/completions');
    for (const text of [typed.message, typed.stack ?? '', JSON.stringify(typed), String(typed.responseBody)]) expect(text).not.toContain(wrong);
  });
});

describe('options', () => {
  it('rejects unknown options and contradictory routing choices', () => {
    expect(() => createHfChatModel({ modle: LLAMA } as unknown as HfChatModelOptions)).toThrow(BadInputError);
    expect(() => createHfChatModel({ model: `${LLAMA}:together`, provider: 'nebius' })).toThrow(/already names a provider/);
    expect(() => createHfChatModel({ provider: 'together', endpointUrl: 'http://127.0.0.1:1' })).toThrow(/exclude each other/);
  });

  it('a model the router does not know is a ModelNotFoundError, and so is a provider that does not serve it', async () => {
    const unknown = await model({ model: 'nobody/nothing' }).generate(CALL).catch((e: unknown) => e);
    expect(ModelNotFoundError.isInstance(unknown)).toBe(true);
    const unserved = await model({ model: `${QWEN}:nebius` }).generate(CALL).catch((e: unknown) => e);
    expect(ModelNotFoundError.isInstance(unserved)).toBe(true);
    expect((unserved as Error).message).toMatch(/not supported by provider 'nebius'/);
  });

  it('a provider the Hub mapping lacks is a ModelNotFoundError before any inference request', async () => {
    const error = await model({ model: QWEN, provider: 'groq' }).generate(CALL).catch((e: unknown) => e);
    expect(ModelNotFoundError.isInstance(error)).toBe(true);
    expect(hf.requestsTo('router.provider-chat')).toHaveLength(0);
  });
});

describe('the client never retries on its own', () => {
  it('a 503 loading answer is one request and a ModelLoadingError with the estimate', async () => {
    hf.fault({ ...hfFaultPresets().loading, route: 'router.chat', times: 3 });
    const error = await model({ model: LLAMA }).generate(CALL).catch((e: unknown) => e);
    expect(ModelLoadingError.isInstance(error)).toBe(true);
    expect((error as ModelLoadingError).retryAfterMs).toBe(20_000);
    expect(hf.requestsTo('router.chat')).toHaveLength(1);
    await expect(collect(model({ model: LLAMA }).stream(CALL))).rejects.toMatchObject({ name: 'ModelLoadingError' });
    expect(hf.requestsTo('router.chat')).toHaveLength(2);
  });
});
