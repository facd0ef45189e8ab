import { InferenceClient, InferenceClientProviderApiError } from '@huggingface/inference';
import type { FaultKind } from '@ragbridge/core-interfaces/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeServer } from './fake-server.js';
import { DEFAULT_FAKE_HF_MODELS, fetchToFake, hfFaultPresets, startFakeHf } from './hf-fake.js';
import { FAKE_REASONING } from './hf-fake-chat.js';

// The official @huggingface/inference client drives the fake: if the fake's wire format were
// wrong, the client would reject it exactly as it would reject a wrong real server.

const TOKEN = 'hf_fakeTokenForTests123456';
const CHAT_MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
const messages = [
  { role: 'system', content: 'Answer from the sources.' },
  {
    role: 'user',
    content: 'Sources:\n[1] The FDA guidance covers validation.\n[2] RV32I has 32 integer registers named x0-x31.\n\nQuestion: how many registers does RV32I have?',
  },
];

let hf: FakeServer;
let client: InferenceClient;

beforeAll(async () => {
  hf = await startFakeHf({ token: TOKEN });
  client = new InferenceClient(TOKEN, { fetch: fetchToFake(hf.url), retry_on_error: false });
});
afterAll(() => hf.close());
afterEach(() => {
  hf.clearFaults();
  hf.clearRequests();
});

async function rejection(promise: Promise<unknown>): Promise<InferenceClientProviderApiError> {
  try {
    await promise;
  } catch (error) {
    return error as InferenceClientProviderApiError;
  }
  throw new Error('expected the call to fail');
}

describe('router chat completions through the official client', () => {
  it('answers with a grounded reply, usage, and the request the client really sends', async () => {
    const out = await client.chatCompletion({ model: `${CHAT_MODEL}:together`, messages, max_tokens: 100 });
    expect(out.choices[0]?.message.content).toBe('According to [2], "RV32I has 32 integer registers named x0-x31."');
    expect(out.choices[0]?.finish_reason).toBe('stop');
    expect(out.usage.prompt_tokens).toBeGreaterThan(10);
    expect(out.usage.completion_tokens).toBe(10);
    const [request] = hf.requestsTo('router.chat');
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.json).toMatchObject({ model: `${CHAT_MODEL}:together`, messages, max_tokens: 100 });
  });

  it('honours max_tokens with finish_reason length, and the :fastest policy', async () => {
    const out = await client.chatCompletion({ model: `${CHAT_MODEL}:fastest`, messages, max_tokens: 3 });
    expect(out.choices[0]?.finish_reason).toBe('length');
    expect(out.usage.completion_tokens).toBe(3);
  });

  it('streams deltas over SSE and ends with a usage chunk', async () => {
    const chunks = [];
    for await (const chunk of client.chatCompletionStream({ model: CHAT_MODEL, messages, stream_options: { include_usage: true } })) {
      chunks.push(chunk);
    }
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe('According to [2], "RV32I has 32 integer registers named x0-x31."');
    expect(chunks.filter((c) => c.choices[0]?.finish_reason === 'stop')).toHaveLength(1);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ completion_tokens: 10 });
    expect(hf.requestsTo('router.chat')[0]?.json).toMatchObject({ stream: true });
  });

  it('routes an explicit provider through the Hub mapping to the provider route', async () => {
    const out = await client.chatCompletion({ model: CHAT_MODEL, provider: 'together', messages });
    expect(out.choices[0]?.message.content).toContain('[2]');
    const lookup = hf.requestsTo('hub.model-info')[0];
    expect(lookup?.path).toBe(`/api/models/${CHAT_MODEL}`);
    expect(lookup?.query.getAll('expand[]')).toContain('inferenceProviderMapping');
    const call = hf.requestsTo('router.provider-chat')[0];
    expect(call?.path).toBe('/together/v1/chat/completions');
    expect(call?.json).toMatchObject({ model: `together-hosted/${CHAT_MODEL}` });
  });

  it('serves an endpointUrl (Inference Endpoint / TGI style)', async () => {
    const endpoint = new InferenceClient(TOKEN, { endpointUrl: `${hf.url}/hf-inference/models/Qwen/Qwen2.5-7B-Instruct`, retry_on_error: false });
    const out = await endpoint.chatCompletion({ messages });
    expect(out.choices[0]?.message.content).toContain('32 integer registers');
    expect(hf.requestsTo('hf-inference.chat')[0]?.path).toBe('/hf-inference/models/Qwen/Qwen2.5-7B-Instruct/v1/chat/completions');
  });

  it('rejects an unknown model with the router 400 model_not_found body', async () => {
    const error = await rejection(client.chatCompletion({ model: 'nobody/nothing', messages }));
    expect(error.httpResponse.status).toBe(400);
    expect(error.httpResponse.body).toMatchObject({ error: { code: 'model_not_found' } });
  });
});

describe('hf-inference tasks through the official client', () => {
  it('feature-extraction returns 1-D for a string, 2-D for a list, token-level 3-D for bart', async () => {
    const one = await client.featureExtraction({ model: 'BAAI/bge-small-en-v1.5', provider: 'hf-inference', inputs: 'RV32I registers' });
    expect(one).toHaveLength(384);
    const many = (await client.featureExtraction({
      model: 'BAAI/bge-small-en-v1.5',
      provider: 'hf-inference',
      inputs: ['RV32I registers', 'FDA validation'],
    })) as number[][];
    expect(many.map((row) => row.length)).toEqual([384, 384]);
    expect(many[0]).toEqual(one);
    const tokens = (await client.featureExtraction({ model: 'facebook/bart-base', provider: 'hf-inference', inputs: 'two words' })) as number[][][];
    expect(tokens[0]).toHaveLength(4);
    expect(tokens[0]?.[0]).toHaveLength(768);
    const request = hf.requestsTo('hf-inference.pipeline')[0];
    expect(request?.path).toBe('/hf-inference/models/BAAI/bge-small-en-v1.5/pipeline/feature-extraction');
    expect(request?.json).toEqual({ inputs: 'RV32I registers' });
  });

  it('sentence-similarity scores related sentences higher', async () => {
    const scores = await client.sentenceSimilarity({
      model: 'sentence-transformers/all-MiniLM-L6-v2',
      provider: 'hf-inference',
      inputs: { source_sentence: 'vector registers', sentences: ['the vector registers hold data', 'FDA guidance'] },
    });
    expect(scores).toHaveLength(2);
    expect(scores[0]).toBeGreaterThan(scores[1] ?? 1);
  });

  it('text-classification answers the nested shape the client unwraps', async () => {
    const labels = await client.textClassification({
      model: 'distilbert/distilbert-base-uncased-finetuned-sst-2-english',
      provider: 'hf-inference',
      inputs: 'I like you.',
    });
    expect(labels.map((l) => l.label).sort()).toEqual(['NEGATIVE', 'POSITIVE']);
    expect(labels[0]?.score).toBeGreaterThanOrEqual(labels[1]?.score ?? 1);
  });

  it('a cross-encoder scores a (query, passage) pair', async () => {
    const response = await fetch(`${hf.url}/hf-inference/models/cross-encoder/ms-marco-MiniLM-L6-v2`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ text: 'rv32i registers', text_pair: 'RV32I has 32 registers' }, { text: 'rv32i registers', text_pair: 'FDA' }] }),
    });
    const body = (await response.json()) as Array<Array<{ label: string; score: number }>>;
    expect(body[0]?.[0]?.label).toBe('LABEL_0');
    expect(body[0]?.[0]?.score).toBeGreaterThan(body[1]?.[0]?.score ?? 1);
  });

  it('an unknown hf-inference model is a 404 with the real body', async () => {
    const response = await fetch(`${hf.url}/hf-inference/models/nobody/nothing/pipeline/feature-extraction`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: '{"inputs":"x"}',
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'Model nobody/nothing does not exist' });
  });
});

describe('authentication', () => {
  it('a wrong token gets the real 401 and the client redacts the token', async () => {
    const wrong = new InferenceClient('hf_wrongTokenWrongToken', { fetch: fetchToFake(hf.url), retry_on_error: false });
    const error = await rejection(wrong.chatCompletion({ model: CHAT_MODEL, messages }));
    expect(error.message).toBe('Failed to perform inference: Invalid credentials in Authorization header');
    expect(error.httpResponse.status).toBe(401);
    expect(JSON.stringify(error.httpRequest.headers)).toContain('Bearer [redacted]');
  });
});

describe('every programmable fault, through the official client', () => {
  const expectedStatus: Partial<Record<FaultKind, number>> = {
    auth: 401,
    payment: 402,
    'not-found': 400,
    'bad-input': 422,
    'rate-limit': 429,
    'rate-limit-retry-after': 429,
    loading: 503,
    'server-error': 500,
    unsupported: 422,
  };
  for (const [kind, rule] of Object.entries(hfFaultPresets('router')) as Array<[FaultKind, (typeof hfFaultPresets extends (...a: never[]) => infer R ? R : never)[FaultKind]]>) {
    it(`${kind}`, async () => {
      hf.fault({ ...rule, route: 'router.chat' });
      const status = expectedStatus[kind];
      if (status !== undefined) {
        const error = await rejection(client.chatCompletion({ model: CHAT_MODEL, messages }));
        expect(error.httpResponse.status).toBe(status);
        // The status line is all the client exposes; check the raw wire for the headers.
        const raw = await fetch(`${hf.url}/v1/chat/completions`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${TOKEN}` } });
        expect(raw.status).toBe(status);
        if (kind === 'rate-limit-retry-after') expect(raw.headers.get('retry-after')).toBe('7');
        if (kind === 'rate-limit') expect(raw.headers.get('retry-after')).toBeNull();
        if (kind === 'loading') expect(await raw.json()).toMatchObject({ estimated_time: 20 });
        return;
      }
      if (kind === 'malformed') {
        await expect(client.chatCompletion({ model: CHAT_MODEL, messages })).rejects.toThrow(/JSON|Unexpected|Unterminated/);
        return;
      }
      if (kind === 'hang') {
        const started = Date.now();
        await expect(
          client.chatCompletion({ model: CHAT_MODEL, messages }, { signal: AbortSignal.timeout(150) }),
        ).rejects.toMatchObject({ name: 'TimeoutError' });
        expect(Date.now() - started).toBeLessThan(5000);
        return;
      }
      if (kind === 'unreachable') {
        await expect(client.chatCompletion({ model: CHAT_MODEL, messages })).rejects.toThrow(/fetch failed|socket|closed/i);
        return;
      }
      // drop-mid-stream: the stream delivers its first events, then the connection is cut.
      const deltas: string[] = [];
      await expect(
        (async () => {
          for await (const chunk of client.chatCompletionStream({ model: CHAT_MODEL, messages })) deltas.push(chunk.choices[0]?.delta?.content ?? '');
        })(),
      ).rejects.toThrow(/terminated|socket|closed|aborted/i);
      expect(deltas.length).toBe(2);
    });
  }

  it('the client retries 503 forever unless retry_on_error is false: two 503s then success', async () => {
    hf.fault({ ...hfFaultPresets().loading, route: 'router.chat', times: 2 });
    const retrying = new InferenceClient(TOKEN, { fetch: fetchToFake(hf.url) });
    const out = await retrying.chatCompletion({ model: CHAT_MODEL, messages });
    expect(out.choices[0]?.message.content).toContain('[2]');
    expect(hf.requestsTo('router.chat')).toHaveLength(3);
  });

  it('added latency delays the answer by at least that long', async () => {
    hf.fault({ route: 'router.chat', latencyMs: 120 });
    const started = performance.now();
    await client.chatCompletion({ model: CHAT_MODEL, messages });
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });
});

describe('provider behaviours of chat models, through the official client', () => {
  let quirky: FakeServer;
  let quirkyClient: InferenceClient;
  const user = [{ role: 'user', content: 'Sources:\n[1] RV32I has 32 registers.\n\nQuestion: how many?' }];
  beforeAll(async () => {
    quirky = await startFakeHf({
      models: [
        ...DEFAULT_FAKE_HF_MODELS,
        { id: 'deepseek-ai/DeepSeek-R1', task: 'conversational', providers: ['together'], chat: { reasoning: 'think-tags', stopReason: 'eos', chunkChars: 3 } },
        { id: 'deepseek-ai/DeepSeek-R1-0528', task: 'conversational', providers: ['novita'], chat: { reasoning: 'reasoning_content', noUsage: true, noDone: true } },
        { id: 'tgi/no-template', task: 'conversational', chatTemplate: false },
        { id: 'tgi/eos', task: 'conversational', chat: { eosToken: '</s>', cutLastEvent: true } },
        { id: 'BAAI/bge-base-en-v1.5', task: 'feature-extraction', dimensions: 768, cold: { estimatedTimeS: 30, loadMs: 20 } },
      ],
    });
    quirkyClient = new InferenceClient('hf_quirks', { fetch: fetchToFake(quirky.url), retry_on_error: false });
  });
  afterAll(() => quirky.close());

  it('think tags in the content, a provider finish reason, usage counting the reasoning', async () => {
    const out = await quirkyClient.chatCompletion({ model: 'deepseek-ai/DeepSeek-R1:together', messages: user });
    expect(out.choices[0]?.message.content).toBe(`<think>\n${FAKE_REASONING}\n</think>\n\nAccording to [1], "RV32I has 32 registers."`);
    expect(out.choices[0]?.finish_reason).toBe('eos');
    expect(out.usage).toMatchObject({ completion_tokens: 7 + 14, completion_tokens_details: { reasoning_tokens: 14 } });
  });

  it('streams tags split across events, and reasoning_content deltas without usage or [DONE]', async () => {
    const pieces: string[] = [];
    for await (const c of quirkyClient.chatCompletionStream({ model: 'deepseek-ai/DeepSeek-R1:together', messages: user })) pieces.push(c.choices[0]?.delta?.content ?? '');
    expect(pieces).toContain('<th');
    const reasoning: string[] = [];
    const chunks = [];
    for await (const c of quirkyClient.chatCompletionStream({ model: 'deepseek-ai/DeepSeek-R1-0528:novita', messages: user, stream_options: { include_usage: true } })) {
      chunks.push(c);
      const delta = c.choices[0]?.delta as { reasoning_content?: string } | undefined;
      if (delta?.reasoning_content) reasoning.push(delta.reasoning_content);
    }
    expect(reasoning.join('')).toBe(FAKE_REASONING);
    expect(chunks.some((c) => c.usage)).toBe(false);
    const raw = await fetch(`${quirky.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'deepseek-ai/DeepSeek-R1-0528:novita', messages: user, stream: true }) });
    expect(await raw.text()).not.toContain('[DONE]');
  });

  it('a stream cut inside its last event ends for the client as if it were complete', async () => {
    const chunks = [];
    for await (const c of quirkyClient.chatCompletionStream({ model: 'tgi/eos', messages: user })) chunks.push(c);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.some((c) => c.choices[0]?.finish_reason)).toBe(false);
    const raw = await (await fetch(`${quirky.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'tgi/eos', messages: user, stream: true }) })).text();
    expect(raw.endsWith('\n')).toBe(false);
  });

  it('a leftover </s> and a model without a chat template (422 template error)', async () => {
    const out = await quirkyClient.chatCompletion({ model: 'tgi/eos', messages: user });
    expect(out.choices[0]?.message.content).toMatch(/<\/s>$/);
    const error = await rejection(quirkyClient.chatCompletion({ model: 'tgi/no-template', messages: user }));
    expect(error.httpResponse.status).toBe(422);
    expect(error.message).toContain('Template error: template not found');
  });

  it('a cold hf-inference model answers 503 loading until a request waits for it (x-wait-for-model)', async () => {
    const embed = (headers?: Record<string, string>) =>
      fetch(`${quirky.url}/hf-inference/models/BAAI/bge-base-en-v1.5/pipeline/feature-extraction`, { method: 'POST', body: '{"inputs":["a"]}', headers: { 'content-type': 'application/json', ...headers } });
    const cold = await embed();
    expect(cold.status).toBe(503);
    expect(await cold.json()).toEqual({ error: 'Model BAAI/bge-base-en-v1.5 is currently loading', estimated_time: 30 });
    expect((await embed({ 'x-wait-for-model': 'true' })).status).toBe(200);
    expect((await embed()).status).toBe(200);
  });
});
