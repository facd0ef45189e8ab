import type { ChatStreamPart } from '@ragbridge/core-interfaces';
import { BadInputError, RequestTimeoutError } from '@ragbridge/core-interfaces';
import { afterAll, describe, expect, it } from 'vitest';
import { OFFLINE, TINY_CHAT, WorkerTrafficLog } from './__fixtures__/test-models.js';
import { createTransformersChatModel, type TransformersChatModel } from './transformers-chat-model.js';

// The tiny model's LM head encodes one reply: greedy decoding after the generation prompt says
// "Hello from a tiny test model." and then emits <|im_end|> (8 tokens in all).
const REPLY = 'Hello from a tiny test model.';

const traffic = new WorkerTrafficLog();
const created: TransformersChatModel[] = [];
function chat(): TransformersChatModel {
  const model = createTransformersChatModel({ ...OFFLINE, model: TINY_CHAT });
  created.push(model);
  return model;
}
afterAll(async () => {
  traffic.stop();
  await Promise.all(created.map((m) => m.dispose()));
});

async function collect(stream: AsyncIterable<ChatStreamPart>): Promise<ChatStreamPart[]> {
  const parts: ChatStreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

function deltas(parts: ChatStreamPart[]): string[] {
  return parts.flatMap((p) => (p.type === 'text-delta' ? [p.delta] : []));
}

const USER = [{ role: 'user' as const, content: 'Say hello.' }];

describe('createTransformersChatModel', () => {
  it('renders the conversation with the chat template and generates until the end-of-sequence token', async () => {
    const model = chat();
    const result = await model.generate({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello.' },
      ],
    });
    expect(result.text).toBe(REPLY);
    expect(result.finishReason).toBe('stop');
    const answer = traffic.responses.findLast((r) => r.type === 'generated');
    expect(answer?.type === 'generated' && answer.prompt).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nSay hello.<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(result.usage).toMatchObject({ operation: 'chat', streamed: false, outputTokens: 8, tokensEstimated: false });
    // Byte-level BPE: 5 special tokens, the merged words system/user/assistant, 5 newlines and
    // one token per byte of the two contents (ASCII).
    expect(result.usage.inputTokens).toBe(5 + 3 + 5 + 'Be brief.'.length + 'Say hello.'.length);
  });

  it('streams word by word what generate returns, then one finish part with usage', async () => {
    const parts = await collect(chat().stream({ messages: USER }));
    expect(deltas(parts)).toEqual(['Hello ', 'from ', 'a ', 'tiny ', 'test ', 'model.']);
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop', usage: { streamed: true, outputTokens: 8 } });
  });

  it('stops at maxTokens with finish reason length', async () => {
    const model = chat();
    const result = await model.generate({ messages: USER, maxTokens: 3 });
    expect(result).toMatchObject({ text: 'Hello from a', finishReason: 'length', usage: { outputTokens: 3 } });
    const parts = await collect(model.stream({ messages: USER, maxTokens: 3 }));
    expect(deltas(parts).join('')).toBe('Hello from a');
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'length' });
  });

  it('cuts at a stop sequence, also one spanning tokens, and never streams part of it', async () => {
    const model = chat();
    expect(await model.generate({ messages: USER, stop: ['tiny'] })).toMatchObject({ text: 'Hello from a ', finishReason: 'stop' });
    const parts = await collect(model.stream({ messages: USER, stop: ['m a t'] }));
    expect(deltas(parts).join('')).toBe('Hello fro');
    expect(deltas(parts).some((d) => d.includes('m'))).toBe(false);
    const finish = parts.at(-1);
    expect(finish).toMatchObject({ type: 'finish', finishReason: 'stop' });
    // Generation stopped soon after the stop sequence rather than running to the end.
    expect(finish?.type === 'finish' && finish.usage.outputTokens).toBeLessThan(8);
  });

  it('rejects a prompt longer than the context window with BadInputError saying both sizes', async () => {
    const error = await chat()
      .generate({ messages: [{ role: 'user', content: 'registers '.repeat(200) }] })
      .catch((e: unknown) => e);
    expect(BadInputError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/The prompt has \d+ tokens, but the model's context window is 1024 tokens/);
  });

  it('rejects malformed calls before loading the model', async () => {
    const model = createTransformersChatModel({ ...OFFLINE, model: 'ragbridge-test/never-loaded' });
    for (const call of [
      { messages: [{ role: 'robot', content: 'x' }] as never },
      { messages: USER, maxTokens: 0 },
      { messages: USER, temperature: -1 },
    ]) {
      await expect(model.generate(call)).rejects.toSatisfy((e: unknown) => BadInputError.isInstance(e));
    }
    expect(model.getLoadedModelInfo()).toBeUndefined();
  });

  it('uses SmolLM2-135M-Instruct by default', () => {
    expect(createTransformersChatModel().modelId).toBe('HuggingFaceTB/SmolLM2-135M-Instruct');
  });

  it('maps a deadline abort to RequestTimeoutError and keeps serving', async () => {
    const model = chat();
    await model.load();
    const controller = new AbortController();
    const stream = model.stream({ messages: USER, abortSignal: controller.signal });
    controller.abort(new DOMException('deadline', 'TimeoutError'));
    await expect(collect(stream)).rejects.toSatisfy((e: unknown) => RequestTimeoutError.isInstance(e));
    expect((await model.generate({ messages: USER })).text).toBe(REPLY);
    expect(model.getLoadedModelInfo()).toMatchObject({ task: 'text-generation', maxInputTokens: 1024 });
  });
});
