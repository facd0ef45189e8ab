import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { DocumentStore, SourceDocument } from '@ragbridge/core-interfaces';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { streamSSE } from 'hono/streaming';
import { documentView, inside, type AppContext } from '../app-context.js';
import { documentTextView } from '../document-text.js';
import { createGate, errorBody } from '../guards.js';
import { IngestQueue, uploadIngestTask, type IngestSlot, type QueuedUpload } from '../ingest-queue.js';
import {
  contentDisposition,
  discardUpload,
  displayName,
  MAX_FILES_PER_UPLOAD,
  readSpooledForm,
  spoolUploadBody,
  stageUpload,
  UPLOAD_TYPES,
} from '../uploads.js';

/** Page numbers as the API takes them: decimal, no sign, no leading zero, at most seven digits. */
const PAGE_NUMBER = /^[1-9][0-9]{0,6}$/;
/** Longer ids name no document; they are answered without asking the store. */
const MAX_ID_LENGTH = 256;
/**
 * Originals are never run as pages of this origin: no scripts, no requests, no navigation. The app's
 * security headers must leave a route's own policy in place for this to reach the browser.
 */
const ORIGINAL_FILE_CSP = "sandbox; default-src 'none'";
const byName = new Intl.Collator(undefined, { sensitivity: 'base' });

/** Options of {@link registerDocumentRoutes}. */
export interface DocumentRouteOptions {
  /** The line uploads wait in to be ingested. @default a line of these routes' own */
  ingests?: IngestQueue;
}

/** Documents: listing, originals, page and section text, uploads and their progress. */
export function registerDocumentRoutes(app: Hono, ctx: AppContext, options: DocumentRouteOptions = {}): void {
  const { runtime, settings, jobs, limited, roots } = ctx;
  const store = runtime.pipeline.store;
  const ingests = options.ingests ?? new IngestQueue();
  const lineFull = (c: Context) => {
    const seconds = ingests.retryAfterSeconds();
    c.header('Retry-After', String(seconds));
    return c.json(
      errorBody(
        'queue_full',
        `${ingests.state.waiting} uploads are already waiting to be read, the most the server takes: nothing was stored; try again in about ${seconds} s`
      ),
      429
    );
  };
  // Upload bodies are parsed one at a time: the bytes of one upload are in memory until its files
  // are written out; the others wait on disk.
  const reading = createGate(1);
  /** Reads an upload, checks and stores its files, then puts its job in line: 202 with the job, or the refusal. */
  const acceptUpload = async (c: Context, asAdmin: boolean, slot: IngestSlot): Promise<Response> => {
    const spooled = await spooledUpload(c, settings.uploadDir);
    if (spooled instanceof Response) return spooled;
    try {
      const release = await reading.enter();
      if (!release) return lineFull(c);
      try {
        return await queueUpload(c, spooled, asAdmin, slot);
      } finally {
        release();
      }
    } finally {
      await rm(spooled, { force: true });
    }
  };
  /** Checks and stores the files of a spooled upload, then puts its job in line. */
  const queueUpload = async (c: Context, spooled: string, asAdmin: boolean, slot: IngestSlot): Promise<Response> => {
    const files = await uploadedFiles(c, spooled);
    if (files instanceof Response) return files;
    for (const file of files) {
      const refusal = await checkUploadedFile(c, file, settings.maxUploadBytes);
      if (refusal) return refusal;
    }
    const replaced = await replacedDocuments(c, store, settings.uploadDir, files, asAdmin);
    if (replaced instanceof Response) return replaced;
    const uploads: QueuedUpload[] = [];
    try {
      for (const [i, file] of files.entries())
        uploads.push({
          name: displayName(file.name),
          staged: await stageUpload(settings.uploadDir, file.name, file, replaced[i]),
        });
    } catch (error) {
      // Nothing is in line yet: every file of the request goes.
      for (const { staged } of uploads) await discardUpload(staged).catch(() => undefined);
      throw error;
    }
    const job = jobs.create();
    const names = uploads.map((u) => u.name);
    job.emit({
      event: 'progress',
      data: { stage: 'upload', file: names[0] ?? '', done: names.length, total: names.length, unit: 'file' },
    });
    slot.submit(uploadIngestTask(runtime.pipeline, settings.uploadDir, uploads, job.emit));
    return c.json({ job: job.id, files: names }, 202);
  };
  const notFound = (c: Context) => c.json(errorBody('not_found', 'no such document'), 404);
  const servable = (doc: SourceDocument): boolean => roots.some((root) => inside(root, doc.source));

  app.get('/api/documents', async (c) => {
    const documents = (await store.listDocuments()).map((d) => listedDocument(d, roots));
    documents.sort(
      (a, b) =>
        byName.compare(a.name, b.name) ||
        byName.compare(a.folder ?? '', b.folder ?? '') ||
        a.ingestedAt - b.ingestedAt ||
        (a.id < b.id ? -1 : 1)
    );
    return c.json({ documents });
  });
  app.get('/api/documents/:id', async (c) => {
    const doc = await findDocument(store, c.req.param('id'));
    return doc ? c.json(listedDocument(doc, roots)) : notFound(c);
  });
  app.get('/api/documents/:id/file', async (c) => {
    const doc = await findDocument(store, c.req.param('id'));
    if (!doc) return notFound(c);
    const info = servable(doc) ? await stat(doc.source).catch(() => undefined) : undefined;
    if (!info?.isFile())
      return c.json(errorBody('not_found', 'the original file of this document is not available'), 404);
    return c.body(
      Readable.toWeb(createReadStream(doc.source)) as ReadableStream,
      200,
      originalFileHeaders(doc, info.size)
    );
  });
  app.get('/api/documents/:id/pages/:page', async (c) => {
    const raw = c.req.param('page');
    if (!PAGE_NUMBER.test(raw))
      return c.json(errorBody('bad_request', 'the page must be a whole number from 1, written in decimal digits'), 400);
    const page = Number(raw);
    const doc = await findDocument(store, c.req.param('id'));
    if (!doc) return notFound(c);
    const chunks = (await store.getDocumentChunks(doc.id)).filter((ch) => ch.page === page);
    if (chunks.length === 0 && page > doc.pageCount)
      return c.json(errorBody('not_found', `the document has ${doc.pageCount} pages`), 404);
    return c.json({
      page,
      label: chunks[0]?.pageLabel ?? String(page),
      pages: doc.pageCount,
      text: chunks.map((ch) => ch.text).join('\n\n'),
    });
  });
  app.get('/api/documents/:id/text', async (c) => {
    const doc = await findDocument(store, c.req.param('id'));
    if (!doc) return notFound(c);
    if (doc.mediaType === 'application/pdf')
      return c.json(errorBody('bad_request', 'a PDF is shown page by page: use /api/documents/:id/pages/:n'), 400);
    const file = servable(doc) && (await stat(doc.source).catch(() => undefined))?.isFile() ? doc.source : undefined;
    return c.json(await documentTextView(doc, file, () => store.getDocumentChunks(doc.id)));
  });

  app.post(
    '/api/documents',
    limited,
    bodyLimit({
      maxSize: settings.maxUploadBytes + 64 * 1024,
      onError: (c) =>
        c.json(
          errorBody('too_large', `uploads are limited to ${Math.round(settings.maxUploadBytes / 1024 / 1024)} MB`),
          413
        ),
    }),
    async (c) => {
      const asAdmin = await carriesAdminToken(c, ctx.admin);
      if (asAdmin instanceof Response) return asAdmin;
      // A place in line is taken before the body is read: a full line costs no reading and no disk,
      // and at most as many upload bodies as places are in memory at once.
      const slot = ingests.reserve();
      if (!slot) return lineFull(c);
      try {
        return await acceptUpload(c, asAdmin, slot);
      } finally {
        // Refused or failed before it got in line: the place goes back (a no-op once submitted).
        slot.release();
      }
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

async function findDocument(store: DocumentStore, id: string): Promise<SourceDocument | undefined> {
  return id.length > MAX_ID_LENGTH ? undefined : store.getDocument(id);
}

/** A document as the list shows it: the API view plus a short folder hint that tells apart documents of the same name. */
function listedDocument(doc: SourceDocument, roots: readonly string[]) {
  const folder = folderHint(doc.source, roots);
  return { ...documentView(doc), ...(folder !== undefined && { folder }) };
}

/**
 * The folder of a document relative to the upload or corpus folder holding it (the innermost
 * one), at most its last three parts; outside those, only the name of its folder. `''` at the top
 * of a folder; undefined for a source that is not a file path. Never an absolute path.
 */
export function folderHint(source: string, roots: readonly string[]): string | undefined {
  if (!isAbsolute(source)) return undefined;
  const root = roots
    .filter((r) => inside(r, source))
    .map((r) => resolve(r))
    .sort((a, b) => b.length - a.length)[0];
  const folder = dirname(resolve(source));
  const parts = (root ? relative(root, folder) : basename(folder)).split(sep).filter(Boolean);
  return `${parts.length > 3 ? '…/' : ''}${parts.slice(-3).join('/')}`;
}

/**
 * Headers of an original file. PDFs stay inline (the viewer loads them with pdf.js); HTML,
 * Markdown and text are sent as plain-text downloads, so an uploaded page never runs as a page of
 * this origin. All of them carry a sandbox policy and no sniffing.
 */
function originalFileHeaders(doc: SourceDocument, size: number): Record<string, string> {
  const pdf = doc.mediaType === 'application/pdf';
  return {
    'Content-Type': pdf ? 'application/pdf' : 'text/plain; charset=utf-8',
    'Content-Length': String(size),
    'Content-Disposition': contentDisposition(pdf ? 'inline' : 'attachment', doc.name),
    'Content-Security-Policy': ORIGINAL_FILE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'private, max-age=300',
  };
}

/**
 * Whether an upload comes from an admin. A request without a bearer token is anyone's; one with a
 * token passes the admin routes' own check (requireAdmin) or gets its refusal, so a wrong token
 * is never quietly taken for an anonymous upload.
 */
async function carriesAdminToken(c: Context, admin: MiddlewareHandler): Promise<boolean | Response> {
  if (!/^Bearer\s/i.test(c.req.header('authorization') ?? '')) return false;
  let passed = false;
  const refusal = await admin(c, async () => {
    passed = true;
  });
  return passed || (refusal ?? c.json(errorBody('forbidden', 'the admin token is wrong'), 403));
}

/** Streams a multipart upload's body to disk: the spooled file's path, or the response refusing the request. */
async function spooledUpload(c: Context, uploadDir: string): Promise<string | Response> {
  const type = c.req.header('content-type') ?? '';
  const body = c.req.raw.body;
  if (!type.toLowerCase().startsWith('multipart/form-data') || !body)
    return c.json(errorBody('bad_request', 'send the files as multipart/form-data in the field "file"'), 400);
  try {
    return await spoolUploadBody(uploadDir, body);
  } catch (error) {
    // Over the size limit: the body limit answers. Anything else: the body did not arrive whole.
    if (error instanceof HTTPException) throw error;
    return c.json(errorBody('bad_request', 'the upload could not be read (the connection broke off?)'), 400);
  }
}

/** The files of a spooled multipart upload, or the response refusing the request. */
async function uploadedFiles(c: Context, spooled: string): Promise<File[] | Response> {
  let form: FormData;
  try {
    form = await readSpooledForm(spooled, c.req.header('content-type') ?? '');
  } catch {
    return c.json(errorBody('bad_request', 'the upload could not be read as multipart/form-data'), 400);
  }
  const files = (form.getAll('file') as unknown[]).filter((f): f is File => f instanceof File);
  if (files.length === 0) return c.json(errorBody('bad_request', 'no file in the field "file"'), 400);
  if (files.length > MAX_FILES_PER_UPLOAD)
    return c.json(
      errorBody('too_many_files', `at most ${MAX_FILES_PER_UPLOAD} files per upload; this one has ${files.length}`),
      400
    );
  return files;
}

/** Refuses a file of the wrong type, size or content; undefined when it may be stored. */
async function checkUploadedFile(c: Context, file: File, maxBytes: number): Promise<Response | undefined> {
  const ext = extname(file.name).toLowerCase();
  const kind = UPLOAD_TYPES[ext];
  const shown = displayName(file.name);
  if (!kind)
    return c.json(
      errorBody(
        'unsupported_type',
        `"${shown}" is not a supported type: upload ${Object.keys(UPLOAD_TYPES).join(', ')} files`
      ),
      415
    );
  if (file.size > maxBytes) {
    const limit = Math.round(maxBytes / 1024 / 1024);
    return c.json(
      errorBody(
        'too_large',
        `"${shown}" is ${(file.size / 1024 / 1024).toFixed(1)} MB; uploads are limited to ${limit} MB`
      ),
      413
    );
  }
  if (file.size === 0) return c.json(errorBody('empty', `"${shown}" is empty`), 400);
  if (kind.magic) {
    const head = new TextDecoder('latin1').decode(new Uint8Array(await file.slice(0, 1024).arrayBuffer()));
    if (!head.includes(kind.magic))
      return c.json(
        errorBody('unsupported_type', `"${shown}" is named ${ext} but is not a PDF (no %PDF- header)`),
        415
      );
  } else {
    const head = new Uint8Array(await file.slice(0, 4096).arrayBuffer());
    if (head.includes(0))
      return c.json(errorBody('unsupported_type', `"${shown}" is named ${ext} but holds binary data`), 415);
  }
  return undefined;
}

/**
 * Which uploaded document each file replaces (by position; undefined: a new document). Only an
 * admin replaces, and only an uploaded document of the same name, the name it is listed under
 * ({@link displayName}; corpus files are not written over); anyone else's file of that name becomes
 * a document of its own. When several uploaded documents share the name, the admin is asked to
 * delete the extra ones first.
 */
async function replacedDocuments(
  c: Context,
  store: DocumentStore,
  uploadDir: string,
  files: readonly File[],
  asAdmin: boolean
): Promise<Array<SourceDocument | undefined> | Response> {
  if (!asAdmin) return files.map(() => undefined);
  const uploaded = (await store.listDocuments()).filter((d) => inside(uploadDir, d.source));
  const replaced: Array<SourceDocument | undefined> = [];
  for (const file of files) {
    const name = displayName(file.name);
    const same = uploaded.filter((d) => d.name === name);
    if (same.length > 1)
      return c.json(
        errorBody(
          'ambiguous',
          `${same.length} uploaded documents are named "${name}" (ids ${same
            .map((d) => d.id)
            .join(', ')}): delete all but the one to replace, then upload again`
        ),
        409
      );
    if (same[0] && replaced.includes(same[0]))
      return c.json(errorBody('bad_request', `two files of this upload would replace "${name}": send one`), 400);
    replaced.push(same[0]);
  }
  return replaced;
}
