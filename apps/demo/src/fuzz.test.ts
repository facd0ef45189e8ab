import fc from 'fast-check';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gauge, OFFLINE_ADMIN_TOKEN, startOfflineApp, type OfflineApp } from './__fixtures__/offline-app.js';
import { TIMER_MARKDOWN } from './__fixtures__/app-settings.js';
import { parseSse } from './__fixtures__/sse.js';

/**
 * Property-based fuzzing of every route of the app with generated requests: methods, paths with
 * odd and malformed parameters, headers, content types and bodies. No response may be a 5xx, no
 * request may hang, every refusal is JSON, and afterwards no answer slot is held and a normal
 * question is still answered. FUZZ_SEED and FUZZ_RUNS reproduce or lengthen a run.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 1_402_026);
const RUNS = Number(process.env.FUZZ_RUNS ?? 5_200);
const REQUEST_TIMEOUT_MS = 10_000;
/** After the sequential run: this many more requests, CONCURRENCY at a time. */
const CONCURRENT_RUNS = 400;
const CONCURRENCY = 20;

const TIMER = TIMER_MARKDOWN;

let offline: OfflineApp;
let app: Hono;
let documentIds: string[] = [];

beforeAll(async () => {
  offline = await startOfflineApp({ documents: { 'timer.md': TIMER, 'notes.txt': 'Plain notes about the msip register, which raises software interrupts.' } });
  app = offline.build({ maxConcurrentRequests: 2, requestTimeoutMs: 2_000 });
  documentIds = (await offline.runtime.pipeline.store.listDocuments()).map((d) => d.id);
}, 60_000);

afterAll(async () => {
  await offline?.close();
});

// ---- generators ----------------------------------------------------------------------------

/** Strings that break parsers: empty, unicode of every plane, control characters, huge. */
const nastyString = fc.oneof(
  { arbitrary: fc.string({ maxLength: 40 }), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }), weight: 2 },
  { arbitrary: fc.constantFrom('', ' ', '\u0000', '\uFEFF', '\uD800', '𝔘𝔫𝔦', 'null', 'undefined', '__proto__', 'constructor', '../../etc/passwd', '%00', '<script>'), weight: 2 },
  {
    arbitrary: fc.tuple(fc.string({ minLength: 1, maxLength: 3 }), fc.integer({ min: 1_000, max: 120_000 })).map(([s, n]) => s.repeat(Math.ceil(n / s.length)).slice(0, n)),
    weight: 1,
  },
);

/** Percent-encodes any string (a lone surrogate, which has no UTF-8 form, as U+FFFD). */
const encode = (s: string): string => encodeURIComponent(s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'));

/** Node refuses request heads over 16 KB (431) before the app sees them: URL parts stay below that. */
const urlPart = nastyString.map((s) => encode(s.slice(0, 2_000)));

/** Path segments: real document ids, numbers, unicode, traversal, and percent-encoding both valid and malformed. */
const segment = fc.oneof(
  { arbitrary: fc.nat(99).map((i) => documentIds[i % documentIds.length] ?? 'none'), weight: 3 },
  { arbitrary: urlPart, weight: 4 },
  { arbitrary: fc.integer().map(String), weight: 2 },
  { arbitrary: fc.constantFrom('0', '1', '2', '-1', '1.5', '1e9', '9007199254740993', 'NaN', 'Infinity', '00001', '0x10'), weight: 2 },
  { arbitrary: fc.constantFrom('%', '%E0%A4%A', '%zz', '%C0%AF', '%00', '%2F', '%2e%2e', '..', '%252e%252e', '%u0041', '%FF%FE', '%ED%A0%80'), weight: 3 },
  { arbitrary: fc.webSegment(), weight: 2 },
);

/** Every route of the app (path pattern, its methods, the body it reads), weighted by how much input it parses. */
interface RoutePattern {
  path: (segment: () => string) => string;
  methods: string[];
  body?: 'ask' | 'chat' | 'budgets' | 'upload';
  weight: number;
}

const ROUTES: RoutePattern[] = [
  { path: () => '/api/health', methods: ['GET'], weight: 1 },
  { path: () => '/health', methods: ['GET'], weight: 1 },
  { path: () => '/api/profile', methods: ['GET'], weight: 1 },
  { path: () => '/metrics', methods: ['GET'], weight: 1 },
  { path: () => '/api/documents', methods: ['GET'], weight: 1 },
  { path: () => '/api/documents', methods: ['POST'], body: 'upload', weight: 6 },
  { path: (s) => `/api/documents/${s()}`, methods: ['GET', 'DELETE'], weight: 3 },
  { path: (s) => `/api/documents/${s()}/file`, methods: ['GET'], weight: 2 },
  { path: (s) => `/api/documents/${s()}/pages/${s()}`, methods: ['GET'], weight: 2 },
  { path: (s) => `/api/documents/${s()}/text`, methods: ['GET'], weight: 2 },
  { path: (s) => `/api/jobs/${s()}`, methods: ['GET'], weight: 1 },
  { path: () => '/api/reindex', methods: ['POST'], weight: 1 },
  { path: () => '/api/budgets', methods: ['GET', 'PUT'], body: 'budgets', weight: 4 },
  { path: () => '/api/ask', methods: ['POST'], body: 'ask', weight: 8 },
  { path: () => '/api/usage', methods: ['GET'], weight: 1 },
  { path: () => '/v1/chat/completions', methods: ['POST'], body: 'chat', weight: 8 },
  { path: () => '/v1/models', methods: ['GET'], weight: 1 },
  { path: (s) => `/v1/models/${s()}`, methods: ['GET'], weight: 1 },
  { path: (s) => `/vendor/pdfjs/${s()}`, methods: ['GET'], weight: 1 },
  { path: (s) => `/${s()}`, methods: ['GET'], weight: 2 },
  { path: (s) => `/${s()}/${s()}/${s()}`, methods: ['GET'], weight: 1 },
  { path: () => '/', methods: ['GET'], weight: 1 },
];

const query = fc.oneof(
  { arbitrary: fc.constant(''), weight: 6 },
  { arbitrary: fc.oneof(urlPart, fc.constantFrom('%', '%E0', '1e400', '-5', '3')).map((v) => `?days=${v}`), weight: 2 },
  { arbitrary: fc.array(fc.tuple(segment, segment), { maxLength: 4 }).map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`), weight: 1 },
);

/** What HTTP lets a header value hold: visible ASCII, tabs, spaces and Latin-1 bytes (obs-text). */
const headerValue = nastyString.map((s) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '').slice(0, 8192));

const address = fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), headerValue, fc.constantFrom('unknown', '[::1]:80', '1.2.3.4:5', ' '));

const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json;'];
const OTHER_TYPES = ['application/jsonp', 'text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data', 'multipart/form-data; boundary=----x', 'application/octet-stream', 'application/pdf', '', ';;;', 'json'];

const contentType = fc.oneof(
  { arbitrary: fc.constantFrom(...JSON_TYPES), weight: 6 },
  { arbitrary: fc.constantFrom(...OTHER_TYPES), weight: 3 },
  { arbitrary: headerValue, weight: 1 },
);

const headers = fc.record(
  {
    'content-type': contentType,
    authorization: fc.constantFrom(`Bearer ${OFFLINE_ADMIN_TOKEN}`, `bearer   ${OFFLINE_ADMIN_TOKEN}  `, 'Bearer wrong', 'Bearer', 'Basic abc', `Bearer ${'x'.repeat(4096)}`),
    'x-forwarded-for': fc.array(address, { maxLength: 5 }).map((list) => list.join(', ')),
    origin: fc.constantFrom('https://app.example', 'null', 'https://evil.example', 'file://'),
    accept: fc.constantFrom('text/event-stream', 'application/json', '*/*', ''),
    'x-anything': headerValue,
  },
  { requiredKeys: [] },
);

const question = fc.oneof(
  { arbitrary: fc.constantFrom('What does the mtimecmp register hold?', 'Which register raises a software interrupt?', 'What is the answer?'), weight: 1 },
  { arbitrary: nastyString, weight: 4 },
  { arbitrary: fc.anything(), weight: 2 },
);

/** Bodies shaped like each route's, wrong in some field most of the time. */
const ROUTE_BODIES = {
  ask: fc.record({ question, k: fc.oneof(fc.integer({ min: -5, max: 50 }), fc.double(), fc.anything()) }, { requiredKeys: ['question'] }),
  chat: fc.record(
    {
      model: fc.oneof(fc.constant('ragbridge'), nastyString, fc.anything()),
      messages: fc.oneof(
        fc.array(
          fc.record(
            {
              role: fc.oneof(fc.constantFrom('user', 'system', 'assistant', 'tool'), nastyString),
              content: fc.oneof(question, fc.array(fc.record({ type: fc.constantFrom('text', 'image_url', 'x'), text: question }, { requiredKeys: [] }), { maxLength: 3 }), fc.constant(null)),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 4 },
        ),
        fc.anything(),
      ),
      stream: fc.oneof(fc.boolean(), fc.anything()),
      stream_options: fc.oneof(fc.record({ include_usage: fc.oneof(fc.boolean(), fc.anything()) }), fc.anything()),
      temperature: fc.double(),
    },
    { requiredKeys: [] },
  ),
  budgets: fc.record(
    {
      budgets: fc.oneof(
        fc.array(
          fc.record(
            { window: fc.constantFrom('day', 'month', 'year', ''), limitUsd: fc.oneof(fc.double(), fc.integer(), fc.anything()), mode: fc.constantFrom('block', 'downgrade', 'x'), backend: fc.constantFrom('hf-inference', 'ollama', 'nope'), id: nastyString },
            { requiredKeys: [] },
          ),
          { maxLength: 4 },
        ),
        fc.anything(),
      ),
    },
    { requiredKeys: [] },
  ),
};

const UPLOAD_NAMES = ['notes.txt', 'page.html', 'readme.md', 'paper.pdf', 'tool.exe', '../../etc/passwd.txt', '.hidden.md', 'CON.txt', 'a'.repeat(300) + '.md', 'ünïcödé 📄.md', 'no-extension', 'x.PDF'];

/** Multipart bodies: files with good and bad names and contents, other fields, or none. */
const multipart = fc
  .array(
    fc.record({
      field: fc.constantFrom('file', 'file', 'files', 'other'),
      name: fc.oneof(fc.constantFrom(...UPLOAD_NAMES), nastyString.map((s) => `${s.slice(0, 200)}.txt`)),
      content: fc.oneof(
        fc.uint8Array({ maxLength: 2048 }),
        fc.string({ maxLength: 400 }).map((s) => new TextEncoder().encode(s)),
        fc.constant(new TextEncoder().encode('%PDF-1.7\nnot really')),
        fc.constant(new Uint8Array(80 * 1024).fill(65)),
      ),
      asFile: fc.boolean(),
    }),
    { maxLength: 3 },
  )
  .map((parts) => {
    const form = new FormData();
    for (const part of parts) {
      if (part.asFile) form.append(part.field, new File([part.content as Uint8Array<ArrayBuffer>], part.name));
      else form.append(part.field, new TextDecoder().decode(part.content));
    }
    return form;
  });

type Body = { kind: string; value: NonNullable<RequestInit['body']> | undefined };

const junkBody: fc.Arbitrary<Body> = fc.oneof(
  { arbitrary: fc.constant<Body>({ kind: 'none', value: undefined }), weight: 2 },
  { arbitrary: fc.jsonValue().map<Body>((v) => ({ kind: 'json', value: JSON.stringify(v) })), weight: 3 },
  { arbitrary: nastyString.map<Body>((v) => ({ kind: 'text', value: v })), weight: 2 },
  { arbitrary: fc.uint8Array({ maxLength: 4096 }).map<Body>((v) => ({ kind: 'bytes', value: v as Uint8Array<ArrayBuffer> })), weight: 1 },
  { arbitrary: multipart.map<Body>((v) => ({ kind: 'multipart', value: v })), weight: 1 },
  {
    arbitrary: fc.constantFrom<Body>(
      { kind: 'literal', value: 'null' },
      { kind: 'literal', value: '[]' },
      { kind: 'literal', value: '{"question": null}' },
      { kind: 'literal', value: '{"__proto__": {"question": "x"}}' },
      { kind: 'literal', value: '['.repeat(50_000) },
    ),
    weight: 1,
  },
);

function bodyFor(route: RoutePattern): fc.Arbitrary<Body> {
  if (!route.body) return junkBody;
  const own =
    route.body === 'upload' ? multipart.map<Body>((v) => ({ kind: 'multipart', value: v })) : ROUTE_BODIES[route.body].map<Body>((v) => ({ kind: route.body as string, value: JSON.stringify(v) }));
  return fc.oneof({ arbitrary: own, weight: 3 }, { arbitrary: junkBody, weight: 2 });
}

const request = fc.constantFrom(...ROUTES.flatMap((route) => Array.from({ length: route.weight }, () => route))).chain((route) =>
  fc.record({
    method: fc.oneof({ arbitrary: fc.constantFrom(...route.methods), weight: 6 }, { arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'), weight: 1 }),
    path: fc.tuple(fc.array(segment, { minLength: 3, maxLength: 3 }), query).map(([segments, q]) => {
      let next = 0;
      return route.path(() => segments[next++] as string) + q;
    }),
    headers,
    body: bodyFor(route),
    /** Multipart bodies: keep the boundary fetch gives them, or send the generated content type instead. */
    multipartType: fc.boolean(),
  }),
);

type FuzzRequest = typeof request extends fc.Arbitrary<infer R> ? R : never;

// ---- the run -------------------------------------------------------------------------------

function describeRequest(r: FuzzRequest): string {
  const shown = r.body.value instanceof FormData ? '[multipart]' : typeof r.body.value === 'string' ? r.body.value.slice(0, 200) : r.body.value ? `[${(r.body.value as Uint8Array).length} bytes]` : '';
  return `${r.method} ${r.path.slice(0, 300)} headers=${JSON.stringify(r.headers).slice(0, 300)} body(${r.body.kind})=${JSON.stringify(shown)}`;
}

async function send(r: FuzzRequest): Promise<{ status: number; type: string; text: string }> {
  const init: RequestInit = { method: r.method, headers: { ...r.headers } };
  const hasBody = r.body.value !== undefined && r.method !== 'GET' && r.method !== 'HEAD';
  if (hasBody) init.body = r.body.value;
  // A form keeps the content type fetch gives it (with its boundary) unless asked to lie about it.
  if (hasBody && r.body.value instanceof FormData && r.multipartType) delete (init.headers as Record<string, string>)['content-type'];
  const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const response = await app.request(`http://localhost${r.path}`, { ...init, signal });
  const text = await Promise.race([
    response.text(),
    new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error(`no complete response within ${REQUEST_TIMEOUT_MS} ms`)))),
  ]);
  return { status: response.status, type: response.headers.get('content-type') ?? '', text };
}

describe('fuzzing every route', () => {
  it(`${RUNS} generated requests one by one, then ${CONCURRENT_RUNS} ${CONCURRENCY} at a time: no 5xx, no hang, JSON refusals, no slot held, still answering`, async () => {
    const started = performance.now();
    const statuses = new Map<number, number>();
    const serverErrors: string[] = [];
    let sent = 0;
    let answered = 0;
    console.log(`[fuzz] seed ${SEED}, ${RUNS} runs (FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} to reproduce)`);
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        sent++;
        const { status, type, text } = await send(r);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500) {
          serverErrors.push(`${status} ${describeRequest(r)} → ${text.slice(0, 200)}`);
          return false;
        }
        if (status >= 400 && r.method !== 'HEAD') {
          // Every refusal says what went wrong, as JSON.
          expect(type, describeRequest(r)).toMatch(/^application\/json/);
          expect(() => JSON.parse(text), describeRequest(r)).not.toThrow();
        }
        if (status === 200 && r.path.startsWith('/api/ask')) {
          const events = parseSse(text).map((e) => e.event);
          if (events.includes('answer')) answered++;
          expect(events, describeRequest(r)).not.toContain('error');
        }
        expect(text, describeRequest(r)).not.toContain(offline.dataDir);
        return true;
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    // Then the same kind of requests at once, so answers hold slots while others wait or are refused.
    const burst = fc.sample(request, { seed: SEED + 1, numRuns: CONCURRENT_RUNS });
    for (let i = 0; i < burst.length; i += CONCURRENCY) {
      await Promise.all(
        burst.slice(i, i + CONCURRENCY).map(async (r) => {
          sent++;
          const { status, text } = await send(r);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status >= 500) serverErrors.push(`${status} (concurrent) ${describeRequest(r)} → ${text.slice(0, 200)}`);
        }),
      );
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `[fuzz] ${sent} requests in ${seconds.toFixed(1)} s; ${serverErrors.length} with status >= 500; ${answered} questions answered; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`,
    );
    expect(serverErrors).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(5_000 + CONCURRENT_RUNS);

    // Nothing left holding an answer slot, and a normal question is answered at once.
    expect(await gauge(app, 'ragbridge_answers_in_flight')).toBe(0);
    expect(await gauge(app, 'ragbridge_answers_waiting')).toBe(0);
    await offline.runtime.pipeline.ingest([`${offline.dataDir}/corpus/timer.md`], { workers: 1 });
    const after = await app.request('/api/ask', { method: 'POST', body: JSON.stringify({ question: 'What does the mtimecmp register hold?' }), headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.1' } });
    expect(after.status).toBe(200);
    const events = parseSse(await after.text());
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['retrieval', 'answer', 'done']));
    expect(JSON.parse(events.find((e) => e.event === 'answer')?.data ?? '{}').text).toContain('mtimecmp');
  }, 180_000);
});
