import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { getBuiltInProfile } from '@ragbridge/config-profiles';
import { createRuntime, type Runtime } from '@ragbridge/runtime';
import { writeSimplePdf } from '@ragbridge/testkit';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAppSettings } from './__fixtures__/app-settings.js';
import { eventData, parseSse } from './__fixtures__/sse.js';
import { createApp, safeFileName } from './app.js';
import type { AppSettings } from './settings.js';

const SECRET = 'hf_demoSecretToken1234567890';
const ADMIN = 'admin-test-token-0987';

let runtime: Runtime;
let app: Hono;
let dataDir: string;

function settings(overrides: Partial<AppSettings> = {}): AppSettings {
  // The rate-limit test counts requests: a lower limit than other tests use.
  return testAppSettings(join(dataDir, 'uploads'), ADMIN, { rateLimitPerMinute: 1000, ...overrides });
}

function build(overrides: Partial<AppSettings> = {}): Hono {
  return createApp({ runtime, settings: settings(overrides), publicDir: join(import.meta.dirname, '..', 'public'), pdfjsDir: dataDir });
}

const manual = writeSimplePdf({
  title: 'Timer manual',
  pages: [
    { lines: [{ text: 'Machine timer', size: 18 }, 'The mtimecmp register holds the compare value of the machine timer.', 'A timer interrupt becomes pending when mtime is greater than or equal to mtimecmp.'] },
    { lines: [{ text: 'Software interrupts', size: 18 }, 'The msip register raises a machine software interrupt on a hart.'] },
  ],
});

async function upload(target: Hono, name: string, bytes: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  form.append('file', new File([bytes as Uint8Array<ArrayBuffer>], name));
  return target.request('/api/documents', { method: 'POST', body: form, headers });
}

async function followJob(target: Hono, job: string): Promise<Record<string, unknown>> {
  const events = parseSse(await (await target.request(`/api/jobs/${job}`)).text());
  const done = events.find((e) => e.event === 'done' || e.event === 'error');
  if (!done) throw new Error(`job ended without a result: ${JSON.stringify(events)}`);
  return { event: done.event, ...JSON.parse(done.data) };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rb-demo-'));
  runtime = await createRuntime({
    config: getBuiltInProfile('offline'),
    env: { HF_TOKEN: SECRET },
    baseDir: dataDir,
    storePath: join(dataDir, 'store.db'),
    ledgerPath: ':memory:',
  });
  app = build();
  const response = await upload(app, 'timer-manual.pdf', manual);
  expect(response.status).toBe(202);
  const { job } = (await response.json()) as { job: string };
  const result = await followJob(app, job);
  expect(result.event).toBe('done');
  expect((result.report as { added: string[] }).added).toEqual(['timer-manual.pdf']);
}, 60_000);

afterAll(async () => {
  await runtime?.close();
});

describe('documents', () => {
  it('lists documents without their file paths and serves the original file and page text', async () => {
    const body = await (await app.request('/api/documents')).text();
    expect(body).not.toContain(dataDir);
    const { documents } = JSON.parse(body) as { documents: Array<Record<string, unknown>> };
    const doc = documents.find((d) => d.name === 'timer-manual.pdf');
    expect(doc).toMatchObject({ pages: 2, mediaType: 'application/pdf' });
    expect(doc).not.toHaveProperty('source');
    const file = await app.request(`/api/documents/${doc?.id as string}/file`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await file.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
    const page = (await (await app.request(`/api/documents/${doc?.id as string}/pages/2`)).json()) as { text: string; page: number };
    expect(page.page).toBe(2);
    expect(page.text).toContain('msip');
  });

  it('cites an HTML page by section: sources, citations and the text view carry the anchor, never the markup', async () => {
    const html = [
      '<html><head><title>Tuning</title></head><body>',
      '<div class="sect1" id="TUNING-MEMORY"><h2>7.2. Memory</h2>',
      '<dl><dt id="CFG-SORT-MEMORY">sort_memory (integer)</dt><dd><p>Sets the memory one sort may use. The default sort memory is 4MB.</p></dd>',
      '<dt id="CFG-BLOCK-CACHE">block_cache (integer)</dt><dd><p>Sets the block cache size. The default is 64MB.</p><script>alert(1)</script></dd></dl>',
      '</div></body></html>',
    ].join('');
    const response = await upload(app, 'tuning.html', new TextEncoder().encode(html));
    expect((await followJob(app, ((await response.json()) as { job: string }).job)).event).toBe('done');

    const events = parseSse(await (await app.request('/api/ask', { method: 'POST', body: JSON.stringify({ question: 'What is the default sort memory?' }), headers: { 'content-type': 'application/json' } })).text());
    const sources = (eventData(events, 'retrieval') as { sources: Array<Record<string, unknown>> }).sources;
    expect(sources[0]).toMatchObject({ doc: 'tuning.html', citedBy: 'section', section: 'sort_memory (integer)', anchor: 'CFG-SORT-MEMORY' });
    const answer = eventData(events, 'answer') as { citations: Array<Record<string, unknown>> };
    expect(answer.citations[0]).toMatchObject({ doc: 'tuning.html', citedBy: 'section', section: 'sort_memory (integer)', anchor: 'CFG-SORT-MEMORY' });
    const pdfSource = await (await app.request('/api/ask', { method: 'POST', body: JSON.stringify({ question: 'What does the msip register raise?' }), headers: { 'content-type': 'application/json' } })).text();
    expect((eventData(parseSse(pdfSource), 'retrieval') as { sources: Array<Record<string, unknown>> }).sources[0]).toMatchObject({ doc: 'timer-manual.pdf', citedBy: 'page', page: 2, anchor: null });

    const view = (await (await app.request(`/api/documents/${sources[0]?.docId as string}/text`)).json()) as { from: string; blocks: Array<Record<string, unknown>> };
    expect(view.from).toBe('file');
    expect(view.blocks).toContainEqual({ kind: 'heading', text: 'sort_memory (integer)', level: 3, anchor: 'CFG-SORT-MEMORY' });
    expect(JSON.stringify(view)).not.toMatch(/<script|alert|<dt/);
    const chat = (await (
      await app.request('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'What is the default sort memory?' }] }), headers: { 'content-type': 'application/json' } })
    ).json()) as { choices: Array<{ message: { content: string } }> };
    expect(chat.choices[0]?.message.content).toMatch(/Sources:\n\[1\] tuning\.html § sort_memory \(integer\) \(#CFG-SORT-MEMORY\)/);
    const pdfId = ((await (await app.request('/api/documents')).json()) as { documents: Array<{ id: string; name: string }> }).documents.find((d) => d.name === 'timer-manual.pdf')?.id;
    expect((await app.request(`/api/documents/${pdfId as string}/text`)).status).toBe(400);
  });

  it('rejects oversized, wrong-type and fake-PDF uploads with clear errors, storing nothing', async () => {
    const before = (await runtime.pipeline.store.stats()).documents;
    const big = await upload(app, 'big.pdf', new Uint8Array(300 * 1024).fill(65));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { message: string } }).error.message).toMatch(/limited to/);
    const exe = await upload(app, 'tool.exe', new Uint8Array([77, 90, 0, 0]));
    expect(exe.status).toBe(415);
    expect(((await exe.json()) as { error: { message: string } }).error.message).toMatch(/not a supported type/);
    const fake = await upload(app, 'fake.pdf', new TextEncoder().encode('just text, not a pdf'));
    expect(fake.status).toBe(415);
    expect(((await fake.json()) as { error: { message: string } }).error.message).toMatch(/not a PDF/);
    const binary = await upload(app, 'notes.txt', new Uint8Array([104, 105, 0, 1, 2]));
    expect(binary.status).toBe(415);
    const notMultipart = await app.request('/api/documents', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } });
    expect(notMultipart.status).toBe(400);
    expect((await runtime.pipeline.store.stats()).documents).toBe(before);
  });

  it('keeps a corrupt PDF out and reports it per file, leaving stored documents intact', async () => {
    const corrupt = new Uint8Array([...new TextEncoder().encode('%PDF-1.7\n'), ...Array.from({ length: 2000 }, (_, i) => (i * 31) % 256)]);
    const response = await upload(app, 'broken.pdf', corrupt);
    expect(response.status).toBe(202);
    const result = await followJob(app, ((await response.json()) as { job: string }).job);
    const report = result.report as { failed: Array<{ file: string; code: string; message: string }> };
    expect(report.failed).toEqual([expect.objectContaining({ file: 'broken.pdf', code: 'corrupt' })]);
    expect(JSON.stringify(report)).not.toContain(dataDir);
    const names = ((await (await app.request('/api/documents')).json()) as { documents: Array<{ name: string }> }).documents.map((d) => d.name);
    expect(names).toContain('timer-manual.pdf');
    expect(names).not.toContain('broken.pdf');
  });

  it('an admin deletion removes the document, its uploaded file and the upload folder it leaves empty', async () => {
    const response = await upload(app, 'to-delete.pdf', manual);
    expect(response.status).toBe(202);
    expect((await followJob(app, ((await response.json()) as { job: string }).job)).event).toBe('done');
    const { documents } = (await (await app.request('/api/documents')).json()) as { documents: Array<{ id: string; name: string }> };
    const id = documents.find((d) => d.name === 'to-delete.pdf')?.id as string;
    const source = (await runtime.pipeline.store.getDocument(id))?.source as string;
    expect(existsSync(source)).toBe(true);
    expect((await app.request(`/api/documents/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(204);
    expect((await app.request(`/api/documents/${id}`)).status).toBe(404);
    expect(existsSync(source)).toBe(false);
    expect(existsSync(dirname(source))).toBe(false);
    expect(existsSync(join(dataDir, 'uploads'))).toBe(true);
  });

  it('needs the admin token to delete', async () => {
    const { documents } = (await (await app.request('/api/documents')).json()) as { documents: Array<{ id: string; name: string }> };
    const id = documents.find((d) => d.name === 'timer-manual.pdf')?.id as string;
    expect((await app.request(`/api/documents/${id}`, { method: 'DELETE' })).status).toBe(401);
    expect((await app.request(`/api/documents/${id}`, { method: 'DELETE', headers: { authorization: 'Bearer wrong' } })).status).toBe(403);
    const closed = build({ adminToken: undefined });
    const disabled = await closed.request(`/api/documents/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(disabled.status).toBe(403);
    expect(((await disabled.json()) as { error: { code: string } }).error.code).toBe('admin_disabled');
    expect((await app.request('/api/reindex', { method: 'POST' })).status).toBe(401);
    const budgets = { budgets: [{ window: 'day', limitUsd: 2, mode: 'downgrade' }] };
    expect((await app.request('/api/budgets', { method: 'PUT', body: JSON.stringify(budgets), headers: { 'content-type': 'application/json' } })).status).toBe(401);
    // Still there after the refused attempts.
    expect((await app.request(`/api/documents/${id}`)).status).toBe(200);
    // The UI's sign-in asks whether a token is the admin's.
    expect((await app.request('/api/admin')).status).toBe(401);
    expect((await app.request('/api/admin', { headers: { authorization: 'Bearer wrong' } })).status).toBe(403);
    expect(await (await app.request('/api/admin', { headers: { authorization: `Bearer ${ADMIN}` } })).json()).toEqual({ admin: true });
  });
});

describe('budgets', () => {
  it('an admin changes the budgets at run time; invalid rules are refused with the field named', async () => {
    const put = (body: unknown) =>
      app.request('/api/budgets', { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` } });
    const ok = await put({ budgets: [{ window: 'day', limitUsd: 2, mode: 'downgrade' }] });
    expect(ok.status).toBe(200);
    expect(((await (await app.request('/api/budgets')).json()) as { budgets: Array<{ limitUsd: number; mode: string }> }).budgets).toEqual([
      expect.objectContaining({ limitUsd: 2, mode: 'downgrade' }),
    ]);
    const bad = await put({ budgets: [{ window: 'decade', limitUsd: -1, mode: 'block' }] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/budgets\.0\.window/);
    expect((await put({ budgets: [] })).status).toBe(200);
  });
});

describe('asking', () => {
  it('streams retrieval, the cited answer and which backend served each part', async () => {
    const response = await app.request('/api/ask', { method: 'POST', body: JSON.stringify({ question: 'What does the mtimecmp register hold?' }), headers: { 'content-type': 'application/json' } });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = parseSse(await response.text());
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['retrieval', 'answer', 'meta', 'done']));
    const retrieval = eventData<{ sources: Array<{ doc: string; page: number; reason: string; why: { signals: Array<{ signal: string; contribution: number }>; keywordRank: number } }> }>(events, 'retrieval');
    expect(retrieval.sources[0]).toMatchObject({ doc: 'timer-manual.pdf', page: 1, reason: 'keyword' });
    // The sources panel says which retrieval signals put each passage where it is.
    expect(retrieval.sources[0]?.why.keywordRank).toBe(1);
    expect(retrieval.sources[0]?.why.signals.map((s) => s.signal)).toContain('bm25');
    const answer = eventData<{ text: string; refused: boolean; citations: Array<{ n: number; doc: string; page: number }> }>(events, 'answer');
    expect(answer.refused).toBe(false);
    expect(answer.text).toContain('mtimecmp');
    expect(answer.citations[0]).toMatchObject({ doc: 'timer-manual.pdf', page: 1 });
    const meta = eventData<{ parts: { answer: { backend: string } }; timings: { total: number }; costUsd: number }>(events, 'meta');
    expect(meta.parts.answer.backend).toBe('extractive');
    expect(meta.costUsd).toBe(0);
    expect(meta.timings.total).toBeGreaterThan(0);
    const usage = (await (await app.request('/api/usage?days=3')).json()) as { totals: { questions: number }; daily: unknown[] };
    expect(usage.totals.questions).toBeGreaterThanOrEqual(1);
    expect(usage.daily).toHaveLength(3);
  });

  it('refuses bad questions with a clear error', async () => {
    const empty = await app.request('/api/ask', { method: 'POST', body: JSON.stringify({ question: '  ' }), headers: { 'content-type': 'application/json' } });
    expect(empty.status).toBe(400);
    const notJson = await app.request('/api/ask', { method: 'POST', body: 'question?', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    const long = await app.request('/api/ask', { method: 'POST', body: JSON.stringify({ question: 'x'.repeat(2001) }), headers: { 'content-type': 'application/json' } });
    expect(((await long.json()) as { error: { message: string } }).error.message).toMatch(/2,000/);
  });

  it('answers OpenAI-compatible chat completions, whole and streamed', async () => {
    const body = { model: 'docs', messages: [{ role: 'user', content: 'What raises a machine software interrupt?' }] };
    const whole = (await (await app.request('/v1/chat/completions', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })).json()) as {
      object: string;
      choices: Array<{ message: { content: string }; finish_reason: string }>;
    };
    expect(whole.object).toBe('chat.completion');
    expect(whole.choices[0]?.message.content).toMatch(/msip/);
    expect(whole.choices[0]?.message.content).toMatch(/Sources:\n\[1\] timer-manual\.pdf, p\. 2/);
    const streamed = parseSse(await (await app.request('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ ...body, stream: true }), headers: { 'content-type': 'application/json' } })).text());
    expect(streamed[streamed.length - 1]?.data).toBe('[DONE]');
    const text = streamed
      .slice(0, -1)
      .map((e) => (JSON.parse(e.data) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '')
      .join('');
    expect(text).toMatch(/msip/);
  });
});

describe('a public Space', () => {
  it('sends strict security headers', async () => {
    const response = await app.request('/api/health');
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('limits requests per client', async () => {
    const limited = build({ rateLimitPerMinute: 2 });
    const ask = () => limited.request('/api/ask', { method: 'POST', body: JSON.stringify({ question: '' }), headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' } });
    expect((await ask()).status).toBe(400);
    expect((await ask()).status).toBe(400);
    const third = await ask();
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another client is not affected.
    const other = await limited.request('/api/ask', { method: 'POST', body: JSON.stringify({ question: '' }), headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.10' } });
    expect(other.status).toBe(400);
  });

  it('never sends the HF token or the data folder in any body or header', async () => {
    for (const path of ['/api/health', '/api/profile', '/api/documents', '/api/usage', '/metrics', '/api/budgets', '/api/nope']) {
      const response = await app.request(path);
      const text = await response.text();
      const headers = JSON.stringify([...response.headers.entries()]);
      expect(text, path).not.toContain(SECRET);
      expect(headers, path).not.toContain(SECRET);
      expect(text, path).not.toContain(dataDir);
    }
  });

  it('serves metrics in the Prometheus text format', async () => {
    const text = await (await app.request('/metrics')).text();
    expect(text).toMatch(/^ragbridge_documents \d+$/m);
    expect(text).toContain('# TYPE');
  });

  it('stores uploads under safe names', () => {
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('C:\\Users\\me\\My Manual (v2).PDF')).toBe('My Manual _v2_.pdf');
    expect(safeFileName('.hidden.md')).toBe('hidden.md');
  });
});
