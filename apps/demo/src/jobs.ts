import { randomUUID } from 'node:crypto';

/**
 * What a `progress` event of an upload job carries. Fields are only ever added, never renamed or
 * given a new meaning: the UI reads `stage`, `file`, `done` and `total`.
 */
export interface UploadProgress {
  /**
   * `upload`: the files are stored on disk; `queued`: the job waits for its turn; `extract`: files
   * (and the pages of a PDF) being read; `embed`: chunks being embedded.
   */
  stage: 'upload' | 'queued' | 'extract' | 'embed';
  /** The file the event is about ('' when it is about none in particular). */
  file: string;
  done?: number;
  total?: number;
  /** What `done` and `total` count. */
  unit?: 'file' | 'page' | 'chunk';
  /** `queued`: the job's place in line, 1 for the next to run. */
  position?: number;
  /** `extract` by file: what became of the file. */
  status?: 'added' | 'updated' | 'unchanged' | 'failed';
  /** `extract` by page: files of the job finished so far, and all of them. */
  filesDone?: number;
  files?: number;
}

/** One server-sent event of a job. */
export type JobEvent =
  | { event: 'progress'; data: UploadProgress }
  | { event: 'done'; data: unknown }
  | { event: 'error'; data: { message: string } };

interface Job {
  events: JobEvent[];
  finished: boolean;
  listeners: Set<(event: JobEvent) => void>;
  finishedAt?: number;
}

/**
 * Background jobs (uploads being ingested) whose progress clients follow over server-sent events.
 * Events are kept until a few minutes after the job ends, so a client that connects late replays
 * them.
 */
export class JobRegistry {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly keepMs = 10 * 60_000) {}

  create(): { id: string; emit: (event: JobEvent) => void } {
    this.sweep();
    const id = randomUUID();
    const job: Job = { events: [], finished: false, listeners: new Set() };
    this.jobs.set(id, job);
    return {
      id,
      emit: (event) => {
        if (job.finished) return;
        // Keep the latest progress only (a long ingest emits thousands).
        const last = job.events[job.events.length - 1];
        if (event.event === 'progress' && last?.event === 'progress') job.events[job.events.length - 1] = event;
        else job.events.push(event);
        if (event.event !== 'progress') {
          job.finished = true;
          job.finishedAt = Date.now();
        }
        for (const listener of job.listeners) listener(event);
      },
    };
  }

  /** Replays the job's events, then follows it until it ends; undefined for an unknown job. */
  follow(
    id: string,
    onEvent: (event: JobEvent) => void
  ): { replayed: JobEvent[]; finished: boolean; stop: () => void } | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    job.listeners.add(onEvent);
    return { replayed: [...job.events], finished: job.finished, stop: () => job.listeners.delete(onEvent) };
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, job] of this.jobs)
      if (job.finishedAt !== undefined && now - job.finishedAt > this.keepMs) this.jobs.delete(id);
  }
}
