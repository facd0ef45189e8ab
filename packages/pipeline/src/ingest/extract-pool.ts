import { existsSync } from 'node:fs';
import { availableParallelism, constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { DocumentMediaType } from '@ragbridge/core-interfaces';
import { extractDocument } from './extract.js';
import type { ExtractedDocument } from './extracted.js';
import type { ExtractRequest, ExtractWorkerData } from './extract-worker.js';
import { IngestError, type IngestErrorCode } from './ingest-errors.js';
import { compilePdfiumModule, type PdfiumWasmModule } from './pdfium-module.js';
import { prepareDocument, type PreparedDocument, type PrepareRequest } from './prepare-document.js';

type Reply =
  | { id: number; ok: true; doc?: ExtractedDocument; prepared?: PreparedDocument }
  | { id: number; ok: false; code: IngestErrorCode; message: string }
  | { id: number; ok?: undefined; progress: { page: number; pages: number } };

/** What a worker is asked for: the extracted document, or (with `prepare`) the document chunked and analyzed too. */
type Work = Omit<ExtractRequest, 'id' | 'progress'> & {
  onPage?: ((page: number, pages: number) => void) | undefined;
  /** Reads the bytes again: given, the bytes are moved to the worker (not copied) and read again for a retry. */
  reload?: (() => Promise<Uint8Array>) | undefined;
};
type Result = { doc?: ExtractedDocument; prepared?: PreparedDocument };

/** Runs extraction on worker threads, one document per worker at a time. */
export interface ExtractPool {
  extract(bytes: Uint8Array, mediaType: DocumentMediaType): Promise<ExtractedDocument>;
  /**
   * Extracts, chunks and analyzes a document on a worker, so the calling thread only stores it:
   * a long document then never stops the caller's event loop for more than the store write.
   */
  prepare(
    bytes: Uint8Array,
    mediaType: DocumentMediaType,
    request: PrepareRequest,
    options?: {
      onPage?: (page: number, pageCount: number) => void;
      /**
       * Reads the document's bytes again (e.g. from its file). Given, `bytes` are moved to the
       * worker instead of copied (the caller must not use them afterwards), so a large document is
       * not held twice while it is extracted; a retry in a larger worker reads them again.
       */
      reload?: () => Promise<Uint8Array>;
    },
  ): Promise<PreparedDocument>;
  close(): Promise<void>;
}

/** Sends work to a worker; the bytes are copied into a transferable buffer so the caller's stay usable. */
function post(worker: Worker, id: number, work: Work): void {
  // Moved when the caller can read them again and they fill their buffer; copied otherwise.
  const whole = work.bytes.byteOffset === 0 && work.bytes.byteLength === work.bytes.buffer.byteLength;
  const copy = work.reload && whole && work.bytes.buffer instanceof ArrayBuffer ? work.bytes : work.bytes.slice();
  const request: ExtractRequest = {
    id,
    bytes: copy,
    mediaType: work.mediaType,
    ...(work.prepare && { prepare: work.prepare }),
    ...(work.onPage && { progress: true }),
  };
  worker.postMessage(request, [copy.buffer as ArrayBuffer]);
}

/**
 * Bounded heaps make each worker collect garbage sooner; a document that needs more is retried in
 * a one-off worker with a larger heap (never on the calling thread, whose event loop it would stop). PDFium's own memory (WebAssembly) is outside these limits and its compiled
 * code is shared. Measured on the evaluation corpus with bench/pipeline-bench.mjs, two workers:
 * old 64 MB / young 8 MB against old 128 MB / young 16 MB took peak RSS from 224–228 MB to
 * 207–216 MB at the same speed within the machine's noise; the old generation keeps 96 MB of room
 * for long documents.
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 8 };
/** Heap of the one-off worker a document gets when it did not fit in a pool worker's. */
const LARGE_DOCUMENT_LIMITS = { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 16 };

/**
 * Extraction workers run below normal priority where the nice value is per thread (Linux), so
 * a server extracting an upload on a busy machine still answers its requests first. Measured
 * with apps/demo/bench/load-bench.ts (4 × 20 MB uploads while 50 clients ask, 2 cores).
 */
const WORKER_NICENESS = process.platform === 'linux' ? constants.priority.PRIORITY_BELOW_NORMAL : undefined;

function startWorker(limits: ResourceLimits, shared: Omit<ExtractWorkerData, 'niceness'>): Worker {
  const workerData: ExtractWorkerData = { ...shared, ...(WORKER_NICENESS !== undefined && { niceness: WORKER_NICENESS }) };
  const js = new URL('./extract-worker.js', import.meta.url);
  // Built JavaScript: start clean, without loaders inherited from the parent (they would transform every import again).
  if (existsSync(fileURLToPath(js))) return new Worker(js, { execArgv: [], resourceLimits: limits, workerData });
  // Running from TypeScript sources (tests, the repo's CLI): register tsx inside the worker first.
  const ts = new URL('./extract-worker.ts', import.meta.url).href;
  // Resolved here: an eval worker would resolve a bare name from the working directory.
  const tsxApi = import.meta.resolve('tsx/esm/api');
  return new Worker(
    `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(ts)}); });`,
    {
      eval: true,
      resourceLimits: limits,
      workerData,
    },
  );
}

/**
 * A pool of extraction workers (default: one per core). With `size: 0` extraction runs on the
 * calling thread, which is simpler to debug and enough for small inputs.
 */
export function createExtractPool(
  size: number = availableParallelism(),
  limits: ResourceLimits = WORKER_LIMITS,
  largeLimits: ResourceLimits = LARGE_DOCUMENT_LIMITS,
): ExtractPool {
  if (size <= 0) {
    return {
      extract: (bytes, mediaType) => extractDocument(bytes, mediaType),
      prepare: async (bytes, mediaType, request, options = {}) =>
        prepareDocument(await extractDocument(bytes, mediaType, options.onPage ? { onPage: options.onPage } : {}), request),
      close: async () => undefined,
    };
  }
  const idle: Worker[] = [];
  const all: Worker[] = [];
  const waiting: Array<(worker: Worker) => void> = [];
  let nextId = 0;
  const pending = new Map<
    number,
    { resolve: (result: Result) => void; reject: (error: Error) => void; retryLarger: () => void; worker: Worker; onPage?: ((page: number, pages: number) => void) | undefined }
  >();

  let crashes = 0;
  const release = (worker: Worker): void => {
    // An idle worker must not keep the process alive.
    worker.unref();
    const next = waiting.shift();
    if (next) next(worker);
    else idle.push(worker);
  };
  let pdfium: PdfiumWasmModule | undefined;
  const spawn = (): Worker => {
    const worker = startWorker(limits, pdfium ? { pdfium } : {});
    worker.on('message', (reply: Reply) => {
      const job = pending.get(reply.id);
      if (!job) return;
      if (reply.ok === undefined) {
        job.onPage?.(reply.progress.page, reply.progress.pages);
        return;
      }
      pending.delete(reply.id);
      if (reply.ok) job.resolve(reply);
      else job.reject(new IngestError(reply.code, reply.message));
      release(worker);
    });
    worker.on('error', (error) => {
      const outOfMemory = (error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
      for (const [id, job] of pending) {
        if (job.worker !== worker) continue;
        pending.delete(id);
        if (outOfMemory) job.retryLarger();
        else job.reject(new IngestError('unreadable', `the extraction worker crashed: ${error.message}`));
      }
      const i = all.indexOf(worker);
      if (i >= 0) all.splice(i, 1);
      // Replace a crashed worker, but stop if workers cannot start at all.
      if (++crashes <= size * 3) release(spawn());
    });
    worker.unref();
    all.push(worker);
    return worker;
  };
  // Workers start once PDFium is compiled here and share that compilation; if it cannot be
  // compiled here, each worker tries on its own (and reports the error per document).
  let started = false;
  const ready = compilePdfiumModule()
    .then(
      (module) => (pdfium = module),
      () => undefined,
    )
    .then(() => {
      for (let i = 0; i < size; i++) idle.push(spawn());
      started = true;
    });

  /** One worker with `largeLimits` for one document, ended after it; out of memory there, the document is too large. */
  const runInLargeWorker = (work: Work): Promise<Result> =>
    new Promise<Result>((resolve, reject) => {
      const worker = startWorker(largeLimits, pdfium ? { pdfium } : {});
      const end = (): void => void worker.terminate();
      worker.on('message', (reply: Reply) => {
        if (reply.ok === undefined) {
          work.onPage?.(reply.progress.page, reply.progress.pages);
          return;
        }
        end();
        if (reply.ok) resolve(reply);
        else reject(new IngestError(reply.code, reply.message));
      });
      worker.once('error', (error) => {
        end();
        reject(
          (error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new IngestError(
                'too-large',
                `the document needs more than ${largeLimits.maxOldGenerationSizeMb ?? '?'} MB of memory to extract; split it into smaller files`,
              )
            : new IngestError('unreadable', `the extraction worker crashed: ${error.message}`),
        );
      });
      post(worker, 0, work);
    });

  /** Posts a document to a worker at once (synchronously), so it starts before the caller's next long task. */
  const run = (worker: Worker, work: Work): Promise<Result> => {
    worker.ref();
    const id = nextId++;
    return new Promise<Result>((resolve, reject) => {
      // A document too large for a worker's heap gets one worker of its own with a larger heap,
      // never this thread: extracting here would stop the caller's event loop for minutes.
      const retryLarger = (): void =>
        void (work.reload ? work.reload().then((bytes) => runInLargeWorker({ ...work, bytes })) : runInLargeWorker(work)).then(resolve, reject);
      pending.set(id, { resolve, reject, retryLarger, worker, onPage: work.onPage });
      post(worker, id, work);
    });
  };

  /** Without workers: everything on this thread. */
  const runHere = async (work: Work): Promise<Result> => {
    const doc = await extractDocument(work.bytes, work.mediaType, work.onPage ? { onPage: work.onPage } : {});
    return work.prepare ? { prepared: prepareDocument(doc, work.prepare) } : { doc };
  };

  const submit = (work: Work): Promise<Result> => {
    if (!started) return ready.then(() => submit(work));
    if (all.length === 0) return runHere(work);
    const worker = idle.pop();
    if (worker) return run(worker, work);
    return new Promise<Worker>((resolve) => waiting.push(resolve)).then((w) => run(w, work));
  };

  return {
    extract: async (bytes, mediaType) => (await submit({ bytes, mediaType })).doc as ExtractedDocument,
    prepare: async (bytes, mediaType, request, options = {}) =>
      (await submit({ bytes, mediaType, prepare: request, onPage: options.onPage, reload: options.reload })).prepared as PreparedDocument,
    async close() {
      await ready;
      await Promise.all(all.map((w) => w.terminate()));
    },
  };
}
