import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explain, resolveConfig } from '@ragbridge/config-profiles';
import type { Runtime } from '@ragbridge/runtime';
import type { Hono } from 'hono';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gauge, OFFLINE_ADMIN_TOKEN, startOfflineApp, type OfflineApp } from './__fixtures__/offline-app.js';
import { TIMER_MARKDOWN } from './__fixtures__/app-settings.js';
import { parseSse } from './__fixtures__/sse.js';
import { JSON_BODY_LIMITS } from './request-schemas.js';

const TIMER = TIMER_MARKDOWN;

const json = { 'content-type': 'application/json' };
const admin = { ...json, authorization: `Bearer ${OFFLINE_ADMIN_TOKEN}` };

let offline: OfflineApp;
let app: Hono;

beforeAll(async () => {
  offline = await startOfflineApp({ documents: { 'timer.md': TIMER } });
  app = offline.build();
}, 60_000);

afterAll(async () => {
  await offline?.close();
});

type ErrorJson = { error: { code: string; message: string; field?: string; param?: string | null } };

async function ask(target: Hono, question: string): Promise<{ status: number; events: string[]; body: string }> {
  const response = await target.request('/api/ask', { method: 'POST', body: JSON.stringify({ question }), headers: json });
  const body = await response.text();
  return { status: response.status, body, events: response.status === 200 ? parseSse(body).map((e) => e.event) : [] };
}

/** A body of `bytes` bytes, counting how many the server pulled. */
function countedBody(bytes: number): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  const chunk = new Uint8Array(16 * 1024).fill(0x20);
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  return { stream, pulled: () => sent };
}

describe('answer slots', () => {
  it('a null body to /v1/chat/completions is refused without taking a slot: 8 of them leave every slot free', async () => {
    for (let i = 0; i < 8; i++) {
      const response = await app.request('/v1/chat/completions', { method: 'POST', body: 'null', headers: json });
      expect(response.status).toBe(400);
      expect(((await response.json()) as ErrorJson).error).toMatchObject({ type: 'invalid_request_error', param: 'body' });
    }
    expect(await gauge(app, 'ragbridge_answers_in_flight')).toBe(0);
    const answered = await ask(app, 'What does the mtimecmp register hold?');
    expect(answered.status).toBe(200);
    expect(answered.events).toEqual(expect.arrayContaining(['answer', 'done']));
  });

  it('a slot is given back when answering throws, on every route and mode', async () => {
    // A runtime whose pipeline fails every question, the rest unchanged.
    const failing = new Proxy(offline.runtime, {
      get(target, key) {
        if (key !== 'pipeline') return Reflect.get(target, key);
        return new Proxy(target.pipeline, {
          get(pipeline, method) {
            if (method === 'ask') return () => Promise.reject(new Error('model down'));
            if (method === 'askStream')
              return async function* () {
                yield* [];
                throw new Error('model down');
              };
            const value = Reflect.get(pipeline, method);
            return typeof value === 'function' ? value.bind(pipeline) : value;
          },
        });
      },
    }) as Runtime;
    const broken = offline.build({}, failing);
    const chat = (stream: boolean) =>
      broken.request('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ stream, messages: [{ role: 'user', content: 'mtimecmp?' }] }), headers: json });
    for (let i = 0; i < 6; i++) {
      const streamedAsk = await ask(broken, 'What does mtimecmp hold?');
      expect(streamedAsk.events).toContain('error');
      expect((await chat(false)).status).toBe(500);
      expect(await (await chat(true)).text()).toContain('the question could not be answered');
    }
    expect(await gauge(broken, 'ragbridge_answers_in_flight')).toBe(0);
  });
});

describe('body limits, before parsing', () => {
  it('a 100 MB question is refused with 413 and JSON, from its Content-Length alone or while reading', async () => {
    const declared = countedBody(100 * 1024 * 1024);
    const byLength = await app.request(
      new Request('http://localhost/api/ask', { method: 'POST', body: declared.stream, headers: { ...json, 'content-length': String(100 * 1024 * 1024) }, duplex: 'half' } as RequestInit),
    );
    expect(byLength.status).toBe(413);
    expect(((await byLength.json()) as ErrorJson).error.code).toBe('too_large');
    expect(declared.pulled()).toBeLessThanOrEqual(64 * 1024);

    const chunked = countedBody(100 * 1024 * 1024);
    const whileReading = await app.request(new Request('http://localhost/api/ask', { method: 'POST', body: chunked.stream, headers: json, duplex: 'half' } as RequestInit));
    expect(whileReading.status).toBe(413);
    expect(chunked.pulled()).toBeLessThan(JSON_BODY_LIMITS.ask + 64 * 1024);
  });

  it('each JSON route has its limit: chat completions and budgets too', async () => {
    const big = (limit: number) => JSON.stringify({ padding: 'x'.repeat(limit) });
    const chat = await app.request('/v1/chat/completions', { method: 'POST', body: big(JSON_BODY_LIMITS.chatCompletions), headers: json });
    expect(chat.status).toBe(413);
    expect(((await chat.json()) as ErrorJson).error).toMatchObject({ code: 'too_large', type: 'invalid_request_error' });
    const budgets = await app.request('/api/budgets', { method: 'PUT', body: big(JSON_BODY_LIMITS.budgets), headers: admin });
    expect(budgets.status).toBe(413);
  });
});

describe('request bodies: JSON only, validated, the field named', () => {
  it('/api/ask needs application/json (no cross-site text/plain form), 415 otherwise', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
      const response = await app.request('/api/ask', { method: 'POST', body: JSON.stringify({ question: 'What is mtimecmp?' }), headers: type ? { 'content-type': type } : {} });
      expect(response.status, String(type)).toBe(415);
      expect(((await response.json()) as ErrorJson).error.code).toBe('unsupported_media_type');
    }
    const withCharset = await app.request('/api/ask', { method: 'POST', body: JSON.stringify({ question: 'What is mtimecmp?' }), headers: { 'content-type': 'Application/JSON; charset=utf-8' } });
    expect(withCharset.status).toBe(200);
    await withCharset.text();
    expect((await app.request('/v1/chat/completions', { method: 'POST', body: '{}', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await app.request('/api/budgets', { method: 'PUT', body: '{"budgets":[]}', headers: { ...admin, 'content-type': 'text/plain' } })).status).toBe(415);
  });

  it('names the field at fault', async () => {
    const askError = async (body: string) => {
      const response = await app.request('/api/ask', { method: 'POST', body, headers: json });
      expect(response.status, body).toBe(400);
      return ((await response.json()) as ErrorJson).error;
    };
    expect(await askError('null')).toMatchObject({ code: 'invalid_request', field: 'body' });
    expect(await askError('{"question": 42}')).toMatchObject({ field: 'question', message: expect.stringMatching(/^question: /) });
    expect(await askError('{"question": "What?", "k": 500}')).toMatchObject({ field: 'k' });
    expect(await askError('{"question": "What?", "extra": 1}')).toMatchObject({ message: expect.stringContaining('extra') });
    expect(await askError('{"question": ')).toMatchObject({ code: 'invalid_json' });
    expect(await askError('{"question": "And its width?", "history": [{"question": 7}]}')).toMatchObject({ field: 'history.0.question' });
    const followUp = await app.request('/api/ask', {
      method: 'POST',
      body: JSON.stringify({ question: 'And what does it compare against?', k: 3, history: [{ question: 'What does the mtimecmp register hold?', answer: 'The compare value.' }] }),
      headers: json,
    });
    expect(followUp.status).toBe(200);
    expect(parseSse(await followUp.text()).map((e) => e.event)).toContain('answer');

    const chatError = async (body: unknown) => {
      const response = await app.request('/v1/chat/completions', { method: 'POST', body: JSON.stringify(body), headers: json });
      expect(response.status, JSON.stringify(body)).toBe(400);
      return ((await response.json()) as ErrorJson).error;
    };
    expect(await chatError({ messages: null })).toMatchObject({ param: 'messages', type: 'invalid_request_error' });
    expect(await chatError({ messages: [{ role: 'system', content: 'Be brief.' }] })).toMatchObject({ param: 'messages', message: expect.stringContaining('user message') });
    expect(await chatError({ messages: [{ role: 'user', content: 'x'.repeat(2001) }] })).toMatchObject({ message: expect.stringContaining('2,000') });
    expect(await chatError({ messages: [{ role: 'user', content: 'Hi' }], stream: 'yes' })).toMatchObject({ param: 'stream' });

    const budgets = async (body: string) => app.request('/api/budgets', { method: 'PUT', body, headers: admin });
    const nullBudgets = await budgets('null');
    expect(nullBudgets.status).toBe(400);
    expect(((await nullBudgets.json()) as ErrorJson).error.field).toBe('body');
    const notList = await budgets('{"budgets": "none"}');
    expect(((await notList.json()) as ErrorJson).error.field).toBe('budgets');
    const badRule = await budgets('{"budgets": [{"window": "day", "limitUsd": "one"}]}');
    expect(badRule.status).toBe(400);
    expect(((await badRule.json()) as ErrorJson).error).toMatchObject({ code: 'invalid_budgets', field: 'budgets.0.limitUsd' });
  });
});

describe('admin routes', () => {
  it('a re-index with no embedder model on disk is a 409 saying so, without the folders it looked in', async () => {
    const response = await app.request('/api/reindex', { method: 'POST', headers: { authorization: `Bearer ${OFFLINE_ADMIN_TOKEN}` } });
    expect(response.status).toBe(409);
    const text = await response.text();
    expect((JSON.parse(text) as ErrorJson).error.code).toBe('embedder_unavailable');
    expect(text).not.toMatch(/node_modules|\/work\/|\/tmp\//);
  });
});

describe('malformed URLs', () => {
  it('answer 400, never 500, wherever the bad encoding is', async () => {
    for (const path of ['/%E0%A4%A', '/api/documents/%E0%A4%A', '/api/documents/%zz/pages/1', '/vendor/pdfjs/%', '/api/usage?days=%E0', '/v1/models/%C0']) {
      const response = await app.request(path);
      expect(response.status, path).toBe(400);
      expect(((await response.json()) as ErrorJson).error.code, path).toBe('bad_request');
    }
  });

  it('decode a static path once: an encoded "%" never becomes a way out of the folder', async () => {
    for (const path of ['/%252e%252e/%252e%252e/package.json', '/..%2f..%2fpackage.json', '/%2e%2e/%2e%2e/package.json', '/%00']) {
      const response = await app.request(path);
      expect([400, 404], path).toContain(response.status);
    }
  });
});

describe('client identity behind proxies', () => {
  const socket = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });
  const hit = (target: Hono, remoteAddress: string, forwardedFor?: string) =>
    target.request('/api/ask', { method: 'POST', body: '{}', headers: { ...json, ...(forwardedFor && { 'x-forwarded-for': forwardedFor }) } }, socket(remoteAddress));

  it('by default the connection is the client: a made-up X-Forwarded-For does not reset the limit', async () => {
    const limited = offline.build({ rateLimitPerMinute: 2 });
    expect((await hit(limited, '198.51.100.7', '203.0.113.1')).status).toBe(400);
    expect((await hit(limited, '198.51.100.7', '203.0.113.2')).status).toBe(400);
    expect((await hit(limited, '198.51.100.7', '203.0.113.3')).status).toBe(429);
    expect((await hit(limited, '198.51.100.8')).status).toBe(400);
  });

  it('behind one trusted hop, the entry that proxy appended counts, whatever the client put before it', async () => {
    const limited = offline.build({ rateLimitPerMinute: 2, trustProxy: 1 });
    expect((await hit(limited, '10.0.0.2', '1.1.1.1, 198.51.100.7')).status).toBe(400);
    expect((await hit(limited, '10.0.0.2', '2.2.2.2, 198.51.100.7')).status).toBe(400);
    expect((await hit(limited, '10.0.0.2', '3.3.3.3, 198.51.100.7')).status).toBe(429);
    expect((await hit(limited, '10.0.0.2', '198.51.100.8')).status).toBe(400);
  });

  it('with a list of proxies, the rightmost address outside it; a connection from elsewhere is its own client', async () => {
    const limited = offline.build({ rateLimitPerMinute: 1, trustProxy: ['10.0.0.0/8'] });
    expect((await hit(limited, '10.0.0.2', '9.9.9.9, 198.51.100.7, 10.1.1.1')).status).toBe(400);
    expect((await hit(limited, '10.0.0.3', '198.51.100.7')).status).toBe(429);
    // Not from a trusted proxy: its X-Forwarded-For is not believed.
    expect((await hit(limited, '192.0.2.50', '198.51.100.9')).status).toBe(400);
    expect((await hit(limited, '192.0.2.50', '198.51.100.10')).status).toBe(429);
  });
});

describe('CORS', () => {
  it('sends no CORS header when no origin is configured', async () => {
    const response = await app.request('/api/health', { headers: { origin: 'https://elsewhere.example' } });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await app.request('/api/ask', { method: 'OPTIONS', headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows the configured origins on the API only, and no other', async () => {
    const open = offline.build({ corsOrigins: ['https://app.example'] });
    const allowed = await open.request('/api/health', { headers: { origin: 'https://app.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const preflight = await open.request('/v1/chat/completions', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const other = await open.request('/api/health', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const page = await open.request('/', { headers: { origin: 'https://app.example' } });
    expect(page.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('/api/profile', () => {
  it('shows backends, model ids, the profile and why, but no file path, URL or host', async () => {
    const folder = join(offline.dataDir, 'private-config-folder');
    const file = join(offline.dataDir, 'ragbridge.yaml');
    writeFileSync(
      file,
      [
        'extends: offline',
        'storage:',
        `  path: ${join(folder, 'index.db')}`,
        'budgets:',
        `  ledger: ${join(folder, 'usage.db')}`,
        'caches:',
        '  answers:',
        `    path: ${join(folder, 'answers.db')}`,
        'models:',
        '  answer:',
        '    chain:',
        '      - backend: ollama',
        '        model: llama3.2:3b',
        '        endpoint: http://10.20.30.40:11434',
        '  embedder:',
        '    chain:',
        '      - backend: transformersjs',
        `        model: ${join(folder, 'models', 'minilm')}`,
        '        options:',
        `          cacheDir: ${join(folder, 'cache')}`,
        'server:',
        '  trustProxy: ["10.0.0.0/8"]',
        '  apiKey: sk-profile-secret-1234',
      ].join('\n'),
    );
    const resolved = await resolveConfig({ file, env: {}, cwd: offline.dataDir });
    const configured = await startOfflineApp({ documents: {}, config: resolved });
    try {
      const response = await configured.build().request('/api/profile');
      expect(response.status).toBe(200);
      const text = await response.text();
      for (const leak of [offline.dataDir, folder, '/tmp', 'http://', '10.20.30.40', '11434', 'sk-profile-secret', '10.0.0.0']) expect(text).not.toContain(leak);
      const profile = JSON.parse(text) as { profile: string; reason: string; sources: string[]; parts: Array<{ part: string; steps: Array<{ backend: string; model?: string }> }> };
      expect(profile.profile).toBe('offline');
      expect(profile.reason).toContain('ragbridge.yaml');
      expect(profile.sources).toContain('ragbridge.yaml');
      expect(profile.parts.find((p) => p.part === 'answer')?.steps.map((s) => `${s.backend} ${s.model ?? ''}`.trim())).toEqual(['ollama llama3.2:3b', 'extractive']);
      expect(profile.parts.find((p) => p.part === 'embedder')?.steps[0]).toMatchObject({ backend: 'transformersjs', model: 'minilm' });
      // The same configuration's server.apiKey guards the OpenAI-compatible routes.
      const keyed = configured.build();
      expect((await keyed.request('/v1/models')).status).toBe(401);
      expect((await keyed.request('/v1/models', { headers: { authorization: 'Bearer sk-profile-secret-123' } })).status).toBe(401);
      expect((await keyed.request('/v1/models', { headers: { authorization: 'Bearer sk-profile-secret-1234' } })).status).toBe(200);
    } finally {
      await configured.close();
    }
  });

  it('with PostgreSQL storage from DATABASE_URL: the kind, but neither the URL, its host, user, password nor schema', async () => {
    const env = {
      DATABASE_URL: 'postgres://rag_app:Demo-Db-Pa55word@db-primary.internal:6543/ragdocs',
      RAGBRIDGE_STORAGE__KIND: 'postgres',
      RAGBRIDGE_STORAGE__SCHEMA: 'tenant_secret_layout',
    };
    const resolved = await resolveConfig({ profile: 'offline', env, cwd: mkdtempSync(join(tmpdir(), 'rb-demo-pg-profile-')) });
    expect(resolved.config.storage).toMatchObject({ kind: 'postgres', url: env.DATABASE_URL });
    // The app's runtime here is the offline one on SQLite: only what /api/profile shows is under test.
    const over: Runtime = { ...offline.runtime, config: resolved.config, explain: () => explain(resolved, { env }) };
    const response = await offline.build({}, over).request('/api/profile');
    const text = await response.text();
    for (const leak of ['Demo-Db-Pa55word', 'rag_app', 'db-primary', '6543', 'ragdocs', 'postgres://', 'tenant_secret_layout']) expect(text).not.toContain(leak);
    expect((JSON.parse(text) as { config: { storage: unknown } }).config.storage).toEqual({ kind: 'postgres' });
  });
});

describe('OpenAI compatibility', () => {
  it('GET /v1/models lists the model the endpoint serves, in the OpenAI list shape', async () => {
    const response = await app.request('/v1/models');
    expect(response.status).toBe(200);
    const list = (await response.json()) as { object: string; data: Array<{ id: string; object: string; created: number; owned_by: string }> };
    expect(list.object).toBe('list');
    expect(list.data).toEqual([{ id: 'ragbridge', object: 'model', created: expect.any(Number), owned_by: 'ragbridge' }]);
    expect(await (await app.request('/v1/models/ragbridge')).json()).toMatchObject({ id: 'ragbridge', object: 'model' });
    const missing = await app.request('/v1/models/gpt-9');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as ErrorJson).error).toMatchObject({ code: 'model_not_found', param: 'model' });
  });

  it('works with the official openai client: models, a completion, and a stream with usage', async () => {
    const client = new OpenAI({ apiKey: 'not-needed', baseURL: 'http://localhost/v1', maxRetries: 0, fetch: ((url: string | URL | Request, init?: RequestInit) => app.request(String(url), init)) as never });
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(['ragbridge']);
    const messages = [{ role: 'user' as const, content: 'What does the mtimecmp register hold?' }];
    const completion = await client.chat.completions.create({ model: 'ragbridge', messages });
    expect(completion.choices[0]?.message.content).toContain('mtimecmp');
    const stream = await client.chat.completions.create({ model: 'ragbridge', messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toContain('mtimecmp');
    expect(usage).toMatchObject({ total_tokens: expect.any(Number) });
    await expect(client.chat.completions.create({ model: 'ragbridge', messages: [] })).rejects.toMatchObject({ status: 400 });
  });

  it('streams a last chunk with usage and no choices when stream_options.include_usage is true', async () => {
    const request = (includeUsage: boolean) =>
      app.request('/v1/chat/completions', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ model: 'ragbridge', stream: true, stream_options: { include_usage: includeUsage }, messages: [{ role: 'user', content: 'What does the mtimecmp register hold?' }] }),
      });
    const chunks = (events: ReturnType<typeof parseSse>) => events.slice(0, -1).map((e) => JSON.parse(e.data) as { object: string; choices: unknown[]; usage?: unknown });
    const withUsage = parseSse(await (await request(true)).text());
    expect(withUsage.at(-1)?.data).toBe('[DONE]');
    const parts = chunks(withUsage);
    const last = parts.at(-1);
    expect(last).toMatchObject({ object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_tokens: expect.any(Number) } });
    // Every other chunk carries `usage: null`, as OpenAI sends them.
    expect(parts.slice(0, -1).every((p) => p.usage === null && p.choices.length === 1)).toBe(true);
    expect(parts.map((p) => (p.choices[0] as { delta?: { content?: string } } | undefined)?.delta?.content ?? '').join('')).toContain('mtimecmp');

    const withoutUsage = chunks(parseSse(await (await request(false)).text()));
    expect(withoutUsage.every((p) => !('usage' in p) && p.choices.length === 1)).toBe(true);
  });
});
