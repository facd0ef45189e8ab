import { writeSimplePdf } from '@ragbridge/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_HF_TOKEN, startDemoOnFakes, type DemoOnFakes } from './__fixtures__/demo-on-fakes.js';
import { eventData, parseSse } from './__fixtures__/sse.js';

const guide = writeSimplePdf({
  title: 'Vector guide',
  pages: [
    { lines: [{ text: 'Vector type', size: 18 }, 'The vtype register holds the element width SEW and the register grouping LMUL.'] },
    { lines: [{ text: 'Vector length', size: 18 }, 'The vl register holds the number of elements to operate on.', 'vsetvli writes both vl and vtype.'] },
  ],
});

let running: DemoOnFakes | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function ingestAndAsk(demo: DemoOnFakes, question: string) {
  const form = new FormData();
  form.append('file', new File([guide as Uint8Array<ArrayBuffer>], 'vector-guide.pdf'));
  const upload = await fetch(`${demo.url}/api/documents`, { method: 'POST', body: form });
  expect(upload.status).toBe(202);
  const { job } = (await upload.json()) as { job: string };
  const jobEvents = parseSse(await (await fetch(`${demo.url}/api/jobs/${job}`)).text());
  expect(eventData<{ report: { added: string[] } }>(jobEvents, 'done').report.added).toEqual(['vector-guide.pdf']);
  const response = await fetch(`${demo.url}/api/ask`, { method: 'POST', body: JSON.stringify({ question }), headers: { 'content-type': 'application/json' } });
  const events = parseSse(await response.text());
  return {
    events,
    answer: eventData<{ text: string; refused: boolean; mode: string; citations: Array<{ doc: string; page: number }> }>(events, 'answer'),
    meta: eventData<{ parts: Record<string, { backend: string; model: string } | null>; costUsd: number; fallbacks: string[] }>(events, 'meta'),
  };
}

describe('end to end on the fake services', () => {
  it('hf-spaces: hosted answer with citations, priced in the ledger and the metrics', async () => {
    running = await startDemoOnFakes({ profile: 'hf-spaces' });
    const health = (await (await fetch(`${running.url}/api/health`)).json()) as { profile: string };
    expect(health.profile).toBe('hf-spaces');
    const { events, answer, meta } = await ingestAndAsk(running, 'What does the vtype register hold?');
    expect(events.some((e) => e.event === 'delta')).toBe(true);
    expect(answer.refused).toBe(false);
    expect(answer.mode).toBe('generative');
    expect(answer.citations.length).toBeGreaterThan(0);
    expect(answer.citations[0]?.doc).toBe('vector-guide.pdf');
    expect(meta.parts.answer).toMatchObject({ backend: 'hf-inference-providers', model: 'openai/gpt-oss-20b' });
    expect(meta.parts.embedder?.backend).toBe('hf-inference-providers');
    expect(meta.costUsd).toBeGreaterThan(0);
    // The fake saw the token; the app never sends it to a browser.
    expect(running.hf.requests.some((r) => r.headers.authorization === `Bearer ${FAKE_HF_TOKEN}`)).toBe(true);
    const rows = await running.server.runtime.monitor.ledger.query({});
    const chat = rows.filter((r) => r.operation === 'chat');
    expect(chat.length).toBe(1);
    expect(chat[0]).toMatchObject({ backend: 'hf-inference-providers', status: 'ok' });
    expect(chat[0]?.costUsd ?? 0).toBeGreaterThan(0);
    expect(rows.some((r) => r.operation === 'embed')).toBe(true);
    const usage = (await (await fetch(`${running.url}/api/usage?days=1`)).json()) as { totals: { costUsd: number; questions: number } };
    expect(usage.totals.costUsd).toBeCloseTo(rows.reduce((sum, r) => sum + (r.costUsd ?? 0), 0), 10);
    expect(usage.totals.questions).toBe(1);
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    expect(metrics).toMatch(/^ragbridge_documents 1$/m);
    expect(metrics).toMatch(/hf-inference-providers/);
    for (const path of ['/api/profile', '/api/usage', '/metrics', '/api/documents']) expect(await (await fetch(running.url + path)).text()).not.toContain(FAKE_HF_TOKEN);
  }, 120_000);

  it('hf-spaces: a hosted stream cut after its first text keeps that text, marked interrupted, with the extractive answer below', async () => {
    running = await startDemoOnFakes({ profile: 'hf-spaces' });
    running.hf.fault({ route: 'router.chat', dropAfterEvents: 3 });
    const { events, answer } = await ingestAndAsk(running, 'What does the vl register hold?');
    const shown = events
      .filter((e) => e.event === 'delta')
      .map((e) => (JSON.parse(e.data) as { text: string }).text)
      .join('');
    expect(shown.length).toBeGreaterThan(0);
    expect(events.some((e) => e.event === 'error')).toBe(false);
    expect(events.at(-1)?.event).toBe('done');
    const interrupted = answer as typeof answer & { interrupted?: { text: string; reason: string } };
    expect(interrupted.mode).toBe('extractive');
    expect(interrupted.interrupted?.text).toBe(shown.trim());
    expect(interrupted.interrupted?.reason).toMatch(/broke off/);
    expect(interrupted.text).toMatch(/vl register/);
    expect(interrupted.citations.length).toBeGreaterThan(0);
  }, 120_000);

  it('hf-spaces over /v1/chat/completions: earlier messages make the conversation, and a cut stream ends with the extractive answer, labelled', async () => {
    running = await startDemoOnFakes({ profile: 'hf-spaces' });
    await ingestAndAsk(running, 'What does the vtype register hold?');
    const chat = (messages: unknown[], stream = false) =>
      fetch(`${running?.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'ragbridge', messages, stream }) });
    const history = [
      { role: 'user', content: 'What does the vl register hold?' },
      { role: 'assistant', content: 'The vl register holds the number of elements to operate on [1].' },
      { role: 'user', content: 'Which instruction writes it?' },
    ];
    const reply = await chat(history);
    expect(reply.status).toBe(200);
    const last = running.hf.requests.filter((r) => r.path.endsWith('/chat/completions')).at(-1)?.json as { messages: Array<{ role: string; content: string }> };
    expect(last.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(last.messages[1]?.content).toBe('What does the vl register hold?');
    expect(last.messages[2]?.content).toBe('The vl register holds the number of elements to operate on.');
    expect(last.messages[3]?.content).toMatch(/Question: Which instruction writes it\?$/);

    running.hf.fault({ route: 'router.chat', dropAfterEvents: 3 });
    const streamed = await (await chat([{ role: 'user', content: 'What does the vl register hold?' }], true)).text();
    const text = streamed
      .split('\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => (JSON.parse(line.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '')
      .join('');
    expect(text).toMatch(/The model's answer broke off: .*Quoted from the sources instead:\)\n.*vl register/s);
    expect(streamed.trimEnd().endsWith('data: [DONE]')).toBe(true);
  }, 120_000);

  it('local: the answer comes from Ollama at no cost', async () => {
    running = await startDemoOnFakes({ profile: 'local' });
    const { answer, meta } = await ingestAndAsk(running, 'What does the vl register hold?');
    expect(answer.refused).toBe(false);
    expect(answer.citations.length).toBeGreaterThan(0);
    expect(meta.parts.answer?.backend).toBe('ollama');
    expect(meta.costUsd).toBe(0);
    const rows = await running.server.runtime.monitor.ledger.query({ operation: 'chat' });
    expect(rows).toEqual([expect.objectContaining({ backend: 'ollama', status: 'ok', costUsd: 0 })]);
    expect(running.ollama.requests.some((r) => r.path === '/api/chat')).toBe(true);
  }, 120_000);
});
