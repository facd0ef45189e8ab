import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, rename, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { Readable } from 'node:stream';
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { documentView, inside, type AppContext } from '../app-context.js';
import { documentTextView } from '../document-text.js';
import { errorBody } from '../guards.js';
import { safeFileName, UPLOAD_TYPES } from '../uploads.js';

/** Documents: listing, originals, page and section text, uploads and their progress. */
export function registerDocumentRoutes(app: Hono, ctx: AppContext): void {
  const { runtime, settings, jobs, limited, roots } = ctx;
  const { pipeline } = runtime;
  const store = pipeline.store;
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
}
