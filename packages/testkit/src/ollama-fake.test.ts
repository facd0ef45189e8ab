import { ALL_FAULT_KINDS, hashEmbedding, type FaultKind } from '@ragbridge/core-interfaces/testing';
import { Ollama, type ChatResponse, type Message } from 'ollama';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FakeServer } from './fake-server.js';
import { fakeServerFaults, OPTIONAL_FAULT_KINDS } from './fault-harness.js';
import { ollamaFaultPresets, startFakeOllama } from './ollama-fake.js';

const SYSTEM = [
  'Answer from the numbered sources and cite them.',
  '[1] The base ISA has 32 general-purpose registers. Each is 32 bits wide.',
  '[2] The mstatus.MIE bit enables machine-mode interrupts. It is cleared on trap entry.',
].join('\n');
const QUESTION = 'Which bit enables machine-mode interrupts?';
const MESSAGES: Message[] = [
  { role: 'system', content: SYSTEM },
  { role: 'user', content: QUESTION },
];
const REPLY = 'According to [2], "The mstatus.MIE bit enables machine-mode interrupts."';
const REPLY_WORDS = 9;

/** Runs `fn` and returns what it rejected with (fails the test if it resolved). */
async function rejection(fn: () => Promise<unknown>): Promise<Error & { status_code?: number }> {
  try {
    await fn();
  } catch (error) {
    return error as Error & { status_code?: number };
  }
  throw new Error('expected a rejection');
}

/** Reads every part of a stream; returns the parts and the error the iterator ended with, if any. */
async function drain<T>(stream: AsyncIterable<T>): Promise<{ parts: T[]; error?: Error }> {
  const parts: T[] = [];
  try {
    for await (const part of stream) parts.push(part);
  } catch (error) {
    return { parts, error: error as Error };
  }
  return { parts };
}

let server: FakeServer;
let small: FakeServer;
let client: Ollama;
let smallClient: Ollama;

beforeAll(async () => {
  server = await startFakeOllama();
  small = await startFakeOllama({
    models: [
      { name: 'tiny-chat:1b', kind: 'chat', contextLength: 40 },
      { name: 'tiny-embed', kind: 'embed', dimensions: 16, contextLength: 12 },
    ],
  });
  client = new Ollama({ host: server.url });
  smallClient = new Ollama({ host: small.url });
});

afterAll(async () => {
  await Promise.all([server.close(), small.close()]);
});

beforeEach(() => {
  server.clearFaults();
  server.clearRequests();
});

describe('fake Ollama: chat', () => {
  it('answers a non-streaming chat and records what the client sent', async () => {
    const response = await client.chat({ model: 'llama3.2:3b', messages: MESSAGES });

    expect(response).toMatchObject({
      model: 'llama3.2:3b',
      message: { role: 'assistant', content: REPLY },
      done: true,
      done_reason: 'stop',
      eval_count: REPLY_WORDS,
    });
    for (const field of ['total_duration', 'load_duration', 'prompt_eval_count', 'prompt_eval_duration', 'eval_duration'] as const) {
      expect(Number.isInteger(response[field]) && response[field] > 0, field).toBe(true);
    }
    expect(response.total_duration).toBeGreaterThan(response.eval_duration);

    const [request] = server.requestsTo('ollama.chat');
    expect(request).toMatchObject({ method: 'POST', path: '/api/chat' });
    expect(request?.json).toMatchObject({ model: 'llama3.2:3b', stream: false, messages: MESSAGES });
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers.accept).toBe('application/json');
    expect(request?.headers['user-agent']).toMatch(/^ollama-js\/\d/);
  });

  it('streams NDJSON when `stream` is omitted, and sends one JSON object for stream:false', async () => {
    const body = JSON.stringify({ model: 'llama3.2:3b', messages: MESSAGES });
    const streamed = await fetch(`${server.url}/api/chat`, { method: 'POST', body });
    expect(streamed.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await streamed.text()).trim().split('\n').map((l) => JSON.parse(l) as ChatResponse);
    expect(lines).toHaveLength(REPLY_WORDS + 1);
    expect(lines.map((l) => l.message.content).join('')).toBe(REPLY);
    expect(lines.at(-1)).toMatchObject({ done: true, done_reason: 'stop', message: { role: 'assistant', content: '' } });

    const single = await fetch(`${server.url}/api/chat`, { method: 'POST', body: JSON.stringify({ model: 'llama3.2:3b', messages: MESSAGES, stream: false }) });
    expect(single.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(((await single.json()) as ChatResponse).message.content).toBe(REPLY);
  });

  it('streams word deltas with the official client and ends with the metrics', async () => {
    const stream = await client.chat({ model: 'llama3.2:3b', messages: MESSAGES, stream: true });
    const { parts, error } = await drain(stream);

    expect(error).toBeUndefined();
    expect(parts).toHaveLength(REPLY_WORDS + 1);
    expect(parts.slice(0, -1).every((p) => p.done === false && p.message.role === 'assistant')).toBe(true);
    expect(parts.map((p) => p.message.content).join('')).toBe(REPLY);
    const final = parts.at(-1);
    expect(final).toMatchObject({ done: true, done_reason: 'stop', eval_count: REPLY_WORDS, message: { content: '' } });
    expect(final?.prompt_eval_count).toBeGreaterThan(0);
    expect(Number.isInteger(final?.eval_duration)).toBe(true);
    expect(server.requestsTo('ollama.chat')[0]?.json).toMatchObject({ stream: true });
  });

  it('applies options.num_predict (done_reason "length") and options.stop', async () => {
    const limited = await client.chat({ model: 'llama3.2:3b', messages: MESSAGES, options: { num_predict: 3 } });
    expect(limited).toMatchObject({ message: { content: 'According to [2],' }, done_reason: 'length', eval_count: 3 });

    const stopped = await client.chat({ model: 'llama3.2:3b', messages: MESSAGES, options: { stop: ['mstatus'] } });
    expect(stopped).toMatchObject({ message: { content: 'According to [2], "The ' }, done_reason: 'stop' });
  });

  it('truncates a conversation longer than the context silently, keeping the system prompt and the question', async () => {
    const history: Message[] = [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: 'word '.repeat(200) },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: QUESTION },
    ];
    const response = await smallClient.chat({ model: 'tiny-chat:1b', messages: history });
    expect(response.done_reason).toBe('stop');
    expect(response.prompt_eval_count).toBeLessThanOrEqual(40);
    expect(response.message.content).toBe(REPLY);
  });

  it('loads a model for messages:[] and unloads it with keep_alive:0, as /api/ps shows', async () => {
    const loaded = await smallClient.chat({ model: 'tiny-chat:1b', messages: [] });
    expect(loaded).toMatchObject({ done: true, done_reason: 'load', message: { role: 'assistant', content: '' } });
    expect((await smallClient.ps()).models.map((m) => m.name)).toContain('tiny-chat:1b');

    const unloaded = await smallClient.chat({ model: 'tiny-chat:1b', messages: [], keep_alive: 0 });
    expect(unloaded.done_reason).toBe('unload');
    expect((await smallClient.ps()).models.map((m) => m.name)).not.toContain('tiny-chat:1b');
  });

  it('answers 400 for a missing model and for an embedding-only model, 400 for think on a model without thinking', async () => {
    await expect(rejection(() => client.chat({ model: '', messages: MESSAGES }))).resolves.toMatchObject({ status_code: 400, message: 'model is required' });
    await expect(rejection(() => client.chat({ model: 'nomic-embed-text', messages: MESSAGES }))).resolves.toMatchObject({
      status_code: 400,
      message: '"nomic-embed-text" does not support chat',
    });
    await expect(rejection(() => client.chat({ model: 'llama3.2:3b', messages: MESSAGES, think: true }))).resolves.toMatchObject({
      status_code: 400,
      message: '"llama3.2:3b" does not support thinking',
    });
  });

  it('answers 400 for an empty body and for a body that is not JSON', async () => {
    const empty = await fetch(`${server.url}/api/chat`, { method: 'POST' });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({ error: 'missing request body' });
    const broken = await fetch(`${server.url}/api/chat`, { method: 'POST', body: 'nope' });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({ error: "invalid character 'n' looking for beginning of value" });
  });
});

describe('fake Ollama: generate', () => {
  it('streams `response` deltas and ends with `context` and the metrics', async () => {
    const stream = await client.generate({ model: 'llama3.2:3b', system: SYSTEM, prompt: QUESTION, stream: true });
    const { parts, error } = await drain(stream);

    expect(error).toBeUndefined();
    expect(parts.map((p) => p.response).join('')).toBe(REPLY);
    expect(parts.slice(0, -1).every((p) => p.done === false && !('context' in p))).toBe(true);
    const final = parts.at(-1);
    expect(final).toMatchObject({ done: true, done_reason: 'stop', response: '', eval_count: REPLY_WORDS });
    expect(final?.context.length).toBeGreaterThan(0);
    expect(final?.context.every((t) => Number.isInteger(t))).toBe(true);
  });

  it('answers non-streaming, loads on an empty prompt, and refuses embedding models', async () => {
    const response = await client.generate({ model: 'llama3.2:3b', system: SYSTEM, prompt: QUESTION });
    expect(response).toMatchObject({ response: REPLY, done: true, done_reason: 'stop' });
    expect(server.requestsTo('ollama.generate')[0]?.json).toMatchObject({ prompt: QUESTION, system: SYSTEM, stream: false });

    expect(await client.generate({ model: 'llama3.2:3b', prompt: '' })).toMatchObject({ done: true, done_reason: 'load', response: '' });
    await expect(rejection(() => client.generate({ model: 'all-minilm', prompt: 'hi' }))).resolves.toMatchObject({
      status_code: 400,
      message: '"all-minilm" does not support generate',
    });
  });
});

describe('fake Ollama: embeddings', () => {
  it('embeds a batch in input order with the model dimensions', async () => {
    const inputs = ['The base ISA has 32 registers.', 'Interrupts are enabled by mstatus.MIE.', 'Registers are 32 bits wide.'];
    const response = await client.embed({ model: 'nomic-embed-text:latest', input: inputs });

    expect(response.model).toBe('nomic-embed-text:latest');
    expect(response.embeddings).toHaveLength(3);
    response.embeddings.forEach((vector, i) => {
      expect(vector).toHaveLength(768);
      expect(vector).toEqual(hashEmbedding(inputs[i] as string, 768));
      expect(Math.hypot(...vector)).toBeCloseTo(1, 6);
    });
    expect(response.prompt_eval_count).toBeGreaterThan(0);
    expect(response.total_duration).toBeGreaterThan(response.load_duration);
    expect(server.requestsTo('ollama.embed')[0]?.json).toEqual({ model: 'nomic-embed-text:latest', input: inputs });
  });

  it('resolves a name without tag as :latest and echoes the name as sent', async () => {
    const response = await client.embed({ model: 'all-minilm', input: 'one text' });
    expect(response.model).toBe('all-minilm');
    expect(response.embeddings).toHaveLength(1);
    expect(response.embeddings[0]).toHaveLength(384);
  });

  it('truncates over-long input by default and refuses it with truncate:false', async () => {
    const long = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi';
    const truncated = await smallClient.embed({ model: 'tiny-embed', input: long });
    expect(truncated.prompt_eval_count).toBe(12);
    await expect(rejection(() => smallClient.embed({ model: 'tiny-embed', input: long, truncate: false }))).resolves.toMatchObject({
      status_code: 400,
      message: 'the input length exceeds the context length',
    });
  });

  it('shortens and re-normalizes vectors for `dimensions`, and returns no vectors for an empty string', async () => {
    const response = await client.embed({ model: 'nomic-embed-text', input: ['short vector please'], dimensions: 64 });
    expect(response.embeddings[0]).toHaveLength(64);
    expect(response.embeddings[0]).toEqual(hashEmbedding('short vector please', 64));
    expect(Math.hypot(...(response.embeddings[0] as number[]))).toBeCloseTo(1, 6);

    expect((await client.embed({ model: 'nomic-embed-text', input: '' })).embeddings).toEqual([]);
  });

  it('refuses chat models and invalid input types with 400', async () => {
    await expect(rejection(() => client.embed({ model: 'llama3.2:3b', input: 'x' }))).resolves.toMatchObject({
      status_code: 400,
      message: '"llama3.2:3b" does not support embeddings',
    });
    const invalid = await fetch(`${server.url}/api/embed`, { method: 'POST', body: JSON.stringify({ model: 'all-minilm', input: [1, 2] }) });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toEqual({ error: 'invalid input type' });
  });

  it('serves the legacy /api/embeddings endpoint', async () => {
    const response = await client.embeddings({ model: 'all-minilm', prompt: 'legacy text' });
    expect(response.embedding).toEqual(hashEmbedding('legacy text', 384));
    expect(server.requestsTo('ollama.embeddings')[0]?.json).toEqual({ model: 'all-minilm', prompt: 'legacy text' });
    await expect(rejection(() => client.embeddings({ model: 'missing-embedder', prompt: 'x' }))).resolves.toMatchObject({
      status_code: 404,
      message: 'model "missing-embedder" not found, try pulling it first',
    });
  });
});

describe('fake Ollama: models and server', () => {
  it('lists, shows, reports running models and the version', async () => {
    const list = await client.list();
    expect(list.models.map((m) => m.name)).toEqual(['llama3.2:3b', 'nomic-embed-text:latest', 'all-minilm:latest']);
    expect(list.models[0]).toMatchObject({
      model: 'llama3.2:3b',
      details: { format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '3.2B', quantization_level: 'Q4_K_M' },
    });
    expect(list.models[0]?.digest).toMatch(/^[0-9a-f]{64}$/);

    const shown = await client.show({ model: 'nomic-embed-text' });
    expect(shown.capabilities).toEqual(['embedding']);
    expect(shown.model_info as unknown as Record<string, unknown>).toMatchObject({
      'general.architecture': 'nomic-bert',
      'nomic-bert.context_length': 2048,
      'nomic-bert.embedding_length': 768,
    });
    expect((await client.show({ model: 'llama3.2:3b' })).capabilities).toEqual(['completion']);
    await expect(rejection(() => client.show({ model: 'x' }))).resolves.toMatchObject({ status_code: 404, message: "model 'x' not found" });

    await client.embed({ model: 'all-minilm', input: 'load me', keep_alive: '10m' });
    const running = (await client.ps()).models.find((m) => m.name === 'all-minilm:latest');
    expect(running).toMatchObject({ model: 'all-minilm:latest', context_length: 512 });
    const expiresIn = Date.parse(String(running?.expires_at)) - Date.now();
    expect(expiresIn).toBeGreaterThan(9 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(10 * 60_000);

    expect(await client.version()).toEqual({ version: '0.12.0' });
    const root = await fetch(`${server.url}/`);
    expect(await root.text()).toBe('Ollama is running');
  });

  it('streams pull progress up to success, and answers non-streaming pulls with the last status', async () => {
    const stream = await client.pull({ model: 'all-minilm', stream: true });
    const { parts, error } = await drain(stream);
    expect(error).toBeUndefined();
    const statuses = parts.map((p) => p.status);
    expect(statuses[0]).toBe('pulling manifest');
    expect(statuses.slice(-3)).toEqual(['verifying sha256 digest', 'writing manifest', 'success']);
    const layer = parts.filter((p) => p.digest === parts[1]?.digest);
    expect(layer.length).toBeGreaterThan(2);
    expect(layer[0]?.status).toBe(`pulling ${parts[1]?.digest.slice(7, 19)}`);
    expect(layer.at(-1)?.completed).toBe(layer.at(-1)?.total);
    expect(server.requestsTo('ollama.pull')[0]?.json).toMatchObject({ name: 'all-minilm', stream: true });

    expect(await client.pull({ model: 'all-minilm' })).toEqual({ status: 'success' });
  });

  it('fails a pull of an unknown model: in-stream when streaming, 500 otherwise', async () => {
    const { parts, error } = await drain(await client.pull({ model: 'no-such-model', stream: true }));
    expect(parts.map((p) => p.status)).toEqual(['pulling manifest']);
    expect(error?.message).toBe('pull model manifest: file does not exist');
    await expect(rejection(() => client.pull({ model: 'no-such-model' }))).resolves.toMatchObject({
      status_code: 500,
      message: 'pull model manifest: file does not exist',
    });
  });

  it("rejects a model that is not pulled with 404 `model 'x' not found`", async () => {
    for (const call of [
      () => client.chat({ model: 'x', messages: MESSAGES }),
      () => client.generate({ model: 'x', prompt: 'hi' }),
      () => client.embed({ model: 'x', input: 'hi' }),
    ]) {
      const error = await rejection(call);
      expect(error.name).toBe('ResponseError');
      expect(error.message).toBe("model 'x' not found");
      expect(error.status_code).toBe(404);
    }
  });

  it('serves every route the fault rules name', () => {
    expect(new Set(server.routes)).toEqual(
      new Set(['ollama.chat', 'ollama.generate', 'ollama.embed', 'ollama.embeddings', 'ollama.tags', 'ollama.show', 'ollama.ps', 'ollama.version', 'ollama.pull', 'ollama.root']),
    );
  });
});

describe('fake Ollama: failures', () => {
  it('rejects the stream iterator when the connection drops mid-stream', async () => {
    server.fault({ route: 'ollama.chat', dropAfterEvents: 2 });
    const { parts, error } = await drain(await client.chat({ model: 'llama3.2:3b', messages: MESSAGES, stream: true }));
    expect(parts).toHaveLength(2);
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).not.toBe('');
  });

  it('rejects with AbortError when the stream is aborted', async () => {
    const whole = (await drain(await client.chat({ model: 'llama3.2:3b', messages: MESSAGES, stream: true }))).parts.length;
    // Paced events, so the reply cannot arrive in one piece before the abort.
    server.streamDelayMs = 20;
    const stream = await client.chat({ model: 'llama3.2:3b', messages: MESSAGES, stream: true });
    const parts: ChatResponse[] = [];
    const error = await rejection(async () => {
      for await (const part of stream) {
        parts.push(part);
        stream.abort();
      }
    }).finally(() => {
      server.streamDelayMs = 0;
    });
    expect(error.name).toBe('AbortError');
    // The first part, and any that a slow event loop let arrive with it; never the rest of the reply.
    expect(parts.length).toBeGreaterThanOrEqual(1);
    expect(parts.length).toBeLessThan(whole);
  });

  it('rejects a malformed JSON reply, streaming or not', async () => {
    server.fault({ route: 'ollama.chat', malformed: true });
    expect((await rejection(() => client.chat({ model: 'llama3.2:3b', messages: MESSAGES }))).name).toBe('SyntaxError');
    const { parts, error } = await drain(await client.chat({ model: 'llama3.2:3b', messages: MESSAGES, stream: true }));
    expect(parts).toEqual([]);
    expect(error?.message).toBe('Did not receive done or success response in stream.');
  });

  it('lets a client time out a slow or hanging server', async () => {
    const impatient = new Ollama({ host: server.url, fetch: (url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(200) }) });
    server.fault({ route: 'ollama.embed', latencyMs: 1_000, times: 1 });
    expect((await rejection(() => impatient.embed({ model: 'all-minilm', input: 'slow' }))).name).toBe('TimeoutError');
    server.fault({ route: 'ollama.embed', hang: true, times: 1 });
    expect((await rejection(() => impatient.embed({ model: 'all-minilm', input: 'hang' }))).name).toBe('TimeoutError');
    // Both rules are used up: the next call is answered.
    expect((await impatient.embed({ model: 'all-minilm', input: 'fine' })).embeddings).toHaveLength(1);
  });

  it('sends 429 with Retry-After: 7; the client surfaces the status', async () => {
    server.fault({ ...ollamaFaultPresets['rate-limit-retry-after'], route: 'ollama.chat' });
    await expect(rejection(() => client.chat({ model: 'llama3.2:3b', messages: MESSAGES }))).resolves.toMatchObject({
      status_code: 429,
      message: 'too many requests',
    });
    const raw = await fetch(`${server.url}/api/chat`, { method: 'POST', body: '{}' });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('7');
    expect(raw.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('has a preset for every conformance fault kind', () => {
    // Ollama has no "cannot serve" answer of its own (its `does not support chat` is bad input).
    expect(Object.keys(ollamaFaultPresets).sort()).toEqual(ALL_FAULT_KINDS.filter((k) => !(OPTIONAL_FAULT_KINDS as readonly string[]).includes(k)).sort());
  });

  const expected: Partial<Record<FaultKind, { status?: number; name?: string; message?: string }>> = {
    auth: { status: 401, message: 'unauthorized' },
    payment: { status: 402, message: 'payment required' },
    'not-found': { status: 404, message: "model 'llama3.2:3b' not found" },
    'bad-input': { status: 400, message: 'invalid input type' },
    'rate-limit': { status: 429, message: 'too many requests' },
    'rate-limit-retry-after': { status: 429, message: 'too many requests' },
    loading: { status: 503, message: 'Model llama3.2:3b is currently loading' },
    'server-error': { status: 500, message: 'llama runner process has terminated: exit status 2' },
    malformed: { name: 'SyntaxError' },
    hang: { name: 'TimeoutError' },
    unreachable: { name: 'TypeError', message: 'fetch failed' },
    'drop-mid-stream': { name: 'TypeError', message: 'terminated' },
  };

  it.each(ALL_FAULT_KINDS.filter((k) => k in ollamaFaultPresets))('surfaces the %s preset through the official client', async (kind) => {
    const faults = fakeServerFaults(server, ollamaFaultPresets, ['ollama.chat']);
    faults.inject(kind);
    try {
      let error: Error & { status_code?: number };
      if (kind === 'drop-mid-stream') {
        const { parts, error: streamError } = await drain(await client.chat({ model: 'llama3.2:3b', messages: MESSAGES, stream: true }));
        expect(parts).toHaveLength(2);
        error = streamError as Error;
      } else {
        const caller =
          kind === 'hang' ? new Ollama({ host: server.url, fetch: (url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(200) }) }) : client;
        error = await rejection(() => caller.chat({ model: 'llama3.2:3b', messages: MESSAGES }));
      }
      const want = expected[kind] ?? {};
      if (want.status !== undefined) expect(error).toMatchObject({ name: 'ResponseError', status_code: want.status });
      if (want.name !== undefined) expect(error.name).toBe(want.name);
      if (want.message !== undefined) expect(error.message).toBe(want.message);
    } finally {
      faults.clear();
    }
    // The fault is gone: the same call succeeds again.
    expect((await client.chat({ model: 'llama3.2:3b', messages: MESSAGES })).message.content).toBe(REPLY);
  });
});
