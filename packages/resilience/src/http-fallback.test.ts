import {
  BackendUnreachableError,
  createUsageEvent,
  errorFromException,
  errorFromHttpResponse,
  estimateTokens,
  type ChatCallOptions,
  type ChatModelV1,
  type ChatStreamPart,
} from '@ragbridge/core-interfaces';
import { ollamaFaultPresets, startFakeOllama, type FakeServer } from '@ragbridge/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collectStream, streamedText } from './__fixtures__/scripted-models.js';
import { createFallbackChatModel } from './fallback-chain.js';
import { getStreamInterruption } from './resilience-errors.js';

// Over real HTTP: two fake Ollama servers speaking the real wire format, with faults injected at
// the socket level (status codes with Retry-After, hung requests, connections cut mid-stream).
// Libraries may not import adapters, so this is a deliberately small fetch client for
// /api/chat; its errors come from the same mapping the adapters use.
function tinyOllamaChat(baseUrl: string): ChatModelV1 {
  const backend = 'ollama';
  const modelId = 'llama3.2:3b';
  const target = { backend, modelId, endpoint: `${baseUrl}/api/chat` };
  async function post(call: ChatCallOptions, stream: boolean): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(target.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: modelId, messages: call.messages, stream }),
        ...(call.abortSignal && { signal: call.abortSignal }),
      });
    } catch (error) {
      throw errorFromException(error, target, call.abortSignal);
    }
    if (!response.ok) {
      throw errorFromHttpResponse({ ...target, status: response.status, headers: response.headers, body: await response.text() });
    }
    return response;
  }
  const usage = (startedAt: number, text: string, streamed: boolean) =>
    createUsageEvent({ backend, modelId, operation: 'chat', inputTokens: 10, outputTokens: estimateTokens(text), startedAt, latencyMs: Date.now() - startedAt, streamed });
  return {
    specificationVersion: 'v1',
    backend,
    modelId,
    async generate(call) {
      const startedAt = Date.now();
      const response = await post(call, false);
      const body = (await response.json()) as { message: { content: string } };
      return { text: body.message.content, finishReason: 'stop', usage: usage(startedAt, body.message.content, false) };
    },
    async *stream(call): AsyncGenerator<ChatStreamPart> {
      const startedAt = Date.now();
      const response = await post(call, true);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      let text = '';
      try {
        for (;;) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (error) {
            throw errorFromException(error, target, call.abortSignal);
          }
          if (chunk.done) throw new BackendUnreachableError({ ...target, message: 'The stream ended before its last event' });
          buffer += decoder.decode(chunk.value, { stream: true });
          let newline: number;
          while ((newline = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, newline).trim();
            buffer = buffer.slice(newline + 1);
            if (!line) continue;
            const event = JSON.parse(line) as { message?: { content?: string }; done: boolean };
            if (event.done) {
              yield { type: 'finish', finishReason: 'stop', usage: usage(startedAt, text, true) };
              return;
            }
            const delta = event.message?.content ?? '';
            text += delta;
            yield { type: 'text-delta', delta };
          }
        }
      } finally {
        await reader.cancel().catch(() => undefined);
      }
    },
  };
}

const PROMPT = {
  messages: [{ role: 'user' as const, content: 'Sources:\n[1] The RV32I base integer instruction set has 32 general-purpose registers.\n\nQuestion: How many registers does RV32I have?' }],
};

let primary: FakeServer;
let backup: FakeServer;

beforeAll(async () => {
  primary = await startFakeOllama();
  backup = await startFakeOllama();
});
afterAll(async () => {
  await primary.close();
  await backup.close();
});
beforeEach(() => {
  for (const server of [primary, backup]) {
    server.clearFaults();
    server.clearRequests();
  }
});

function chain(options: Parameters<typeof createFallbackChatModel>[1] = {}): ChatModelV1 {
  return createFallbackChatModel(
    [
      { model: tinyOllamaChat(primary.url), key: 'ollama-primary' },
      { model: tinyOllamaChat(backup.url), key: 'ollama-backup' },
    ],
    options,
  );
}

describe('fallback chain over HTTP against fake Ollama servers', () => {
  it('falls back to the second server when the first answers 500', async () => {
    primary.fault(ollamaFaultPresets['server-error']);
    const result = await chain({ retry: { maxAttempts: 2, initialDelayMs: 5 } }).generate(PROMPT);
    expect(result.text).toContain('32 general-purpose registers');
    expect(result.usage.fallbackStep).toBe(1);
    expect(primary.requestsTo('ollama.chat')).toHaveLength(2);
    expect(backup.requestsTo('ollama.chat')).toHaveLength(1);
  });

  it('waits out a Retry-After header and then gets the answer from the same server', async () => {
    primary.fault({ status: 429, body: { error: 'too many requests' }, headers: { 'retry-after': '0.3' }, times: 1 });
    const started = Date.now();
    const result = await chain({ retry: { initialDelayMs: 1, jitter: 0 } }).generate(PROMPT);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(result.usage.fallbackStep).toBe(0);
    expect(primary.requestsTo('ollama.chat')).toHaveLength(2);
    expect(backup.requests).toHaveLength(0);
  });

  it('falls back invisibly when the first stream fails before any event', async () => {
    primary.fault(ollamaFaultPresets.unreachable); // connection destroyed without a response
    const { parts, error } = await collectStream(chain({ retry: false }).stream(PROMPT));
    expect(error).toBeUndefined();
    expect(streamedText(parts)).toContain('32 general-purpose registers');
    expect(parts.at(-1)).toMatchObject({ type: 'finish', usage: { fallbackStep: 1 } });
  });

  it('ends with a typed error, never a spliced answer, when the connection is cut mid-stream', async () => {
    primary.fault(ollamaFaultPresets['drop-mid-stream']); // two NDJSON events, then the socket is destroyed
    const { parts, error } = await collectStream(chain({ retry: false }).stream(PROMPT));
    expect(BackendUnreachableError.isInstance(error)).toBe(true);
    expect(parts.filter((p) => p.type === 'text-delta')).toHaveLength(2);
    expect(parts.some((p) => p.type === 'finish')).toBe(false);
    expect(getStreamInterruption(error)).toMatchObject({ step: 0, deliveredDeltas: 2 });
    expect(backup.requests).toHaveLength(0);
  });

  it('abandons a hung server after the timeout and answers from the backup', async () => {
    primary.fault(ollamaFaultPresets.hang);
    const started = Date.now();
    const result = await chain({ timeoutMs: 250, retry: false }).generate(PROMPT);
    expect(result.usage.fallbackStep).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
