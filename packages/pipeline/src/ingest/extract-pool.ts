import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { DocumentMediaType } from '@ragbridge/core-interfaces';
import { extractDocument } from './extract.js';
import type { ExtractedDocument } from './extracted.js';
import type { ExtractWorkerData } from './extract-worker.js';
import { IngestError, type IngestErrorCode } from './ingest-errors.js';
import { compilePdfiumModule, type PdfiumWasmModule } from './pdfium-module.js';

type Reply =
  | { id: number; ok: true; doc: ExtractedDocument }
  | { id: number; ok: false; code: IngestErrorCode; message: string };

/** Runs extraction on worker threads, one document per worker at a time. */
export interface ExtractPool {
  extract(bytes: Uint8Array, mediaType: DocumentMediaType): Promise<ExtractedDocument>;
  close(): Promise<void>;
}

/**
 * Bounded heaps make each worker collect garbage sooner; a document that needs more is retried on
 * the calling thread. PDFium's own memory (WebAssembly) is outside these limits and its compiled
 * code is shared. Measured on the evaluation corpus with bench/pipeline-bench.mjs, two workers:
 * old 64 MB / young 8 MB against old 128 MB / young 16 MB took peak RSS from 224–228 MB to
 * 207–216 MB at the same speed within the machine's noise; the old generation keeps 96 MB of room
 * for long documents.
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 8 };

function startWorker(limits: ResourceLimits, workerData: ExtractWorkerData): Worker {
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
): ExtractPool {
  if (size <= 0) {
    return { extract: (bytes, mediaType) => extractDocument(bytes, mediaType), close: async () => undefined };
  }
  const idle: Worker[] = [];
  const all: Worker[] = [];
  const waiting: Array<(worker: Worker) => void> = [];
  let nextId = 0;
  const pending = new Map<
    number,
    { resolve: (doc: ExtractedDocument) => void; reject: (error: Error) => void; retryHere: () => void; worker: Worker }
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
      pending.delete(reply.id);
      if (reply.ok) job.resolve(reply.doc);
      else job.reject(new IngestError(reply.code, reply.message));
      release(worker);
    });
    worker.on('error', (error) => {
      const outOfMemory = (error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
      for (const [id, job] of pending) {
        if (job.worker !== worker) continue;
        pending.delete(id);
        if (outOfMemory) job.retryHere();
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

  /** Posts a document to a worker at once (synchronously), so it starts before the caller's next long task. */
  const run = (worker: Worker, bytes: Uint8Array, mediaType: DocumentMediaType): Promise<ExtractedDocument> => {
    worker.ref();
    const id = nextId++;
    return new Promise<ExtractedDocument>((resolve, reject) => {
      // A document too large for a worker's heap is extracted on this thread instead.
      const retryHere = (): void => void extractDocument(bytes, mediaType).then(resolve, reject);
      pending.set(id, { resolve, reject, retryHere, worker });
      // Copy into a transferable buffer so the caller's bytes stay usable.
      const copy = bytes.slice();
      worker.postMessage({ id, bytes: copy, mediaType }, [copy.buffer]);
    });
  };

  const extract = (bytes: Uint8Array, mediaType: DocumentMediaType): Promise<ExtractedDocument> => {
    if (!started) return ready.then(() => extract(bytes, mediaType));
    if (all.length === 0) return extractDocument(bytes, mediaType);
    const worker = idle.pop();
    if (worker) return run(worker, bytes, mediaType);
    return new Promise<Worker>((resolve) => waiting.push(resolve)).then((w) => run(w, bytes, mediaType));
  };

  return {
    extract,
    async close() {
      await ready;
      await Promise.all(all.map((w) => w.terminate()));
    },
  };
}
