import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, extname, join, resolve, sep } from 'node:path';
import type { DocumentMediaType, DocumentStore, SourceDocument } from '@ragbridge/core-interfaces';
import type { ChunkerOptions } from './chunker.js';
import { createExtractPool, type ExtractPool } from './extract-pool.js';
import { mediaTypeForName } from './extract.js';
import type { PageError } from './extracted.js';
import { IngestError, type IngestErrorCode } from './ingest-errors.js';
import type { PreparedDocument } from './prepare-document.js';

/** Progress of a long ingest, for progress bars and logs. */

/**
 * A file's bytes as a Uint8Array over the Buffer's own memory: `new Uint8Array(buffer)` would copy
 * them (20 MB more for a 20 MB PDF, freed only at the next full GC), and a view that fills its
 * buffer can be moved to an extraction worker instead of copied.
 */
async function readBytes(path: string): Promise<Uint8Array> {
  const buffer = await readFile(path);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

export type IngestProgress =
  | { type: 'scan'; files: number }
  /** Pages of a PDF extracted so far (sent while a PDF is read, at most about every 200 ms per file). */
  | { type: 'pages'; source: string; page: number; pages: number }
  | {
      type: 'file';
      source: string;
      index: number;
      files: number;
      status: 'added' | 'updated' | 'unchanged' | 'failed';
      pages: number;
      chars: number;
    };

/** Options of {@link ingestPaths}. */
export interface IngestOptions {
  store: DocumentStore;
  /** Extraction worker threads; 0 extracts on the calling thread. @default one per core */
  workers?: number;
  /** Files larger than this are refused. @default 200 MiB */
  maxFileBytes?: number;
  /** Delete stored documents under the given folders whose files are gone. @default false */
  prune?: boolean;
  /**
   * Let `prune` remove every stored document under the given folders when no file is found there
   * any more (an empty, unmounted or mistyped folder looks just like that). Without it such a prune
   * removes nothing and `report.pruneRefused` counts what it would have removed. @default false
   */
  pruneAll?: boolean;
  chunker?: ChunkerOptions;
  /**
   * Display names by source path (as given, or resolved): a file stored under a generated name
   * (an upload) keeps the name its user gave it. @default the file's base name
   */
  names?: ReadonlyMap<string, string>;
  /**
   * The SQLite file behind `store`, when the caller opened it from a path: extraction workers then
   * write each document themselves on their own connection, so this thread never holds a long
   * write. Leave unset for any other store. @default unset (this thread writes)
   */
  workerWritePath?: string;
  onProgress?: (event: IngestProgress) => void;
  /** Clock for `ingestedAt`. @default Date.now */
  now?: () => number;
}

/** A file in a given folder that ingest passed over (files given by name that cannot be read fail instead). */
export interface IngestSkip {
  source: string;
  reason: string;
}

/** A file that could not be ingested. */
export interface IngestFailure {
  source: string;
  code: IngestErrorCode;
  message: string;
}

/** What an ingest did. */
export interface IngestReport {
  added: string[];
  updated: string[];
  unchanged: string[];
  removed: string[];
  failed: IngestFailure[];
  /** Files found in the given folders and passed over (unsupported types; hidden files are not listed). */
  skipped: IngestSkip[];
  /** Pages that could not be read in files that were otherwise ingested. */
  pageErrors: Array<PageError & { source: string }>;
  pages: number;
  chars: number;
  chunks: number;
  ms: number;
  /**
   * Where the time went, in milliseconds summed over files: extraction, chunking and term analysis
   * (on the worker that extracted the file, or on this thread without workers) and the store
   * write (always on this thread). With several workers their sum exceeds `ms`.
   */
  stageMs: { extract: number; chunk: number; analyze: number; store: number };
  /**
   * Set when `prune` would have removed every stored document under the given folders, none of
   * which holds a file now: how many it kept (see `pruneAll`).
   */
  pruneRefused?: number;
}

/**
 * Version of extraction and chunking. It is part of every stored content hash, so upgrading to a
 * release that extracts or chunks differently re-ingests files that did not change.
 */
export const INGEST_VERSION = 'ragbridge-ingest-7';

/** A stable document id from its source path. */
export function documentIdFor(source: string): string {
  return createHash('sha256').update(source).digest('hex').slice(0, 16);
}

async function collectFiles(
  paths: readonly string[],
): Promise<{ files: string[]; roots: string[]; missing: IngestFailure[]; skipped: IngestSkip[] }> {
  const files: string[] = [];
  const roots: string[] = [];
  const missing: IngestFailure[] = [];
  const skipped: IngestSkip[] = [];
  const walk = async (path: string): Promise<void> => {
    const entries = await readdir(path, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const full = join(path, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && mediaTypeForName(entry.name)) files.push(full);
      else if (entry.isFile()) skipped.push({ source: full, reason: `not a supported type (${extname(entry.name) || 'no extension'}; supported: .pdf, .md, .html, .txt)` });
    }
  };
  for (const path of paths) {
    const full = resolve(path);
    try {
      const info = await stat(full);
      if (info.isDirectory()) {
        roots.push(full);
        await walk(full);
      } else files.push(full);
    } catch {
      missing.push({ source: full, code: 'unreadable', message: `no such file or folder: ${full}` });
    }
  }
  return { files: [...new Set(files)], roots, missing, skipped };
}

/**
 * Ingests files and folders into the store. Unchanged files (same SHA-256) are skipped, changed
 * ones replaced atomically, and with `prune` files removed from a folder are deleted from the
 * store. Each file fails on its own: the report lists per-file errors and per-page errors, and
 * nothing stored is touched by a file that fails.
 */
export async function ingestPaths(paths: readonly string[], options: IngestOptions): Promise<IngestReport> {
  const started = performance.now();
  const { store } = options;
  const maxBytes = options.maxFileBytes ?? 200 * 1024 * 1024;
  const now = options.now ?? Date.now;
  const names = new Map([...(options.names ?? [])].map(([path, name]) => [resolve(path), name]));
  const nameOf = (source: string): string => names.get(source)?.trim() || basename(source);
  const report: IngestReport = {
    added: [],
    updated: [],
    unchanged: [],
    removed: [],
    failed: [],
    skipped: [],
    pageErrors: [],
    pages: 0,
    chars: 0,
    chunks: 0,
    ms: 0,
    stageMs: { extract: 0, chunk: 0, analyze: 0, store: 0 },
  };
  const stages = report.stageMs;
  const { files: found, roots, missing, skipped } = await collectFiles(paths);
  report.skipped.push(...skipped);
  // Largest files first: the long ones start early, so the workers finish together.
  const sizes = new Map<string, number>();
  await Promise.all(found.map(async (f) => sizes.set(f, (await stat(f).catch(() => ({ size: 0 }))).size)));
  const files = [...found].sort((a, b) => (sizes.get(b) ?? 0) - (sizes.get(a) ?? 0));
  report.failed.push(...missing);
  options.onProgress?.({ type: 'scan', files: files.length });

  let pool: ExtractPool | undefined;
  const getPool = (): ExtractPool => (pool ??= createExtractPool(options.workers ?? undefined));
  let done = 0;
  const progress = (
    source: string,
    status: 'added' | 'updated' | 'unchanged' | 'failed',
    pages = 0,
    chars = 0,
  ): void => {
    done++;
    options.onProgress?.({ type: 'file', source, index: done, files: files.length, status, pages, chars });
  };

  const fail = (source: string, error: unknown): void => {
    const code: IngestErrorCode = error instanceof IngestError ? error.code : 'unreadable';
    report.failed.push({ source, code, message: error instanceof Error ? error.message : String(error) });
    progress(source, 'failed');
  };

  /** A file read and found new or changed, ready to extract. */
  interface Job {
    source: string;
    mediaType: DocumentMediaType;
    /** The file's bytes until they are handed to extraction (moved to the worker, not copied). */
    bytes: Uint8Array | undefined;
    byteSize: number;
    contentHash: string;
    existing: SourceDocument | undefined;
  }

  /** Reads a file and checks it against the store: a job, or undefined when it is unchanged or failed (both reported). */
  const prepare = async (source: string): Promise<Job | undefined> => {
    const mediaType = mediaTypeForName(source);
    if (!mediaType) {
      report.failed.push({
        source,
        code: 'unsupported-type',
        message: `unsupported file type: ${basename(source)} (supported: .pdf, .md, .html, .txt)`,
      });
      progress(source, 'failed');
      return undefined;
    }
    try {
      const info = await stat(source);
      if (info.size > maxBytes)
        throw new IngestError('too-large', `the file is ${info.size} bytes, more than the limit of ${maxBytes}`);
      const bytes = await readBytes(source);
      const contentHash = createHash('sha256').update(INGEST_VERSION).update('\0').update(bytes).digest('hex');
      const existing = await store.getDocumentBySource(source);
      if (existing?.contentHash === contentHash) {
        report.unchanged.push(source);
        progress(source, 'unchanged');
        return undefined;
      }
      return { source, mediaType, bytes, byteSize: bytes.length, contentHash, existing };
    } catch (error) {
      fail(source, error);
      return undefined;
    }
  };

  /** Stores a prepared file (extracted, chunked and analyzed on a worker when there are workers). */
  const finish = async (job: Job, prepared: PreparedDocument): Promise<void> => {
    const { source, mediaType, byteSize, contentHash, existing } = job;
    try {
      // Chunking and analysis ran inside the extraction wait: counted as their own stages, not twice.
      stages.chunk += prepared.ms.chunk;
      stages.analyze += prepared.ms.analyze;
      stages.extract -= prepared.ms.chunk + prepared.ms.analyze;
      const document: SourceDocument = {
        id: documentIdFor(source),
        source,
        name: nameOf(source),
        ...(prepared.title !== undefined && { title: prepared.title }),
        mediaType,
        contentHash,
        pageCount: prepared.pageCount,
        byteSize,
        ingestedAt: now(),
      };
      if (prepared.written) stages.store += prepared.written.ms;
      else {
        const started = performance.now();
        await store.putDocument({ document, chunks: prepared.chunks, documentTerms: prepared.documentTerms });
        stages.store += performance.now() - started;
      }
      report.pages += prepared.pageCount;
      report.chars += prepared.chars;
      report.chunks += prepared.written?.chunks ?? prepared.chunks.length;
      report.pageErrors.push(...prepared.pageErrors.map((e) => ({ ...e, source })));
      (existing ? report.updated : report.added).push(source);
      progress(source, existing ? 'updated' : 'added', prepared.pageCount, prepared.chars);
    } catch (error) {
      fail(source, error);
    }
  };

  /** Starts preparing a job (extract, chunk, analyze); the promise never rejects (a failure is returned). */
  const extract = (job: Job): Promise<{ doc?: PreparedDocument; error?: unknown }> => {
    const started = performance.now();
    const bytes = job.bytes as Uint8Array;
    job.bytes = undefined;
    return getPool()
      .prepare(
        bytes,
        job.mediaType,
        {
          docId: documentIdFor(job.source),
          name: nameOf(job.source),
          ...(options.chunker && { chunker: options.chunker }),
          ...(options.workerWritePath !== undefined &&
            (options.workers ?? 1) > 0 && {
              write: {
                storePath: options.workerWritePath,
                document: {
                  id: documentIdFor(job.source),
                  source: job.source,
                  name: nameOf(job.source),
                  mediaType: job.mediaType,
                  contentHash: job.contentHash,
                  byteSize: job.byteSize,
                  ingestedAt: now(),
                },
              },
            }),
        },
        {
          ...(options.onProgress && { onPage: (page: number, pages: number) => options.onProgress?.({ type: 'pages', source: job.source, page, pages }) }),
          // The bytes move to the worker (read again from the file if a retry needs them).
          reload: () => readBytes(job.source),
        },
      )
      .then(
        (doc) => ({ doc }),
        (error: unknown) => ({ error }),
      )
      .finally(() => (stages.extract += performance.now() - started));
  };

  try {
    // One lane per worker. With workers, a lane hands the next file to its worker before it
    // chunks, analyzes and stores the file just extracted, so workers do not wait for this thread.
    // Finishing runs one file at a time (it all happens on this thread anyway), which keeps the
    // stage times of one file apart from another's.
    const workers = options.workers ?? availableParallelism();
    const concurrency = Math.max(1, workers);
    let next = 0;
    let finishing: Promise<void> = Promise.resolve();
    const nextJob = async (): Promise<Job | undefined> => {
      while (next < files.length) {
        const job = await prepare(files[next++] as string);
        if (job) return job;
      }
      return undefined;
    };
    await Promise.all(
      Array.from({ length: Math.min(concurrency, files.length) }, async () => {
        let job = await nextJob();
        let extraction = job && extract(job);
        while (job && extraction) {
          const upcoming = nextJob();
          const result = await extraction;
          const current = job;
          let following: Job | undefined;
          if (workers > 0) {
            following = await upcoming;
            extraction = following && extract(following);
          }
          finishing = finishing.then(() =>
            result.doc ? finish(current, result.doc) : fail(current.source, result.error),
          );
          await finishing;
          if (workers <= 0) {
            following = await upcoming;
            extraction = following && extract(following);
          }
          job = following;
        }
      }),
    );
    if (options.prune && roots.length > 0) {
      const present = new Set(files);
      const gone = (await store.listDocuments()).filter((doc) => roots.some((root) => doc.source.startsWith(root + sep)) && !present.has(doc.source));
      // Folders with no file left at all: refuse to empty the store under them unless told to.
      if (gone.length > 0 && files.length === 0 && !options.pruneAll) report.pruneRefused = gone.length;
      else for (const doc of gone) if (await store.deleteDocument(doc.id)) report.removed.push(doc.source);
    }
  } finally {
    await pool?.close();
  }
  report.ms = performance.now() - started;
  return report;
}
