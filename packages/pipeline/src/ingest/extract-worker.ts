import { parentPort, workerData } from 'node:worker_threads';
import type { DocumentMediaType } from '@ragbridge/core-interfaces';
import { extractDocument } from './extract.js';
import { IngestError } from './ingest-errors.js';
import { usePdfiumModule, type PdfiumWasmModule } from './pdfium-module.js';

/** A request to the extraction worker. */
export interface ExtractRequest {
  id: number;
  bytes: Uint8Array;
  mediaType: DocumentMediaType;
}

/** What the pool hands a worker when it starts. */
export interface ExtractWorkerData {
  /** PDFium compiled by the pool: shared, so the worker neither compiles nor holds its own copy. */
  pdfium?: PdfiumWasmModule;
}

const data = workerData as ExtractWorkerData | undefined;
if (data?.pdfium) usePdfiumModule(data.pdfium);

parentPort?.on('message', (request: ExtractRequest) => {
  extractDocument(request.bytes, request.mediaType).then(
    (doc) => parentPort?.postMessage({ id: request.id, ok: true, doc }),
    (error: unknown) =>
      parentPort?.postMessage({
        id: request.id,
        ok: false,
        code: error instanceof IngestError ? error.code : 'unreadable',
        message: error instanceof Error ? error.message : String(error),
      }),
  );
});
