import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { DocumentMediaType } from '@ragbridge/core-interfaces';
import { extractDocument } from './extract.js';
import { IngestError } from './ingest-errors.js';
import { usePdfiumModule, type PdfiumWasmModule } from './pdfium-module.js';
import { prepareDocument, type PreparedDocument, type PrepareRequest } from './prepare-document.js';
import type { SqliteStore } from '../store/sqlite-store.js';

/** A request to the extraction worker. */
export interface ExtractRequest {
  id: number;
  bytes: Uint8Array;
  mediaType: DocumentMediaType;
  /** Also chunk and analyze it here, and reply with the prepared document instead of the extracted one. */
  prepare?: PrepareRequest;
  /** Post `{ id, progress: { page, pages } }` messages while extracting a PDF (at most about every 200 ms). */
  progress?: boolean;
}

/** Least time between two progress messages of one document. */
const PROGRESS_INTERVAL_MS = 200;

/** What the pool hands a worker when it starts. */
export interface ExtractWorkerData {
  /** PDFium compiled by the pool: shared, so the worker neither compiles nor holds its own copy. */
  pdfium?: PdfiumWasmModule;
  /**
   * Scheduling priority of this worker thread (a nice value, -20 to 19; higher yields the CPU
   * sooner). Extraction is background work: below normal, a busy core goes to the threads
   * answering requests first. Undefined: left as inherited.
   */
  niceness?: number;
}

const data = workerData as ExtractWorkerData | undefined;
if (data?.pdfium) usePdfiumModule(data.pdfium);
if (data?.niceness !== undefined) {
  try {
    // On Linux the nice value is per thread and pid 0 is the calling thread: this worker only.
    // Elsewhere it may apply to the process, so the pool asks for it on Linux only.
    setPriority(0, data.niceness);
  } catch {
    // Not permitted (or not supported): extraction runs at the inherited priority.
  }
}

/** This worker's connections to the stores it writes, opened on first use and kept for its life. */
const stores = new Map<string, SqliteStore>();

/** Writes a prepared document from this worker, and returns it without its chunks. */
async function write(prepared: PreparedDocument, target: NonNullable<PrepareRequest['write']>): Promise<PreparedDocument> {
  let store = stores.get(target.storePath);
  if (!store) {
    // Loaded on first use: workers that only extract never load the SQLite driver.
    const { openSqliteStore } = await import('../store/sqlite-store.js');
    store = openSqliteStore({ path: target.storePath });
    stores.set(target.storePath, store);
  }
  const started = performance.now();
  await store.putDocument({
    document: { ...target.document, pageCount: prepared.pageCount, ...(prepared.title !== undefined && { title: prepared.title }) },
    chunks: prepared.chunks,
    documentTerms: prepared.documentTerms,
  });
  return { ...prepared, chunks: [], written: { chunks: prepared.chunks.length, ms: performance.now() - started } };
}

parentPort?.on('message', (request: ExtractRequest) => {
  let last = 0;
  const onPage = (page: number, pages: number): void => {
    const now = performance.now();
    if (now - last < PROGRESS_INTERVAL_MS && page < pages) return;
    last = now;
    parentPort?.postMessage({ id: request.id, progress: { page, pages } });
  };
  extractDocument(request.bytes, request.mediaType, request.progress ? { onPage } : {})
    .then(async (doc) => {
      if (!request.prepare) return { doc };
      const prepared = prepareDocument(doc, request.prepare);
      return { prepared: request.prepare.write ? await write(prepared, request.prepare.write) : prepared };
    })
    .then(
      (result) => parentPort?.postMessage({ id: request.id, ok: true, ...result }),
      (error: unknown) =>
        parentPort?.postMessage({
          id: request.id,
          ok: false,
          code: error instanceof IngestError ? error.code : 'unreadable',
          message: error instanceof Error ? error.message : String(error),
        }),
    );
});
