import { BackendUnreachableError, UnsupportedRequestError, type ChatCallOptions, type ChatStreamPart } from '@ragbridge/core-interfaces';
import { DEFAULT_FAKE_HF_MODELS, FAKE_REASONING, fetchToFake, startFakeHf, type FakeHfChatBehaviour, type FakeHfModel } from '@ragbridge/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TEMPLATE_SAMPLES } from './internal/__fixtures__/chat-template-samples.js';
import { createHfChatModel } from './index.js';

// How the providers behind the router really answer, each on the fake services built from their
// public wire formats: finish reasons, reasoning, end-of-sequence tokens, usage, stream ends.

const TOKEN = 'hf_providerFidelityToken123456';
const ANSWER = 'According to [1], "RV32I has 32 registers."';

const chatModel = (id: string, chat: FakeHfChatBehaviour, extra: Partial<FakeHfModel> = {}): FakeHfModel => ({ id, task: 'conversational', providers: ['together'], chat, ...extra });
const hf = await startFakeHf({
  token: TOKEN,
  models: [
    ...DEFAULT_FAKE_HF_MODELS,
    chatModel('tgi/eos-reason', { stopReason: 'eos', lengthReason: 'max_tokens' }),
    chatModel('anthropic-style/end-turn', { stopReason: 'end_turn' }),
    chatModel('moderated/model', { stopReason: 'content_filter' }),
    chatModel('tools/model', { stopReason: 'tool_calls' }),
    chatModel('deepseek-ai/DeepSeek-V3.1', { reasoning: 'think-tags', chunkChars: 3 }),
    chatModel('deepseek-ai/DeepSeek-R1', { reasoning: 'think-close-only', chunkChars: 4 }),
    chatModel('reasoning/content-field', { reasoning: 'reasoning_content' }),
    chatModel('reasoning/reasoning-field', { reasoning: 'reasoning', chunkChars: 5 }),
    chatModel('tgi/leftover-eos', { eosToken: '</s>', chunkChars: 2 }),
    chatModel('meta-llama/Llama-3.3-70B-Instruct', { noUsage: true, eosToken: '<|eot_id|>' }),
    chatModel('tgi/old-no-done', { noDone: true }),
    chatModel('tgi/cut-last-event', { cutLastEvent: true }),
    chatModel('tgi/no-template', {}, { chatTemplate: false }),
  ],
});
afterAll(() => hf.close());
afterEach(() => {
  hf.clearFaults();
  hf.clearRequests();
});

const CALL: ChatCallOptions = { messages: [{ role: 'user', content: 'Sources:\n[1] RV32I has 32 registers.\n\nQuestion: how many?' }] };
const model = (id: string) => createHfChatModel({ model: id, token: TOKEN, fetch: fetchToFake(hf.url) });

async function collect(stream: AsyncIterable<ChatStreamPart>): Promise<{ parts: ChatStreamPart[]; text: string; finish: Extract<ChatStreamPart, { type: 'finish' }> | undefined }> {
  const parts: ChatStreamPart[] = [];
  for await (const part of stream) parts.push(part);
  const text = parts.map((p) => (p.type === 'text-delta' ? p.delta : '')).join('');
  return { parts, text, finish: parts.find((p): p is Extract<ChatStreamPart, { type: 'finish' }> => p.type === 'finish') };
}

describe('finish reasons as providers spell them', () => {
  const cases: Array<[string, ChatCallOptions, string]> = [
    ['tgi/eos-reason', CALL, 'stop'],
    ['tgi/eos-reason', { ...CALL, maxTokens: 2 }, 'length'],
    ['anthropic-style/end-turn', CALL, 'stop'],
    ['moderated/model', CALL, 'content-filter'],
    ['tools/model', CALL, 'other'],
  ];
  for (const [id, call, expected] of cases) {
    it(`${id}${call.maxTokens ? ' cut by max_tokens' : ''} → ${expected}, in generate and stream`, async () => {
      expect((await model(id).generate(call)).finishReason).toBe(expected);
      expect((await collect(model(id).stream(call))).finish?.finishReason).toBe(expected);
    });
  }
});

describe('streams that end early', () => {
  it('a stream cut in its last event (no finish reason, no [DONE]) fails like a cut connection, after the text it delivered', async () => {
    const deltas: string[] = [];
    const error = await (async () => {
      for await (const part of model('tgi/cut-last-event').stream(CALL)) if (part.type === 'text-delta') deltas.push(part.delta);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(BackendUnreachableError.isInstance(error)).toBe(true);
    expect((error as BackendUnreachableError).isRetryable).toBe(true);
    expect((error as Error).message).toMatch(/no finish reason and no \[DONE\]/);
    expect(deltas.join('')).toBe(ANSWER.split(' ').slice(0, -1).join(' ') + ' ');
  });

  it('a stream with a finish reason but no [DONE] (old TGI) is complete', async () => {
    const { text, finish } = await collect(model('tgi/old-no-done').stream(CALL));
    expect(text).toBe(ANSWER);
    expect(finish?.finishReason).toBe('stop');
  });

  it('a stream with [DONE] but no finish reason is complete, with finish reason other', async () => {
    const body =
      'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\ndata: [DONE]\n\n';
    hf.fault({ route: 'router.chat', status: 200, contentType: 'text/event-stream', body, times: 1 });
    const { text, finish } = await collect(model('tgi/old-no-done').stream(CALL));
    expect(text).toBe('Hi');
    expect(finish?.finishReason).toBe('other');
  });

  it('an empty event stream is a cut, not an empty answer', async () => {
    hf.fault({ route: 'router.chat', status: 200, contentType: 'text/event-stream', body: '', times: 1 });
    await expect(collect(model('tgi/old-no-done').stream(CALL))).rejects.toMatchObject({ name: 'BackendUnreachableError' });
  });
});

describe('reasoning kept apart from the answer', () => {
  for (const id of ['deepseek-ai/DeepSeek-V3.1', 'deepseek-ai/DeepSeek-R1', 'reasoning/content-field', 'reasoning/reasoning-field']) {
    it(`${id}: the answer has no reasoning, the reasoning comes on its own, and usage counts its tokens`, async () => {
      const result = await model(id).generate(CALL);
      expect(result.text).toBe(ANSWER);
      expect(result.reasoning?.trim()).toBe(FAKE_REASONING);
      expect(result.usage).toMatchObject({ outputTokens: 7 + 14, reasoningTokens: 14, tokensEstimated: false });
      const { parts, text, finish } = await collect(model(id).stream(CALL));
      expect(text).toBe(ANSWER);
      expect(parts.filter((p) => p.type === 'text-delta').every((p) => p.type === 'text-delta' && !/think|sources\. Source/.test(p.delta))).toBe(true);
      expect(finish?.reasoning?.trim()).toBe(FAKE_REASONING);
      expect(finish?.usage).toMatchObject({ outputTokens: 7 + 14, reasoningTokens: 14 });
    });
  }
});

describe('end-of-sequence tokens and missing usage', () => {
  it('a literal </s> split across stream chunks never reaches the answer', async () => {
    expect((await model('tgi/leftover-eos').generate(CALL)).text).toBe(ANSWER);
    const { parts, text } = await collect(model('tgi/leftover-eos').stream(CALL));
    expect(text).toBe(ANSWER);
    expect(parts.some((p) => p.type === 'text-delta' && p.delta.includes('<'))).toBe(false);
  });

  it('without usage, the input estimate includes the Llama 3.x template (and <|eot_id|> is stripped)', async () => {
    const call = { messages: TEMPLATE_SAMPLES.withSystem };
    const result = await model('meta-llama/Llama-3.3-70B-Instruct').generate(call);
    expect(result.text).not.toContain('<|eot_id|>');
    expect(result.usage.tokensEstimated).toBe(true);
    // 88 tokens with Llama 3's tokenizer and the public 3.1–3.3 template (bench/chat-template-tokens.ts); text alone is 60.
    expect(result.usage.inputTokens).toBe(95);
    const { finish } = await collect(model('meta-llama/Llama-3.3-70B-Instruct').stream(call));
    expect(finish?.usage).toMatchObject({ inputTokens: 95, tokensEstimated: true });
  });
});

describe('answers that mean "this model cannot serve this request"', () => {
  it('a model without a chat template (TGI 422 template error) is an UnsupportedRequestError, so a fallback chain moves on', async () => {
    const error = await model('tgi/no-template').generate(CALL).catch((e: unknown) => e);
    expect(UnsupportedRequestError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 422, isRetryable: false });
    await expect(collect(model('tgi/no-template').stream(CALL))).rejects.toMatchObject({ name: 'UnsupportedRequestError' });
  });
});
