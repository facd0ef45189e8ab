import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, extname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { BudgetExceededError, isAbortError, type Answer } from '@ragbridge/core-interfaces';
import type { Runtime } from '@ragbridge/runtime';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { answerView, servedBy, sourceView } from './ask-events.js';
import { documentTextView } from './document-text.js';
import { createGate, errorBody, rateLimit, requireAdmin, securityHeaders } from './guards.js';
import { JobRegistry } from './jobs.js';
import { chatCompletions } from './openai.js';
import type { AppSettings } from './settings.js';
import { usageReport } from './usage.js';

/** What the app is built from: the composed runtime and the app settings. */
export interface AppDependencies {
  runtime: Runtime;
  settings: AppSettings;
  /** Static files of the web UI. */
  publicDir: string;
  /** pdf.js's browser build (`pdfjs-dist/build`), served at /vendor/pdfjs/. */
  pdfjsDir: string;
  /** Folders whose files may be served back to the viewer besides the upload folder (the sample corpus). */
  servableRoots?: string[];
}

/** File types the app ingests, by extension, with the bytes a file must start with (when fixed). */
const UPLOAD_TYPES: Record<string, { mediaType: string; magic?: string }> = {
  '.pdf': { mediaType: 'application/pdf', magic: '%PDF-' },
  '.md': { mediaType: 'text/markdown' },
  '.markdown': { mediaType: 'text/markdown' },
  '.html': { mediaType: 'text/html' },
  '.htm': { mediaType: 'text/html' },
  '.txt': { mediaType: 'text/plain' },
};

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/** A file name safe to store: its base name, odd characters replaced, at most 120 characters. */
export function safeFileName(name: string): string {
  const base = basename(name.replace(/\\/g, '/')).normalize('NFKC');
  const ext = extname(base).toLowerCase();
  const stem =
    base
      .slice(0, base.length - ext.length)
      .replace(/[^\p{L}\p{N}._ -]+/gu, '_')
      .replace(/^[.\s]+/, '')
      .slice(0, 100) || 'document';
  return `${stem}${ext}`;
}

function inside(root: string, path: string): boolean {
  const r = resolve(root);
  const p = resolve(path);
  return p === r || p.startsWith(r + sep);
}

/** The HTTP API and web UI over one runtime. */
export function createApp(deps: AppDependencies): Hono {
  const { runtime, settings } = deps;
  const { pipeline } = runtime;
  const store = pipeline.store;
  const jobs = new JobRegistry();
  const answers = createGate(settings.maxConcurrentRequests, 200, settings.requestTimeoutMs);
  const limited = rateLimit(settings.rateLimitPerMinute);
  const admin = requireAdmin(settings.adminToken);
  const roots = [settings.uploadDir, ...(deps.servableRoots ?? [])];
  const app = new Hono();

  const names = async (): Promise<(id: string) => string> => (await documentLookup()).name;
  /** Names, and which documents have pages (PDFs are cited by page, the rest by section). */
  const documentLookup = async (): Promise<{ name: (id: string) => string; paged: (id: string) => boolean }> => {
    const docs = new Map((await store.listDocuments()).map((d) => [d.id, d]));
    return { name: (id) => docs.get(id)?.name ?? 'document', paged: (id) => docs.get(id)?.mediaType === 'application/pdf' };
  };
  const documentView = (d: { id: string; name: string; pageCount: number; byteSize: number; mediaType: string; ingestedAt: number; title?: string }) => ({
    id: d.id,
    name: d.name,
    ...(d.title && { title: d.title }),
    pages: d.pageCount,
    bytes: d.byteSize,
    mediaType: d.mediaType,
    ingestedAt: d.ingestedAt,
  });

  app.use('*', securityHeaders);
  app.onError((error, c) => {
    // Never echo internals: the message names the problem, the stack stays in the log.
    console.error(`[demo] ${c.req.method} ${c.req.path}: ${error instanceof Error ? error.name : 'Error'}`);
    return c.json(errorBody('internal', 'the server could not complete the request'), 500);
  });
  app.notFound((c) => c.json(errorBody('not_found', `no route ${c.req.method} ${c.req.path}`), 404));

  // --- health, profile, metrics ---
  app.get('/api/health', async (c) =>
    c.json({
      status: 'ok',
      profile: runtime.profile,
      documents: (await store.stats()).documents,
    })
  );
  app.get('/health', async (c) => c.json({ status: 'ok', profile: runtime.profile }));
  app.get('/api/profile', (c) => {
    const explained = runtime.explain();
    return c.json({
      profile: explained.profile,
      reason: explained.reason,
      sources: explained.sources,
      warnings: explained.warnings,
      parts: runtime.parts(),
      config: explained.config,
    });
  });
  app.get('/metrics', async (c) => {
    const stats = await store.stats();
    const own = [
      '# HELP ragbridge_documents Documents in the store.',
      '# TYPE ragbridge_documents gauge',
      `ragbridge_documents ${stats.documents}`,
      '# HELP ragbridge_chunks Chunks in the store.',
      '# TYPE ragbridge_chunks gauge',
      `ragbridge_chunks ${stats.chunks}`,
      '# HELP ragbridge_answers_in_flight Questions being answered now.',
      '# TYPE ragbridge_answers_in_flight gauge',
      `ragbridge_answers_in_flight ${answers.active}`,
      '# HELP ragbridge_answers_waiting Questions waiting for a free slot.',
      '# TYPE ragbridge_answers_waiting gauge',
      `ragbridge_answers_waiting ${answers.waiting}`,
      '',
    ].join('\n');
    return c.body(own + (await runtime.monitor.metrics()), 200, {
      'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
    });
  });

  // --- documents ---
  app.get('/api/documents', async (c) => c.json({ documents: (await store.listDocuments()).map(documentView) }));
  app.get('/api/documents/:id', async (c) => {
    const doc = await store.getDocument(c.req.param('id'));
    return doc ? c.json(documentView(doc)) : c.json(errorBody('not_found', 'no such document'), 404);
  });
  app.get('/api/documents/:id/file', async (c) => {
    const doc = await store.getDocument(c.req.param('id'));
    if (!doc) return c.json(errorBody('not_found', 'no such document'), 404);
    if (!roots.some((root) => inside(root, doc.source)) || !existsSync(doc.source))
      return c.json(errorBody('not_found', 'the original file of this document is not available'), 404);
    const size = (await stat(doc.source)).size;
    return c.body(Readable.toWeb(createReadStream(doc.source)) as ReadableStream, 200, {
      'Content-Type': doc.mediaType,
      'Content-Length': String(size),
      'Content-Disposition': `inline; filename="${safeFileName(doc.name).replace(/"/g, '')}"`,
      'Cache-Control': 'private, max-age=300',
    });
  });
  app.get('/api/documents/:id/pages/:page', async (c) => {
    const page = Number(c.req.param('page'));
    if (!Number.isInteger(page) || page < 1) return c.json(errorBody('bad_request', 'the page must be a positive whole number'), 400);
    const doc = await store.getDocument(c.req.param('id'));
    if (!doc) return c.json(errorBody('not_found', 'no such document'), 404);
    const chunks = (await store.getDocumentChunks(doc.id)).filter((ch) => ch.page === page);
    if (chunks.length === 0 && page > doc.pageCount) return c.json(errorBody('not_found', `the document has ${doc.pageCount} pages`), 404);
    return c.json({
      page,
      label: chunks[0]?.pageLabel ?? String(page),
      pages: doc.pageCount,
      text: chunks.map((ch) => ch.text).join('\n\n'),
    });
  });

  app.get('/api/documents/:id/text', async (c) => {
    const doc = await store.getDocument(c.req.param('id'));
    if (!doc) return c.json(errorBody('not_found', 'no such document'), 404);
    if (doc.mediaType === 'application/pdf') return c.json(errorBody('bad_request', 'a PDF is shown page by page: use /api/documents/:id/pages/:n'), 400);
    const file = roots.some((root) => inside(root, doc.source)) && existsSync(doc.source) ? doc.source : undefined;
    return c.json(await documentTextView(doc, file, () => store.getDocumentChunks(doc.id)));
  });

  app.post(
    '/api/documents',
    limited,
    bodyLimit({
      maxSize: settings.maxUploadBytes + 64 * 1024,
      onError: (c) => c.json(errorBody('too_large', `uploads are limited to ${Math.round(settings.maxUploadBytes / 1024 / 1024)} MB`), 413),
    }),
    async (c) => {
      const type = c.req.header('content-type') ?? '';
      if (!type.toLowerCase().startsWith('multipart/form-data')) return c.json(errorBody('bad_request', 'send the files as multipart/form-data in the field "file"'), 400);
      let body: Record<string, unknown>;
      try {
        body = await c.req.parseBody({ all: true });
      } catch {
        return c.json(errorBody('bad_request', 'the upload could not be read as multipart/form-data'), 400);
      }
      const files = ([] as unknown[]).concat(body.file ?? []).filter((f): f is File => f instanceof File);
      if (files.length === 0) return c.json(errorBody('bad_request', 'no file in the field "file"'), 400);
      for (const file of files) {
        const ext = extname(file.name).toLowerCase();
        const kind = UPLOAD_TYPES[ext];
        if (!kind) {
          return c.json(errorBody('unsupported_type', `"${safeFileName(file.name)}" is not a supported type: upload ${Object.keys(UPLOAD_TYPES).join(', ')} files`), 415);
        }
        if (file.size > settings.maxUploadBytes) {
          return c.json(
            errorBody(
              'too_large',
              `"${safeFileName(file.name)}" is ${(file.size / 1024 / 1024).toFixed(1)} MB; uploads are limited to ${Math.round(settings.maxUploadBytes / 1024 / 1024)} MB`
            ),
            413
          );
        }
        if (file.size === 0) return c.json(errorBody('empty', `"${safeFileName(file.name)}" is empty`), 400);
        if (kind.magic) {
          const head = new TextDecoder('latin1').decode(new Uint8Array(await file.slice(0, 1024).arrayBuffer()));
          if (!head.includes(kind.magic)) return c.json(errorBody('unsupported_type', `"${safeFileName(file.name)}" is named ${ext} but is not a PDF (no %PDF- header)`), 415);
        } else {
          const head = new Uint8Array(await file.slice(0, 4096).arrayBuffer());
          if (head.includes(0)) return c.json(errorBody('unsupported_type', `"${safeFileName(file.name)}" is named ${ext} but holds binary data`), 415);
        }
      }
      await mkdir(settings.uploadDir, { recursive: true });
      const saved: string[] = [];
      for (const file of files) {
        const target = join(settings.uploadDir, safeFileName(file.name));
        // Write next to the target, then rename: a reader never sees half a file.
        const temp = `${target}.${randomUUID()}.part`;
        const handle = await open(temp, 'w');
        try {
          await handle.writeFile(new Uint8Array(await file.arrayBuffer()));
        } finally {
          await handle.close();
        }
        await rename(temp, target);
        saved.push(target);
      }
      const job = jobs.create();
      job.emit({
        event: 'progress',
        data: {
          file: basename(saved[0] as string),
          stage: 'upload',
          done: saved.length,
          total: saved.length,
        },
      });
      void pipeline
        .ingest(saved, {
          onProgress: (p) => {
            if (p.type === 'file')
              job.emit({
                event: 'progress',
                data: {
                  file: basename(p.source),
                  stage: 'extract',
                  done: p.index,
                  total: p.files,
                  status: p.status,
                },
              });
          },
          onEmbedProgress: (p) =>
            job.emit({
              event: 'progress',
              data: { file: '', stage: 'embed', done: p.done, total: p.total },
            }),
        })
        .then((report) =>
          job.emit({
            event: 'done',
            data: {
              report: {
                added: report.added.map((s) => basename(s)),
                updated: report.updated.map((s) => basename(s)),
                unchanged: report.unchanged.map((s) => basename(s)),
                failed: report.failed.map((f) => ({
                  file: basename(f.source),
                  code: f.code,
                  message: f.message.replaceAll(settings.uploadDir, ''),
                })),
                pageErrors: report.pageErrors.map((e) => ({
                  file: basename(e.source),
                  page: e.page,
                  message: e.message,
                })),
                pages: report.pages,
                chunks: report.chunks,
                embedded: report.embedded,
              },
            },
          })
        )
        .catch(async (error: unknown) => {
          console.error(`[demo] ingest failed: ${error instanceof Error ? error.name : 'Error'}`);
          job.emit({
            event: 'error',
            data: {
              message: 'ingestion failed; the documents already stored are unchanged',
            },
          });
        });
      return c.json({ job: job.id, files: saved.map((s) => basename(s)) }, 202);
    }
  );

  app.get('/api/jobs/:id', (c) => {
    return streamSSE(c, async (stream) => {
      let resolveEnd: () => void = () => undefined;
      const ended = new Promise<void>((r) => (resolveEnd = r));
      // Writes in order; the stream closes only after the last one is flushed.
      let writes = Promise.resolve();
      const send = (e: { event: string; data: unknown }): void => {
        writes = writes.then(() => stream.writeSSE({ event: e.event, data: JSON.stringify(e.data) }));
        if (e.event !== 'progress') resolveEnd();
      };
      const followed = jobs.follow(c.req.param('id'), send);
      if (!followed) {
        await stream.writeSSE({
          event: 'error',
          data: JSON.stringify({
            message: 'no such job (it may have expired)',
          }),
        });
        return;
      }
      for (const e of followed.replayed) send(e);
      stream.onAbort(() => resolveEnd());
      if (!followed.finished) await ended;
      followed.stop();
      await writes;
    });
  });

  app.delete('/api/documents/:id', admin, async (c) => {
    const doc = await store.getDocument(c.req.param('id'));
    if (!doc) return c.json(errorBody('not_found', 'no such document'), 404);
    await store.deleteDocument(doc.id);
    if (inside(settings.uploadDir, doc.source)) await rm(doc.source, { force: true });
    return c.body(null, 204);
  });
  app.post('/api/reindex', admin, async (c) => c.json({ embedded: await pipeline.indexVectors() }));
  app.get('/api/budgets', (c) => c.json({ budgets: runtime.monitor.budgets() }));
  app.put('/api/budgets', admin, async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json(errorBody('bad_request', 'send JSON: {"budgets": [{"window": "day", "limitUsd": 1, "mode": "block"}]}'), 400);
    }
    const rules = (body as { budgets?: unknown }).budgets;
    if (!Array.isArray(rules)) return c.json(errorBody('bad_request', 'the field "budgets" must be an array of budget rules'), 400);
    try {
      return c.json({ budgets: await runtime.monitor.setBudgets(rules) });
    } catch (error) {
      const issues = (error as { issues?: Array<{ path: PropertyKey[]; message: string }> }).issues;
      const detail = issues?.map((i) => `budgets.${i.path.map(String).join('.')}: ${i.message}`).join('; ') ?? 'invalid budget rules';
      return c.json(errorBody('invalid_budgets', detail), 400);
    }
  });

  // --- asking ---
  const readQuestion = async (c: Context): Promise<{ question: string; k: number } | Response> => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json(errorBody('bad_request', 'send JSON: {"question": "..."}'), 400);
    }
    const question = typeof (body as { question?: unknown }).question === 'string' ? (body as { question: string }).question.trim() : '';
    if (!question) return c.json(errorBody('bad_request', 'the field "question" must be a non-empty string'), 400);
    if (question.length > 2000) return c.json(errorBody('bad_request', 'questions are limited to 2,000 characters'), 400);
    const rawK = (body as { k?: unknown }).k;
    const k = typeof rawK === 'number' && Number.isInteger(rawK) ? Math.min(20, Math.max(1, rawK)) : 5;
    return { question, k };
  };

  app.post('/api/ask', limited, async (c) => {
    const input = await readQuestion(c);
    if (input instanceof Response) return input;
    const release = await answers.enter();
    if (!release) {
      c.header('Retry-After', '1');
      return c.json(errorBody('busy', `the server is answering ${settings.maxConcurrentRequests} questions and more are waiting; retry in a moment`), 429);
    }
    return streamSSE(c, async (stream) => {
      const abort = new AbortController();
      stream.onAbort(() => abort.abort());
      const t0 = performance.now();
      let retrieveMs = 0;
      let finalAnswer: Answer | undefined;
      try {
        const documents = await documentLookup();
        // The runtime's pipeline tracks each question as one query in the cost monitor.
        for await (const part of pipeline.askStream(input.question, {
          k: input.k,
          abortSignal: abort.signal,
          // The sources panel shows which signals put each passage where it is.
          explain: true,
        })) {
          if (part.type === 'retrieval') {
            retrieveMs = performance.now() - t0;
            await stream.writeSSE({
              event: 'retrieval',
              data: JSON.stringify({
                sources: part.retrieval.hits.map((h, i) => sourceView(h, i + 1, documents.name, documents.paged)),
              }),
            });
          } else if (part.type === 'text-delta') {
            await stream.writeSSE({
              event: 'delta',
              data: JSON.stringify({ text: part.delta }),
            });
          } else {
            finalAnswer = part.answer;
            await stream.writeSSE({
              event: 'answer',
              data: JSON.stringify(answerView(part.answer, documents.name, documents.paged)),
            });
          }
        }
        if (finalAnswer) {
          // Usage events come back priced by the cost monitor (null where no price is known).
          const served = servedBy(finalAnswer.usage);
          const total = performance.now() - t0;
          await stream.writeSSE({
            event: 'meta',
            data: JSON.stringify({
              ...served,
              timings: {
                retrieve: round(retrieveMs),
                answer: round(total - retrieveMs),
                total: round(total),
              },
            }),
          });
        }
        await stream.writeSSE({ event: 'done', data: '{}' });
      } catch (error) {
        if (!abort.signal.aborted) {
          console.error(`[demo] ask failed: ${error instanceof Error ? error.name : 'Error'}`);
          await stream.writeSSE({
            event: 'error',
            data: JSON.stringify({ message: publicMessage(error) }),
          });
        }
      } finally {
        release();
      }
    });
  });

  app.get('/api/usage', async (c) => {
    const days = Math.min(90, Math.max(1, Number(c.req.query('days') ?? 14) || 14));
    return c.json(await usageReport(runtime.monitor, days));
  });

  app.post('/v1/chat/completions', limited, async (c) => {
    const apiKey = runtime.config.server.apiKey;
    if (apiKey && c.req.header('authorization') !== `Bearer ${apiKey}`)
      return c.json(
        {
          error: {
            message: 'invalid API key',
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        },
        401
      );
    const release = await answers.enter();
    if (!release)
      return c.json(
        {
          error: {
            message: 'the server is busy; retry in a moment',
            type: 'server_error',
            code: 'busy',
          },
        },
        429
      );
    return chatCompletions(c, runtime, await names(), release);
  });

  // --- the web UI ---
  const serveFrom = (dir: string, prefix: string) => async (c: Context) => {
    const rel = decodeURIComponent(c.req.path.slice(prefix.length)) || 'index.html';
    const path = resolve(dir, rel);
    if (!inside(dir, path) || !existsSync(path) || !(await stat(path)).isFile()) return c.json(errorBody('not_found', `no file ${c.req.path}`), 404);
    const type = STATIC_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
    return c.body(await readFile(path), 200, {
      'Content-Type': type,
      'Cache-Control': 'no-cache',
    });
  };
  app.get('/vendor/pdfjs/*', serveFrom(deps.pdfjsDir, '/vendor/pdfjs/'));
  app.get('/*', serveFrom(deps.publicDir, '/'));
  return app;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** An error message fit for a browser: typed model errors say what failed, nothing internal. */
export function publicMessage(error: unknown): string {
  if (BudgetExceededError.isInstance(error)) return 'the usage budget is spent; answers are blocked until it resets';
  if (isAbortError(error)) return 'the request was cancelled';
  return 'the question could not be answered; try again';
}
