/**
 * Upload jobs wait for their turn in one bounded line and run one at a time, so however many
 * uploads arrive at once, one `pipeline.ingest` call (with one small worker pool) is running.
 */

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

