/**
 * Upload jobs wait for their turn in one bounded line and run one at a time, so however many
 * uploads arrive at once, one `pipeline.ingest` call (with one small worker pool) is running.
 */
import { basename, resolve } from 'node:path';
import type { IngestProgress, Pipeline } from '@ragbridge/pipeline';
import type { JobEvent, UploadProgress } from './jobs.js';
import { commitUpload, settleUpload, type StagedUpload } from './uploads.js';

/**
 * Upload jobs that may wait behind the running one; one more is refused with 429. Each job is at
 * most one upload request (`settings.maxUploadBytes`), kept on disk while it waits, so the line
 * holds at most 8 × that on disk (160 MB with the Space's 20 MB) and a few names in memory. Eight
 * lets a handful of people upload at once (the load benchmark posts 4 large PDFs together) while
 * the last in line still gets its turn within minutes rather than an hour. @default 8
 */
export const MAX_WAITING_INGESTS = 8;

/**
 * Extraction worker threads of the one ingest that runs. The host has two cores: one worker reads,
 * chunks, analyzes (and, over a SQLite file, stores) while the main thread embeds and keeps answering
 * requests. A second worker would compete with the main thread for its core and hold a second
 * PDFium heap; none would extract on the main thread and stall the event loop. @default 1
 */
export const INGEST_WORKERS = 1;

/** What a refused upload is told to wait (seconds) before any job has finished to measure. */
const DEFAULT_RETRY_AFTER_S = 30;
/** Bounds of Retry-After, seconds: not so short that clients hammer, not so long that they give up. */
const MIN_RETRY_AFTER_S = 5;
const MAX_RETRY_AFTER_S = 600;
/** Finished jobs whose durations estimate Retry-After. */
const DURATIONS_KEPT = 5;

/** One job of the line. */
export interface IngestTask {
  /** Does the job's work. A rejection is reported to `onError`; the next job runs either way. */
  run(): Promise<void>;
  /** Told the task's place in the line (1: next) when it has to wait and each time the line moves. */
  onPosition?(position: number): void;
}

/** Options of {@link IngestQueue}. */
export interface IngestQueueOptions {
  /** Jobs that may wait behind the running one. @default {@link MAX_WAITING_INGESTS} */
  maxWaiting?: number;
  /** Clock (ms) for job durations and Retry-After. @default Date.now */
  now?: () => number;
  /** Called with what a job's `run` threw. @default logs the error's name */
  onError?: (error: unknown) => void;
}

/** A place in the line, taken before an upload's body is read. */
export interface IngestSlot {
  /** Puts the job in line; it runs after the jobs submitted before it. */
  submit(task: IngestTask): void;
  /** Gives the place back unused (the upload was refused or could not be written). */
  release(): void;
}

/**
 * A first-in, first-out line of ingest jobs that runs one job at a time. Places are taken
 * ({@link reserve}) before an upload is read, so a full line refuses it before anything is read or
 * stored; a taken place counts as waiting until it is submitted or released.
 */
export class IngestQueue {
  private readonly maxWaiting: number;
  private readonly now: () => number;
  private readonly onError: (error: unknown) => void;
  private readonly waiting: IngestTask[] = [];
  private reserved = 0;
  private runningSince: number | undefined;
  private readonly durations: number[] = [];

  constructor(options: IngestQueueOptions = {}) {
    this.maxWaiting = options.maxWaiting ?? MAX_WAITING_INGESTS;
    this.now = options.now ?? Date.now;
    this.onError =
      options.onError ??
      ((error) => console.error(`[demo] an ingest job failed: ${error instanceof Error ? error.name : 'Error'}`));
  }

  /** Whether a new job would be refused. */
  get full(): boolean {
    return this.waiting.length + this.reserved >= this.maxWaiting;
  }

  /** Jobs waiting (places taken included) and whether one is running. */
  get state(): { waiting: number; running: boolean } {
    return { waiting: this.waiting.length + this.reserved, running: this.runningSince !== undefined };
  }

  /** Takes a place in the line; undefined when it is full. */
  reserve(): IngestSlot | undefined {
    if (this.full) return undefined;
    this.reserved++;
    let used = false;
    const use = (): boolean => {
      if (used) return false;
      used = true;
      this.reserved--;
      return true;
    };
    return {
      submit: (task) => {
        if (!use()) throw new Error('this place in the ingest line was already used');
        this.waiting.push(task);
        if (this.runningSince === undefined) void this.drain();
        else task.onPosition?.(this.waiting.length);
      },
      release: () => void use(),
    };
  }

  /**
   * Seconds until a place is likely to free up: the mean duration of the last jobs less the time the
   * running one has taken, within 5 s and 10 min (30 s before any job has finished).
   */
  retryAfterSeconds(): number {
    if (this.durations.length === 0) return DEFAULT_RETRY_AFTER_S;
    const mean = this.durations.reduce((a, b) => a + b, 0) / this.durations.length;
    const elapsed = this.runningSince === undefined ? 0 : this.now() - this.runningSince;
    return Math.min(MAX_RETRY_AFTER_S, Math.max(MIN_RETRY_AFTER_S, Math.ceil((mean - elapsed) / 1000)));
  }

  private async drain(): Promise<void> {
    for (let task = this.waiting.shift(); task; task = this.waiting.shift()) {
      for (const [i, next] of this.waiting.entries()) next.onPosition?.(i + 1);
      const started = this.now();
      this.runningSince = started;
      try {
        await task.run();
      } catch (error) {
        this.onError(error);
      }
      this.durations.push(this.now() - started);
      if (this.durations.length > DURATIONS_KEPT) this.durations.shift();
    }
    this.runningSince = undefined;
  }
}

/** One uploaded file waiting in line. */
export interface QueuedUpload {
  staged: StagedUpload;
  /** The document's name: the user's own (`displayName` of uploads.ts), not the file's safe name. */
  name: string;
}

/**
 * The job of one upload request. While it waits it reports its place in line; on its turn it moves
 * its files into place, ingests them in one `pipeline.ingest` call ({@link INGEST_WORKERS} workers),
 * keeps on disk only what the store then holds, and ends the job with the report or an error.
 */
export function uploadIngestTask(
  pipeline: Pick<Pipeline, 'ingest' | 'store'>,
  uploadDir: string,
  uploads: readonly QueuedUpload[],
  emit: (event: JobEvent) => void
): IngestTask {
  const file = uploads[0]?.name ?? '';
  return {
    onPosition: (position) => emit({ event: 'progress', data: { stage: 'queued', file, position } }),
    run: async () => emit(await ingestUploads(pipeline, uploadDir, uploads, emit)),
  };
}

/**
 * Ingests queued uploads and returns the job's last event. Once the store has settled, a file it
 * holds no document for is removed (a replaced one comes back), whether the ingest failed for that
 * file or as a whole.
 */
async function ingestUploads(
  pipeline: Pick<Pipeline, 'ingest' | 'store'>,
  uploadDir: string,
  uploads: readonly QueuedUpload[],
  emit: (event: JobEvent) => void
): Promise<JobEvent> {
  const names = new Map(uploads.map((u) => [resolve(u.staged.target), u.name]));
  const nameOf = (source: string): string => names.get(resolve(source)) ?? basename(source);
  let outcome: JobEvent;
  try {
    for (const { staged } of uploads)
      await commitUpload(staged, staged.replaces && (await pipeline.store.getDocumentBySource(staged.target)));
    const progress = extractProgress(nameOf);
    const report = await pipeline.ingest(
      uploads.map((u) => u.staged.target),
      {
        workers: INGEST_WORKERS,
        names,
        onProgress: (p) => emit({ event: 'progress', data: progress(p) }),
        onEmbedProgress: (p) =>
          emit({ event: 'progress', data: { stage: 'embed', file: '', done: p.done, total: p.total, unit: 'chunk' } }),
      }
    );
    const root = resolve(uploadDir);
    const shown = (message: string, source: string): string =>
      message.replaceAll(source, nameOf(source)).replaceAll(root, '');
    outcome = {
      event: 'done',
      data: {
        report: {
          added: report.added.map(nameOf),
          updated: report.updated.map(nameOf),
          unchanged: report.unchanged.map(nameOf),
          failed: report.failed.map((f) => ({
            file: nameOf(f.source),
            code: f.code,
            message: shown(f.message, f.source),
          })),
          pageErrors: report.pageErrors.map((e) => ({ file: nameOf(e.source), page: e.page, message: e.message })),
          pages: report.pages,
          chunks: report.chunks,
          embedded: report.embedded,
        },
      },
    };
  } catch (error) {
    console.error(`[demo] ingest failed: ${error instanceof Error ? error.name : 'Error'}`);
    outcome = { event: 'error', data: { message: 'ingestion failed; the documents already stored are unchanged' } };
  }
  for (const { staged } of uploads) {
    try {
      await settleUpload(staged, await pipeline.store.getDocumentBySource(resolve(staged.target)));
    } catch (error) {
      console.error(`[demo] cleanup after an upload failed: ${error instanceof Error ? error.name : 'Error'}`);
    }
  }
  return outcome;
}

/**
 * The job's progress from the pipeline's: extraction by file (done/total: files of the job) and,
 * while a PDF is read, by page (done/total: pages of that file).
 */
function extractProgress(nameOf: (source: string) => string): (p: IngestProgress) => UploadProgress {
  let files = 0;
  let filesDone = 0;
  return (p) => {
    if (p.type === 'scan') {
      files = p.files;
      return { stage: 'extract', file: '', done: 0, total: files, unit: 'file' };
    }
    if (p.type === 'pages')
      return { stage: 'extract', file: nameOf(p.source), done: p.page, total: p.pages, unit: 'page', filesDone, files };
    filesDone = p.index;
    return { stage: 'extract', file: nameOf(p.source), done: p.index, total: p.files, unit: 'file', status: p.status };
  };
}
