import { parentPort } from 'node:worker_threads';
import type { DocumentMediaType } from '@ragbridge/core-interfaces';
import { extractDocument } from './extract.js';
import { IngestError } from './ingest-errors.js';

/** A request to the extraction worker. */
export interface ExtractRequest {
  id: number;
  bytes: Uint8Array;
  mediaType: DocumentMediaType;
}

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
