import {
  AuthenticationError,
  BackendUnreachableError,
  BadInputError,
  InvalidResponseError,
  ModelNotFoundError,
  RequestTimeoutError,
  ServerError,
  type ChatMessage,
  type ChatStreamPart,
} from '@ragbridge/core-interfaces';
import { composeGroundedReply } from '@ragbridge/core-interfaces/testing';
import { startFakeOllama, type FakeServer } from '@ragbridge/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { closedPortUrl, signalRecordingFetch } from './__fixtures__/network.js';
import { createOllamaChatModel } from './ollama-chat-model.js';

const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'Answer from the numbered sources and cite them as [n].' },
  {
    role: 'user',
    content: 'Sources:\n[1] The base ISA has 32 general-purpose registers.\n[2] The mstatus.MIE bit enables machine-mode interrupts.\n\nQuestion: Which bit enables interrupts?',
  },
];
const REPLY = composeGroundedReply(MESSAGES);

let server: FakeServer;

beforeAll(async () => {
  server = await startFakeOllama();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.clearFaults();
  server.clearRequests();
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

async function collect(stream: AsyncIterable<ChatStreamPart>): Promise<{ parts: ChatStreamPart[]; error?: unknown }> {
  const parts: ChatStreamPart[] = [];
  try {
    for await (const part of stream) parts.push(part);
  } catch (error) {
    return { parts, error };
  }
  return { parts };
}

async function rejection(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** What the fake answers to `body` when asked directly, to compare the adapter's mapping with. */
async function directChat(body: object): Promise<{ prompt_eval_count: number; eval_count: number; done_reason: string; message: { content: string } }> {
  const response = await fetch(`${server.url}/api/chat`, { method: 'POST', body: JSON.stringify({ ...body, stream: false }) });
  return (await response.json()) as { prompt_eval_count: number; eval_count: number; done_reason: string; message: { content: string } };
}

describe('createOllamaChatModel: what it sends and returns', () => {
  it('generate() posts stream:false with keep_alive and options, and maps the reply and usage', async () => {
    const model = createOllamaChatModel({
      model: 'llama3.2:3b',
      host: server.url,
      headers: { 'X-Proxy-Key': 'proxy-key-1234567' },
      keepAlive: '10m',
      numCtx: 4096,
      temperature: 0.7,
      maxTokens: 500,
      topP: 0.9,
      seed: 7,
    });
    const result = await model.generate({ messages: MESSAGES, temperature: 0, maxTokens: 64, stop: ['\n\n'] });

    const [request] = server.requestsTo('ollama.chat');
    expect(request).toMatchObject({ method: 'POST', path: '/api/chat' });
    expect(request?.headers).toMatchObject({ 'content-type': 'application/json', 'x-proxy-key': 'proxy-key-1234567' });
    expect(request?.headers['user-agent']).toMatch(/^ollama-js\//);
    expect(request?.json).toEqual({
      model: 'llama3.2:3b',
      messages: MESSAGES,
      stream: false,
      keep_alive: '10m',
      options: { num_ctx: 4096, top_p: 0.9, temperature: 0, num_predict: 64, seed: 7, stop: ['\n\n'] },
    });

    const direct = await directChat(request?.json as object);
    expect(result.text).toBe(REPLY);
    expect(result.finishReason).toBe('stop');
    expect(result.usage).toMatchObject({
      backend: 'ollama',
      modelId: 'llama3.2:3b',
      operation: 'chat',
      streamed: false,
      inputTokens: direct.prompt_eval_count,
      outputTokens: direct.eval_count,
      tokensEstimated: false,
      items: 1,
    });
  });

  it('stream() posts stream:true, yields the reply word by word, and ends with one finish part carrying the final counts', async () => {
    const model = createOllamaChatModel({ model: 'llama3.2:3b', host: server.url });
    const { parts, error } = await collect(model.stream({ messages: MESSAGES }));

    expect(error).toBeUndefined();
    const body = server.requestsTo('ollama.chat')[0]?.json;
    expect(body).toEqual({ model: 'llama3.2:3b', messages: MESSAGES, stream: true });
    const deltas = parts.filter((p) => p.type === 'text-delta');
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.map((p) => p.delta).join('')).toBe(REPLY);
    const direct = await directChat(body as object);
    expect(parts.at(-1)).toMatchObject({
      type: 'finish',
      finishReason: 'stop',
      usage: { streamed: true, inputTokens: direct.prompt_eval_count, outputTokens: direct.eval_count, tokensEstimated: false },
    });
    expect(parts.filter((p) => p.type === 'finish')).toHaveLength(1);
  });

  it('maps done_reason "length" to finishReason "length"', async () => {
    const model = createOllamaChatModel({ model: 'llama3.2:3b', host: server.url });
    const result = await model.generate({ messages: MESSAGES, maxTokens: 3 });
    expect(result.finishReason).toBe('length');
    expect(result.usage.outputTokens).toBe(3);
    const { parts } = await collect(model.stream({ messages: MESSAGES, maxTokens: 3 }));
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'length' });
  });

  it('sends think:false and extra Modelfile options, the named options winning', async () => {
    const model = createOllamaChatModel({ model: 'llama3.2:3b', host: server.url, think: false, numCtx: 2048, options: { repeat_penalty: 1.1, num_ctx: 99 } });
    await model.generate({ messages: MESSAGES });
    expect(server.requestsTo('ollama.chat')[0]?.json).toMatchObject({ think: false, options: { repeat_penalty: 1.1, num_ctx: 2048 } });
  });

  it('reads OLLAMA_HOST at call time and accepts host:port without a scheme', async () => {
    vi.stubEnv('OLLAMA_HOST', 'http://127.0.0.1:9');
    const model = createOllamaChatModel({ model: 'llama3.2:3b' });
    vi.stubEnv('OLLAMA_HOST', server.url.replace('http://', ''));
    const result = await model.generate({ messages: MESSAGES });
    expect(result.text).toBe(REPLY);
    expect(server.requestsTo('ollama.chat')).toHaveLength(1);
  });

  it('sends credentials written in the host as a Basic authorization header', async () => {
    const host = server.url.replace('http://', 'http://proxyuser:proxy-pass-998877@');
    const model = createOllamaChatModel({ model: 'llama3.2:3b', host });
    await model.generate({ messages: MESSAGES });
    expect(server.requestsTo('ollama.chat')[0]?.headers.authorization).toBe(`Basic ${Buffer.from('proxyuser:proxy-pass-998877').toString('base64')}`);
  });
});

describe('createOllamaChatModel: input and option checks', () => {
  it('rejects a call without messages before sending anything', async () => {
    const model = createOllamaChatModel({ model: 'llama3.2:3b', host: server.url });
    expect(BadInputError.isInstance(await rejection(() => model.generate({ messages: [] })))).toBe(true);
    expect(BadInputError.isInstance((await collect(model.stream({ messages: [] }))).error)).toBe(true);
    expect(server.requests).toHaveLength(0);
  });

  it('rejects a non-positive maxTokens and a negative temperature instead of passing them on', async () => {
    const model = createOllamaChatModel({ model: 'llama3.2:3b', host: server.url });
    expect((await rejection(() => model.generate({ messages: MESSAGES, maxTokens: -1 })) as Error).message).toContain('maxTokens must be a positive integer');
    expect(BadInputError.isInstance(await rejection(() => model.generate({ messages: MESSAGES, temperature: -0.5 })))).toBe(true);
    expect(server.requests).toHaveLength(0);
  });

  it('rejects unknown and invalid options with BadInputError naming the field', () => {
    expect(() => createOllamaChatModel({ model: 'llama3.2:3b', temprature: 1 } as never)).toThrow(/temprature/);
    expect(() => createOllamaChatModel({ model: '' })).toThrow(/model/);
    const badKeepAlive = (() => {
      try {
        createOllamaChatModel({ model: 'llama3.2:3b', keepAlive: '5 minutes' });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(BadInputError.isInstance(badKeepAlive)).toBe(true);
    expect((badKeepAlive as Error).message).toMatch(/keepAlive/);
  });
});

describe('createOllamaChatModel: failures', () => {
  it('server down: BackendUnreachableError that names the host and says to start Ollama', async () => {
    const host = await closedPortUrl();
    const model = createOllamaChatModel({ model: 'llama3.2:3b', host });

    const error = await rejection(() => model.generate({ messages: MESSAGES }));
    expect(BackendUnreachableError.isInstance(error)).toBe(true);
    expect((error as BackendUnreachableError).isRetryable).toBe(true);
    expect((error as Error).message).toContain(`Ollama is not running at ${host}`);
    expect((error as Error).message).toContain('ollama serve');
    expect((error as Error).message).toContain('llama3.2:3b');

    const streamed = await collect(model.stream({ messages: MESSAGES }));
    expect(streamed.parts).toEqual([]);
    expect(BackendUnreachableError.isInstance(streamed.error)).toBe(true);
  });

  it('model not pulled: ModelNotFoundError telling to run `ollama pull <model>`, from generate and stream', async () => {
    const model = createOllamaChatModel({ model: 'qwen2.5:7b', host: server.url });

    const error = await rejection(() => model.generate({ messages: MESSAGES }));
    expect(ModelNotFoundError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 404, responseBody: `{"error":"model 'qwen2.5:7b' not found"}` });
    expect((error as Error).message).toContain('Run `ollama pull qwen2.5:7b`.');

    const streamed = await collect(model.stream({ messages: MESSAGES }));
    expect(streamed.parts).toEqual([]);
    expect(ModelNotFoundError.isInstance(streamed.error)).toBe(true);
    expect(server.requestsTo('ollama.chat').map((r) => (r.json as { stream: boolean }).stream)).toEqual([false, true]);
  });

  it('a 404 without a model in it (no such route) does not tell to pull the model', async () => {
    server.fault({ route: 'ollama.chat', status: 404, body: '404 page not found', contentType: 'text/plain' });
    const error = await rejection(() => createOllamaChatModel({ model: 'llama3.2:3b', host: server.url }).generate({ messages: MESSAGES }));
    expect(ModelNotFoundError.isInstance(error)).toBe(true);
    expect((error as Error).message).not.toContain('ollama pull');
    expect((error as Error).message).toContain('has no /api/chat endpoint');
  });

  it('stream cut mid-way: the deltas so far, then BackendUnreachableError and no finish part', async () => {
    server.fault({ route: 'ollama.chat', dropAfterEvents: 3 });
    const model = createOllamaChatModel({ model: 'llama3.2:3b', host: server.url });
    const { parts, error } = await collect(model.stream({ messages: MESSAGES }));

    expect(parts).toHaveLength(3);
    expect(parts.every((p) => p.type === 'text-delta')).toBe(true);
    expect(BackendUnreachableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('llama3.2:3b');
  });

  it('a stream that ends cleanly without its "done" line is a cut connection too', async () => {
    const lines = ['Hello ', 'world'].map((content) => JSON.stringify({ model: 'llama3.2:3b', message: { role: 'assistant', content }, done: false }));
    server.fault({ route: 'ollama.chat', status: 200, body: `${lines.join('\n')}\n`, contentType: 'application/x-ndjson' });
    const { parts, error } = await collect(createOllamaChatModel({ model: 'llama3.2:3b', host: server.url }).stream({ messages: MESSAGES }));

    expect(parts).toEqual([
      { type: 'text-delta', delta: 'Hello ' },
      { type: 'text-delta', delta: 'world' },
    ]);
    expect(BackendUnreachableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('final "done" line');
  });

  it('an {"error"} line mid-stream becomes a ServerError carrying Ollama\'s message', async () => {
    const body = [
      JSON.stringify({ model: 'llama3.2:3b', message: { role: 'assistant', content: 'Partial ' }, done: false }),
      JSON.stringify({ error: 'llama runner process has terminated: signal: killed' }),
    ].join('\n');
    server.fault({ route: 'ollama.chat', status: 200, body: `${body}\n`, contentType: 'application/x-ndjson' });
    const { parts, error } = await collect(createOllamaChatModel({ model: 'llama3.2:3b', host: server.url }).stream({ messages: MESSAGES }));

    expect(parts).toEqual([{ type: 'text-delta', delta: 'Partial ' }]);
    expect(ServerError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('llama runner process has terminated: signal: killed');
  });

  it('a garbled stream is an InvalidResponseError with the bad line, and the client logs nothing', async () => {
    const warn = vi.spyOn(console, 'warn');
    const good = JSON.stringify({ model: 'llama3.2:3b', message: { role: 'assistant', content: 'Hi' }, done: false });
    server.fault({ route: 'ollama.chat', status: 200, body: `${good}\n<html>proxy error</html>\n`, contentType: 'application/x-ndjson' });
    const { parts, error } = await collect(createOllamaChatModel({ model: 'llama3.2:3b', host: server.url }).stream({ messages: MESSAGES }));

    expect(parts).toEqual([{ type: 'text-delta', delta: 'Hi' }]);
    expect(InvalidResponseError.isInstance(error)).toBe(true);
    expect((error as InvalidResponseError).responseBody).toBe('<html>proxy error</html>');
    expect(warn).not.toHaveBeenCalled();
  });

  it('keeps an auth-proxy key out of errors even when the proxy echoes it', async () => {
    const key = 'sk-proxy-7c1e9d2b4a6f8e0d';
    server.fault({ route: 'ollama.chat', status: 401, body: { error: `invalid key ${key}` } });
    const model = createOllamaChatModel({ model: 'llama3.2:3b', host: server.url, headers: { 'X-Api-Key': key } });
    const error = await rejection(() => model.generate({ messages: MESSAGES }));

    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(server.requestsTo('ollama.chat')[0]?.headers['x-api-key']).toBe(key);
    const typed = error as AuthenticationError;
    for (const text of [typed.message, typed.responseBody ?? '', JSON.stringify(typed)]) expect(text).not.toContain(key);
    expect(typed.message).toContain('[redacted]');
    expect(typed.message).toContain('proxy');
  });
});

describe('createOllamaChatModel: abort', () => {
  it('abort mid-stream rejects with the caller\'s reason, yields nothing more, and aborts the HTTP request', async () => {
    const recorder = signalRecordingFetch();
    const model = createOllamaChatModel({ model: 'llama3.2:3b', host: server.url, fetch: recorder.fetch });
    const controller = new AbortController();
    const reason = new DOMException('The user left', 'AbortError');
    const parts: ChatStreamPart[] = [];
    const error = await rejection(async () => {
      for await (const part of model.stream({ messages: MESSAGES, abortSignal: controller.signal })) {
        parts.push(part);
        controller.abort(reason);
      }
    });

    expect(error).toBe(reason);
    expect(parts).toHaveLength(1);
    expect(recorder.signals).toHaveLength(1);
    expect(recorder.signals[0]?.aborted).toBe(true);
  });

  it('a deadline (TimeoutError reason) mid-stream becomes RequestTimeoutError', async () => {
    const model = createOllamaChatModel({ model: 'llama3.2:3b', host: server.url });
    const controller = new AbortController();
    const error = await rejection(async () => {
      for await (const _part of model.stream({ messages: MESSAGES, abortSignal: controller.signal })) {
        controller.abort(new DOMException('deadline', 'TimeoutError'));
      }
    });
    expect(RequestTimeoutError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('llama3.2:3b');
  });

  it('generate() is abortable while the server has not answered (the signal reaches fetch)', async () => {
    server.fault({ route: 'ollama.chat', hang: true });
    const controller = new AbortController();
    const abortOnceSent: typeof fetch = (input, init) => {
      const pending = fetch(input, init);
      setImmediate(() => controller.abort());
      return pending;
    };
    const model = createOllamaChatModel({ model: 'llama3.2:3b', host: server.url, fetch: abortOnceSent });
    const error = await rejection(() => model.generate({ messages: MESSAGES, abortSignal: controller.signal }));
    expect(error).toBe(controller.signal.reason);
    expect((error as Error).name).toBe('AbortError');
  });

  it('breaking out of a stream aborts its HTTP request, and the model keeps working', async () => {
    const recorder = signalRecordingFetch();
    const model = createOllamaChatModel({ model: 'llama3.2:3b', host: server.url, fetch: recorder.fetch });
    for await (const part of model.stream({ messages: MESSAGES })) {
      expect(part.type).toBe('text-delta');
      break;
    }
    expect(recorder.signals[0]?.aborted).toBe(true);
    expect((await model.generate({ messages: MESSAGES })).text).toBe(REPLY);
  });
});
