import { startFakeOllama, type FakeServer } from '@ragbridge/testkit';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { askOllama } from './ask-ollama.js';

// Keeps the README example working: it runs against the fake Ollama here, and against a real one as a script.
let server: FakeServer;
beforeAll(async () => {
  server = await startFakeOllama();
});
afterAll(async () => {
  await server.close();
});

it('checks health, embeds with prefixes, and streams an answer from the nearest passages', async () => {
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  const deltas: string[] = [];
  const { answer, sources } = await askOllama({
    host: server.url,
    question: 'How many general-purpose registers does RV32I have?',
    passages: ['The FDA guidance covers software validation.', 'RV32I has 32 general-purpose registers.', 'Register x0 is hardwired to zero.'],
    onDelta: (text) => deltas.push(text),
  });

  expect(sources[0]).toBe('RV32I has 32 general-purpose registers.');
  expect(answer).toContain('32 general-purpose registers');
  expect(deltas.join('')).toBe(answer);
  expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/version', 'GET /api/tags', 'POST /api/embed', 'POST /api/embed', 'POST /api/chat']);
  expect((server.requestsTo('ollama.embed')[0]?.json as { input: string[] }).input[0]).toMatch(/^search_query: /);
});
