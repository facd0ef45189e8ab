import type { DocumentRecord, DocumentStoreV2 } from '@ragbridge/core-interfaces';
import { BENCH_IDENTITY, DIMENSIONS, row, type VectorMatrix } from './bench-vectors.js';

/** Vectors per `putVectors` call. */
export const VECTOR_BATCH = 500;

/** One write phase's rate. */
export interface WriteRate {
  items: number;
  /** Megabytes (10^6 bytes) of payload, as defined by the phase. */
  megabytes: number;
  seconds: number;
}

/** What the ingest measured. */
export interface IngestResult {
  documents: WriteRate;
  vectors: WriteRate;
  /** Seconds of the index build after the load, when there was one (not in `vectors` or `totalSeconds`). */
  indexSeconds?: number;
  totalSeconds: number;
}

/** Runs `work` over `items` with at most `concurrency` calls in flight, in order of start. */
async function forEachConcurrently<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** UTF-8 bytes of a record as the store receives it: chunk text, index terms and description terms. */
function recordBytes(record: DocumentRecord): number {
  let bytes = Buffer.byteLength(record.documentTerms);
  for (const chunk of record.chunks) bytes += Buffer.byteLength(chunk.text) + Buffer.byteLength(chunk.terms) + Buffer.byteLength(chunk.headingTerms);
  return bytes;
}

/**
 * Writes every record (`putDocument`), then every chunk's vector (`putVectors`, batches of
 * {@link VECTOR_BATCH}), each with `writers` calls in flight. Without `buildIndex` the store created
 * the HNSW index with the first batch, so the graph is built while the vectors are inserted and the
 * vector rate includes it; with it, the index is built once the vectors are in, timed on its own.
 */
export async function ingestIntoStore(
  store: DocumentStoreV2,
  records: readonly DocumentRecord[],
  chunkIds: readonly string[],
  vectors: VectorMatrix,
  writers: number,
  progress: (line: string) => void,
  buildIndex?: () => Promise<unknown>,
): Promise<IngestResult> {
  const started = performance.now();
  let written = 0;
  let lastReport = started;
  await forEachConcurrently(records, writers, async (record) => {
    await store.putDocument(record);
    written++;
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      progress(`  documents: ${written}/${records.length} (${((lastReport - started) / 1000).toFixed(0)} s)`);
    }
  });
  const documentsDone = performance.now();

  const batches: Array<{ start: number; end: number }> = [];
  for (let start = 0; start < chunkIds.length; start += VECTOR_BATCH) batches.push({ start, end: Math.min(start + VECTOR_BATCH, chunkIds.length) });
  let vectorsWritten = 0;
  lastReport = documentsDone;
  await forEachConcurrently(batches, writers, async ({ start, end }) => {
    const entries = [];
    for (let i = start; i < end; i++) entries.push({ chunkId: chunkIds[i] as string, vector: row(vectors, i) });
    await store.putVectors({ identity: BENCH_IDENTITY, entries });
    vectorsWritten += end - start;
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      progress(`  vectors: ${vectorsWritten}/${chunkIds.length} (${((lastReport - documentsDone) / 1000).toFixed(0)} s)`);
    }
  });
  const done = performance.now();
  const indexSeconds = buildIndex && (await buildIndex().then(() => (performance.now() - done) / 1000));

  return {
    ...(indexSeconds !== undefined && { indexSeconds }),
    documents: { items: chunkIds.length, megabytes: records.reduce((sum, r) => sum + recordBytes(r), 0) / 1e6, seconds: (documentsDone - started) / 1000 },
    vectors: { items: chunkIds.length, megabytes: (chunkIds.length * DIMENSIONS * 4) / 1e6, seconds: (done - documentsDone) / 1000 },
    totalSeconds: (done - started) / 1000,
  };
}
